#include "gateway/api/api.hpp"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>

#include "gateway/api/access.hpp"
#include "gateway/api/problem.hpp"
#include "gateway/api/push.hpp"
#include "gateway/api/stream.hpp"
#include "gateway/api/subscriptions_api.hpp"
#include "gateway/core/crypto.hpp"
#include "gateway/core/system_record.hpp"
#include "gateway/core/text.hpp"
#include "gateway/feeds/feeds.hpp"
#include "gateway/pipeline/ingest.hpp"
#include "veikart_embedded.hpp"

namespace veikart {
namespace {

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;
// The non-JSON formats are not paged; 50 pages of 1000 is far beyond the national roadmap.
constexpr int kMaxFormatPages = 50;

const std::set<std::string> kStatuses = {"idea",  "assessed",    "prioritised",  "in_development", "pilot",
                                         "ready", "rolling_out", "in_operation", "paused",         "cancelled"};
const std::set<std::string> kKinds = {"national_solution", "regional_project", "local_project", "joint_procurement",
                                      "competence_programme"};

bool parse_int(const std::string& s, long long& out) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  out = std::stoll(s);
  return true;
}

// The `limit` parameter: 1..kMaxLimit, or the default when absent.
int parse_limit(const HttpRequest& req, int fallback, std::vector<Issue>& errors) {
  const auto v = req.query_one("limit");
  if (!v) return fallback;
  long long n = 0;
  if (!parse_int(*v, n) || n < 1 || n > kMaxLimit) {
    errors.push_back({"limit", "expected an integer from 1 to " + std::to_string(kMaxLimit) + ", got '" + *v + "'"});
    return fallback;
  }
  return static_cast<int>(n);
}

Json run_to_json(const IngestionRun& r) {
  return {{"id", r.id},
          {"source", r.source},
          {"started_at", r.started_at},
          {"finished_at", r.finished_at.empty() ? Json() : Json(r.finished_at)},
          {"status", r.status},
          {"accepted", r.accepted},
          {"rejected", r.rejected},
          {"unchanged", r.unchanged},
          {"removed", r.removed},
          {"errors", issues_to_json(r.errors)},
          {"warnings", issues_to_json(r.warnings)}};
}

// An If-None-Match list matches when one of its entity tags equals ours, weakly compared (RFC 9110 13.1.2).
bool etag_matches(const std::string& header, const std::string& etag) {
  if (header.empty()) return false;
  if (trim(header) == "*") return true;
  auto strip = [](std::string_view t) {
    t = trim(t);
    if (t.starts_with("W/")) t.remove_prefix(2);
    return std::string(t);
  };
  for (const auto& part : split_list(header, ",")) {
    if (strip(part) == strip(etag)) return true;
  }
  return false;
}

bool accepts_gzip(const std::string& accept_encoding) {
  for (const auto& part : split_list(accept_encoding, ",")) {
    const auto semi = part.find(';');
    const std::string coding = fold(part.substr(0, semi));
    if (coding != "gzip") continue;
    if (semi != std::string::npos) {
      const std::string params = part.substr(semi + 1);
      const auto q = params.find("q=");
      if (q != std::string::npos && std::stod(params.substr(q + 2)) <= 0) return false;
    }
    return true;
  }
  return false;
}

}  // namespace

struct Api::Impl {
  explicit Impl(ApiContext c) : ctx(std::move(c)), auth(ctx.config.clients) {}

  ApiContext ctx;
  Authenticator auth;

  std::optional<HttpResponse> require_feed(const Identity& id) const { return veikart::require_feed(ctx.config, id); }
  std::optional<HttpResponse> require_role(const HttpRequest& req, const Identity& id,
                                           std::initializer_list<Role> roles, const std::string& what) const {
    return veikart::require_role(auth, req, id, roles, what);
  }
  PushRoutes push{ctx, auth};

  // The roadmap filters shared by the JSON feed and the other formats; paging only for JSON.
  RoadmapQuery parse_roadmap_query(const HttpRequest& req, bool paged, std::vector<Issue>& errors) {
    RoadmapQuery q;
    auto check_each = [&](const char* param, std::vector<std::string> values, auto&& valid, const char* what) {
      for (const auto& v : values) {
        if (!valid(v)) errors.push_back({param, "unknown " + std::string(what) + " '" + v + "'"});
      }
      return values;
    };
    q.networks = check_each(
        "network", req.query_list("network"), [&](const std::string& v) { return ctx.reference.network(v) != nullptr; },
        "network id");
    q.municipalities = check_each(
        "municipality", req.query_list("municipality"),
        [&](const std::string& v) { return ctx.reference.municipality(v) != nullptr; }, "kommunenummer");
    q.themes = check_each(
        "theme", req.query_list("theme"), [&](const std::string& v) { return ctx.reference.theme(v) != nullptr; },
        "theme id");
    q.statuses = check_each(
        "status", req.query_list("status"), [&](const std::string& v) { return kStatuses.count(v) > 0; }, "status");
    q.kinds = check_each(
        "kind", req.query_list("kind"), [&](const std::string& v) { return kKinds.count(v) > 0; }, "kind");
    for (const char* p : {"from", "to"}) {
      if (auto v = req.query_one(p)) {
        if (!valid_iso_date(*v)) {
          errors.push_back({p, "expected a date as YYYY-MM-DD, got '" + *v + "'"});
        } else {
          (std::string(p) == "from" ? q.from : q.to) = *v;
        }
      }
    }
    if (q.from && q.to && *q.from > *q.to) errors.push_back({"from", "'from' is after 'to'"});
    q.limit = paged ? parse_limit(req, kDefaultLimit, errors) : kMaxLimit;
    if (auto v = paged ? req.query_one("cursor") : std::nullopt) {
      auto decoded = base64url_decode(*v);
      Json c = decoded ? Json::parse(*decoded, nullptr, false) : Json();
      if (!c.is_object() || !c.contains("after") || !c["after"].is_string()) {
        errors.push_back({"cursor", "not a cursor this server issued; use next_cursor from the previous page"});
      } else {
        q.after_id = c["after"].get<std::string>();
      }
    }
    static const std::set<std::string> filters = {"network", "municipality", "theme", "status", "kind", "from", "to"};
    for (const auto& [k, _] : req.query) {
      const bool known = filters.count(k) || (paged && (k == "limit" || k == "cursor")) || (!paged && k == "sep");
      if (!known) errors.push_back({k, "unknown query parameter"});
    }
    return q;
  }

  // A webhook subscription's filters, checked like the feed's query parameters (same names, same messages).
  std::vector<Issue> check_filters(const Json& filters) {
    static const std::set<std::string> keys = {"network", "municipality", "theme", "status", "kind", "from", "to"};
    std::vector<Issue> errors;
    HttpRequest as_query;
    for (const auto& [key, value] : filters.items()) {
      const std::string pointer = "/filters/" + escape_pointer_token(key);
      const bool date = key == "from" || key == "to";
      if (!keys.count(key)) {
        errors.push_back(
            {pointer, "unknown filter; expected one of network, municipality, theme, status, kind, from, to"});
      } else if (value.is_string()) {
        as_query.query.emplace(key, value.get<std::string>());
      } else if (!date && value.is_array() &&
                 std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_string(); })) {
        for (const auto& v : value) as_query.query.emplace(key, v.get<std::string>());
      } else {
        errors.push_back(
            {pointer, date ? "expected a date as YYYY-MM-DD" : "expected a string or an array of strings"});
      }
    }
    std::vector<Issue> query_errors;
    parse_roadmap_query(as_query, false, query_errors);
    for (auto& e : query_errors) errors.push_back({"/filters/" + e.where, e.reason});
    return errors;
  }

  HttpResponse roadmap(const HttpRequest& req) {
    std::vector<Issue> errors;
    RoadmapQuery q = parse_roadmap_query(req, true, errors);
    if (!errors.empty()) {
      return problem(400, "invalid-query", "Invalid query parameters", "One or more query parameters are invalid.",
                     errors, "pointer");
    }
    RoadmapPage page = ctx.store.roadmap(q);
    Json body = {{"items", std::move(page.items)}, {"sequence", page.sequence}};
    body["next_cursor"] = page.last_id ? Json(base64url_encode(Json({{"after", *page.last_id}}).dump())) : Json();
    return json_response(body);
  }

  HttpResponse item(const std::string& id) {
    auto stored = ctx.store.item(id);
    if (!stored) return problem(404, "not-found", "No such roadmap item", "There is no roadmap item '" + id + "'.");
    if (stored->deleted) {
      return problem(410, "gone", "Roadmap item withdrawn",
                     "The roadmap item '" + id + "' was withdrawn by its sources (change " +
                         std::to_string(stored->version) + ").");
    }
    return json_response(stored->doc);
  }

  HttpResponse changes(const HttpRequest& req) {
    std::vector<Issue> errors;
    long long since = 0;
    if (auto v = req.query_one("since")) {
      if (!parse_int(*v, since)) errors.push_back({"since", "expected a change sequence number, got '" + *v + "'"});
    }
    const int limit = parse_limit(req, kMaxLimit, errors);
    for (const auto& [k, _] : req.query) {
      if (k != "since" && k != "limit") errors.push_back({k, "unknown query parameter"});
    }
    if (!errors.empty()) {
      return problem(400, "invalid-query", "Invalid query parameters", "One or more query parameters are invalid.",
                     errors);
    }
    const std::int64_t current = ctx.store.sequence();
    Json list = Json::array();
    std::int64_t next = since;
    for (auto& c : ctx.store.changes(since, limit)) {
      list.push_back(change_to_json(c));
      next = c.seq;
    }
    if (list.empty() && next > current) next = current;  // a client ahead of us (store reset) starts over
    return json_response({{"changes", list}, {"next_since", next}});
  }

  HttpResponse sources() {
    Json list = Json::array();
    for (const auto& s : ctx.config.sources) {
      list.push_back(describe_source(s.config.name, s.config.type, s.interval.count(), s.precedence, true));
    }
    // The built-in source of pushed KS schedules, once something was pushed to it.
    if (ctx.config.source(kSchedulesSource) == nullptr && !ctx.store.runs(kSchedulesSource, 1).empty()) {
      list.push_back(describe_source(kSchedulesSource, kSchedulesSource, Json(), kSchedulesPrecedence, false));
    }
    return json_response({{"sources", list}});
  }

  /// One entry of /v1/sources. `interval` is null for a source that is only pushed to; `scheduled` says whether
  /// the scheduler (when running) knows the source.
  Json describe_source(const std::string& name, const std::string& type, Json interval, int precedence,
                       bool scheduled) {
    auto runs = ctx.store.runs(name, 10);
    auto good = ctx.store.last_good_run(name);
    Json runs_json = Json::array();
    for (const auto& r : runs) runs_json.push_back(run_to_json(r));
    Json entry = {{"name", name},
                  {"type", type},
                  {"interval_seconds", std::move(interval)},
                  {"precedence", precedence},
                  {"status", runs.empty() ? "never_run" : runs.front().status},
                  {"last_success", good ? Json(good->finished_at) : Json()},
                  {"last_run", runs.empty() ? Json() : runs_json.front()},
                  {"runs", runs_json}};
    // What the running scheduler knows: ok, degraded (rejected records), stale (failing, last good data still
    // served), failing (circuit open); without a scheduler (tests, tools, pushed sources) it follows the last run.
    if (ctx.monitor != nullptr && scheduled) {
      const SourceStatus st = ctx.monitor->status(name);
      entry["state"] = st.state;
      entry["circuit"] = circuit_name(st.circuit);
      entry["consecutive_failures"] = st.consecutive_failures;
      entry["last_error"] = st.last_error ? Json(*st.last_error) : Json();
      entry["next_run"] = st.next_run ? Json(*st.next_run) : Json();
    } else {
      const std::string last = runs.empty() ? "" : runs.front().status;
      entry["state"] = last.empty()        ? "pending"
                       : last == "ok"      ? "ok"
                       : last == "partial" ? "degraded"
                       : good              ? "stale"
                                           : "failing";
      entry["circuit"] = "closed";
      entry["consecutive_failures"] = 0;
      entry["last_error"] = !runs.empty() && last == "failed" && !runs.front().errors.empty()
                                ? Json(runs.front().errors.front().reason)
                                : Json();
      entry["next_run"] = nullptr;
    }
    return entry;
  }

  // GET /v1/roadmap.{atom,ics,csv}: every matching item (no paging) in a format people's own tools read.
  HttpResponse formatted(const HttpRequest& req, const std::string& format) {
    std::vector<Issue> errors;
    RoadmapQuery q = parse_roadmap_query(req, false, errors);
    char separator = ';';
    if (format == "csv") {
      if (auto sep = req.query_one("sep")) {
        if (*sep == ";" || *sep == "," || *sep == "\t" || *sep == "tab") {
          separator = *sep == ";" ? ';' : (*sep == "," ? ',' : '\t');
        } else {
          errors.push_back({"sep", "expected ';', ',' or 'tab', got '" + *sep + "'"});
        }
      }
    } else if (req.query_one("sep")) {
      errors.push_back({"sep", "only the CSV format takes a separator"});
    }
    if (!errors.empty()) {
      return problem(400, "invalid-query", "Invalid query parameters", "One or more query parameters are invalid.",
                     errors);
    }
    std::vector<RoadmapItem> items;
    for (int pages = 0; pages < kMaxFormatPages; ++pages) {
      RoadmapPage page = ctx.store.roadmap(q);
      for (auto& doc : page.items) items.push_back(doc.get<RoadmapItem>());
      if (!page.last_id) break;
      q.after_id = page.last_id;
    }
    FeedInfo info;
    info.base_url = base_url(req);
    info.self_path = req.target;
    info.title = feed_title(q);
    std::string canonical;
    for (const auto& [k, v] : req.query) canonical += k + "=" + v + "&";
    info.feed_id = "urn:veikart:feed:" + sha256_hex(canonical).substr(0, 24);
    HttpResponse r;
    if (format == "atom") {
      r.set_header("Content-Type", "application/atom+xml; charset=utf-8");
      r.body = render_atom(items, info);
    } else if (format == "ics") {
      r.set_header("Content-Type", "text/calendar; charset=utf-8");
      r.set_header("Content-Disposition", "inline; filename=\"veikart.ics\"");
      r.body = render_ics(items, info);
    } else {
      r.set_header("Content-Type", "text/csv; charset=utf-8");
      r.set_header("Content-Disposition", "attachment; filename=\"veikart-roadmap.csv\"");
      r.body = render_csv(items, info, separator);
    }
    return r;
  }

  // Links in feeds are absolute; the Host header names this server as the client reached it.
  static std::string base_url(const HttpRequest& req) {
    const std::string host = req.header("host");
    const bool safe = !host.empty() && host.size() < 256 && std::all_of(host.begin(), host.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == ':' || c == '-' || c == '[' || c == ']';
    });
    return "http://" + (safe ? host : std::string("localhost"));
  }

  std::string feed_title(const RoadmapQuery& q) const {
    std::vector<std::string> parts;
    for (const auto& n : q.networks) {
      if (const auto* net = ctx.reference.network(n)) parts.push_back(net->name);
    }
    for (const auto& m : q.municipalities) {
      if (const auto* mun = ctx.reference.municipality(m)) parts.push_back(mun->name);
    }
    std::string title = "Veikart";
    for (std::size_t i = 0; i < parts.size(); ++i) title += (i ? ", " : " – ") + parts[i];
    return title;
  }

  // GET /v1/stream: Server-Sent Events from the change log, resumable with Last-Event-ID or ?since=.
  HttpResponse stream(const HttpRequest& req) {
    std::vector<Issue> errors;
    HttpRequest filters = req;
    filters.query.erase("since");
    RoadmapQuery q = parse_roadmap_query(filters, false, errors);
    if (req.query_one("sep")) errors.push_back({"sep", "unknown query parameter"});
    std::int64_t since = ctx.store.sequence();  // by default only what happens from now on
    std::string resume = req.header("last-event-id");
    if (auto v = req.query_one("since")) resume = *v;
    if (!resume.empty()) {
      long long n = 0;
      if (!parse_int(resume, n)) {
        errors.push_back({"since", "expected a change sequence number, got '" + resume + "'"});
      } else {
        since = n;
      }
    }
    if (!errors.empty()) {
      return problem(400, "invalid-query", "Invalid query parameters", "One or more query parameters are invalid.",
                     errors);
    }
    HttpResponse r;
    r.set_header("Content-Type", "text/event-stream; charset=utf-8");
    r.set_header("Cache-Control", "no-cache");
    r.set_header("X-Accel-Buffering", "no");  // proxies must not hold events back
    r.stream = make_change_stream(ctx.store, std::move(q), since, ctx.stream_heartbeat);
    return r;
  }

  HttpResponse readyz() {
    if (!ctx.started()) {
      return problem(503, "not-ready", "Not ready", "The gateway is still starting (first ingestion pass).");
    }
    if (!ctx.store.healthy()) return problem(503, "not-ready", "Not ready", "The store does not answer.");
    return json_response({{"status", "ready"}});
  }

  HttpResponse text(std::string body, std::string content_type) {
    HttpResponse r;
    r.set_header("Content-Type", std::move(content_type));
    r.body = std::move(body);
    return r;
  }

  HttpResponse index() {
    return json_response({{"name", "Veikart"},
                          {"description", "One roadmap for Norway's regional digitalisation networks"},
                          {"links",
                           {{"roadmap", "/v1/roadmap"},
                            {"changes", "/v1/changes?since=0"},
                            {"sources", "/v1/sources"},
                            {"stream", "/v1/stream"},
                            {"subscriptions", "/v1/subscriptions"},
                            {"openapi", "/openapi.yaml"},
                            {"metrics", "/metrics"}}}});
  }

  // Routing: returns the route template (for metrics) and the response.
  std::pair<std::string, HttpResponse> route(const HttpRequest& req) {
    const std::string& p = req.path;
    const bool read = req.method == "GET" || req.method == "HEAD";
    const Identity id = auth.identify(req);
    // Operational routes (health, metrics, the API description) answer everyone.
    auto only_get = [&](const std::string& name, auto&& handler) -> std::pair<std::string, HttpResponse> {
      if (!read) {
        auto r = problem(405, "method-not-allowed", "Method not allowed", "Use GET or HEAD on " + name + ".");
        r.set_header("Allow", "GET, HEAD");
        return {name, std::move(r)};
      }
      return {name, handler()};
    };
    // Feed routes follow feed_access.
    auto feed_get = [&](const std::string& name, auto&& handler) -> std::pair<std::string, HttpResponse> {
      return only_get(name, [&]() -> HttpResponse {
        if (auto denied = require_feed(id)) return *denied;
        return handler();
      });
    };
    if (auto pushed = push.route(req, id)) return std::move(*pushed);
    if (p == "/v1/roadmap") return feed_get("/v1/roadmap", [&] { return roadmap(req); });
    for (const char* format : {"atom", "ics", "csv"}) {
      if (p == std::string("/v1/roadmap.") + format) {
        return feed_get(format == std::string("atom")  ? "/v1/roadmap.atom"
                        : format == std::string("ics") ? "/v1/roadmap.ics"
                                                       : "/v1/roadmap.csv",
                        [&] { return formatted(req, format); });
      }
    }
    // Per-network and per-municipality URLs for people who subscribe to one: the path names the filter.
    for (const auto& [prefix, param] :
         {std::pair{"/v1/networks/", "network"}, {"/v1/municipalities/", "municipality"}}) {
      const std::string pre = prefix;
      if (!p.starts_with(pre)) continue;
      const auto slash = p.find('/', pre.size());
      if (slash == std::string::npos) break;
      const std::string value = p.substr(pre.size(), slash - pre.size());
      const std::string rest = p.substr(slash);
      const std::string route = pre + "{" + param + "}" + rest;
      HttpRequest scoped = req;
      scoped.query.erase(param);
      scoped.query.emplace(param, value);
      if (rest == "/roadmap") return feed_get(route, [&] { return roadmap(scoped); });
      for (const char* format : {"atom", "ics", "csv"}) {
        if (rest == std::string("/roadmap.") + format)
          return feed_get(route, [&] { return formatted(scoped, format); });
      }
    }
    if (p.starts_with("/v1/roadmap/") && p.size() > 12) {
      return feed_get("/v1/roadmap/{id}", [&] { return item(p.substr(12)); });
    }
    if (p == "/v1/changes") return feed_get("/v1/changes", [&] { return changes(req); });
    if (p == "/v1/stream") return feed_get("/v1/stream", [&] { return stream(req); });
    if (p == "/v1/sources") return feed_get("/v1/sources", [&] { return sources(); });
    if (p.starts_with("/v1/sources/") && p.ends_with("/run") && p.size() > 16) {
      const std::string name = p.substr(12, p.size() - 12 - 4);
      const std::string route_name = "/v1/sources/{name}/run";
      if (req.method != "POST") {
        auto r = problem(405, "method-not-allowed", "Method not allowed", "Use POST to run a source now.");
        r.set_header("Allow", "POST");
        return {route_name, std::move(r)};
      }
      if (auto denied = require_role(req, id, {Role::admin}, "running a source")) return {route_name, *denied};
      if (ctx.config.source(name) == nullptr) {
        return {route_name, problem(404, "not-found", "No such source", "There is no source '" + name + "'.")};
      }
      if (!ctx.trigger_run || !ctx.trigger_run(name)) {
        return {route_name,
                problem(503, "not-running", "Scheduler not running", "Sources run only while the gateway serves.")};
      }
      return {route_name, json_response({{"source", name}, {"queued", true}}, 202)};
    }
    if (p == "/v1/subscriptions" || p.starts_with("/v1/subscriptions/")) {
      if (auto denied = require_role(req, id, {Role::reader, Role::admin}, "managing webhook subscriptions")) {
        return {"/v1/subscriptions", *denied};
      }
      // Without configured clients (loopback only) everything belongs to "local".
      const SubscriptionCaller caller{id.client ? id.client->name : "local",
                                      id.client == nullptr || id.client->has(Role::admin)};
      return handle_subscriptions(req, caller, ctx.store, ctx.config.webhooks,
                                  [this](const Json& filters) { return check_filters(filters); });
    }
    if (p == "/healthz") return only_get("/healthz", [&] { return json_response({{"status", "ok"}}); });
    if (p == "/readyz") return only_get("/readyz", [&] { return readyz(); });
    if (p == "/metrics") {
      return only_get("/metrics",
                      [&] { return text(ctx.metrics.render(), "text/plain; version=0.0.4; charset=utf-8"); });
    }
    if (p == "/openapi.yaml") {
      return only_get("/openapi.yaml",
                      [&] { return text(std::string(embedded::openapi_yaml()), "application/yaml; charset=utf-8"); });
    }
    if (p == "/") return only_get("/", [&] { return index(); });
    return {"unmatched", problem(404, "not-found", "Not found", "No route for '" + p + "'.")};
  }

  // Conditional requests and compression for successful reads.
  void finish(const HttpRequest& req, HttpResponse& r) {
    r.set_header("Cache-Control", "no-cache");
    if (r.stream) return;  // streamed bodies have no single representation to tag or compress
    if ((req.method != "GET" && req.method != "HEAD") || r.status != 200) return;
    const std::string etag = "\"" + sha256_hex(r.body).substr(0, 32) + "\"";
    const bool gzip = accepts_gzip(req.header("accept-encoding")) && r.body.size() >= 512;
    r.set_header("Vary", "Accept-Encoding");
    // The gzip variant is a different representation and so gets its own strong tag.
    const std::string tag = gzip ? etag.substr(0, etag.size() - 1) + "-gzip\"" : etag;
    r.set_header("ETag", tag);
    const std::string inm = req.header("if-none-match");
    if (etag_matches(inm, etag) || etag_matches(inm, tag)) {
      r.status = 304;
      r.body.clear();
      r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(),
                                     [](const auto& h) { return strcasecmp(h.first.c_str(), "content-type") == 0; }),
                      r.headers.end());
      return;
    }
    if (gzip) {
      r.body = gzip_compress(r.body);
      r.set_header("Content-Encoding", "gzip");
    }
  }
};

Api::Api(ApiContext context) : impl_(std::make_unique<Impl>(std::move(context))) {}
Api::~Api() = default;

HttpResponse Api::handle(const HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  std::string route = "unmatched";
  HttpResponse response;
  const std::string request_id = new_request_id();
  try {
    auto [name, r] = impl_->push.guard(request, [this, &request] { return impl_->route(request); });
    route = std::move(name);
    response = std::move(r);
    impl_->finish(request, response);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "veikart: %s %s failed (request %s): %s\n", request.method.c_str(), request.path.c_str(),
                 request_id.c_str(), e.what());
    response = problem(500, "internal", "Internal error",
                       "The request could not be completed; it has been logged as request " + request_id + ".");
  }
  impl_->push.record(request, request_id, route, response);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  impl_->ctx.metrics.observe_request(route, response.status, seconds);
  return response;
}

bool Api::is_push(std::string_view method, std::string_view path) { return PushRoutes::is_push(method, path); }

}  // namespace veikart

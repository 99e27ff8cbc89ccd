#include "gateway/api/push.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "gateway/api/access.hpp"
#include "gateway/api/problem.hpp"
#include "gateway/core/system_record.hpp"
#include "gateway/pipeline/ingest.hpp"

namespace veikart {
namespace {

constexpr int kDefaultAuditLimit = 100;
constexpr int kMaxAuditLimit = 1000;

HttpResponse method_not_allowed(const std::string& allow, const std::string& detail) {
  auto r = problem(405, "method-not-allowed", "Method not allowed", detail);
  r.set_header("Allow", allow);
  return r;
}

bool is_read(std::string_view method) { return method == "GET" || method == "HEAD"; }

// "/v1/<prefix><segment><suffix>" → the segment, when it is one non-empty path segment.
std::optional<std::string> segment(std::string_view path, std::string_view prefix, std::string_view suffix) {
  if (!path.starts_with(prefix) || !path.ends_with(suffix) || path.size() <= prefix.size() + suffix.size()) {
    return std::nullopt;
  }
  std::string_view s = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (s.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(s);
}

// The route template of a push route, or empty.
std::string push_route_name(std::string_view path) {
  if (path == "/v1/schedules") return "/v1/schedules";
  if (segment(path, "/v1/sources/", "/messages")) return "/v1/sources/{name}/messages";
  if (segment(path, "/v1/inventories/", "/records")) return "/v1/inventories/{client}/records";
  if (segment(path, "/v1/inventories/", "")) return "/v1/inventories/{client}";
  return {};
}

bool valid_client_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

// One problem of a record, located for the answer: JSON pointers nest, CSV rows name the field in the reason.
Issue locate(const std::string& where, const std::string& where_key, const Issue& problem) {
  if (where_key == "pointer") return {where + problem.where, problem.reason};
  const std::string field = problem.where.empty() ? std::string() : "field '" + problem.where.substr(1) + "': ";
  return {where, field + problem.reason};
}

HttpResponse with_counts(HttpResponse r, int accepted, int rejected) {
  Json body = Json::parse(r.body, nullptr, false);
  if (body.is_object()) {
    body["accepted"] = accepted;
    body["rejected"] = rejected;
    r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  return r;
}

Json audit_to_json(const AuditEntry& e) {
  return {{"id", e.id},
          {"at", e.at},
          {"request_id", e.request_id},
          {"client", e.client},
          {"remote_address", e.remote_address},
          {"method", e.method},
          {"route", e.route},
          {"path", e.path},
          {"status", e.status},
          {"accepted", e.accepted ? Json(*e.accepted) : Json()},
          {"rejected", e.rejected ? Json(*e.rejected) : Json()},
          {"replayed", e.replayed}};
}

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 255) return false;
  for (const char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

PushRoutes::PushRoutes(const ApiContext& ctx, const Authenticator& auth)
    : ctx_(ctx), auth_(auth), limiter_(ctx.config.limits.rate.per_second, ctx.config.limits.rate.burst) {
  schedules_.config = SourceConfig{
      kSchedulesSource, kSchedulesSource, Json{{"name", kSchedulesSource}, {"type", kSchedulesSource}}, {}};
  schedules_.precedence = kSchedulesPrecedence;
}

bool PushRoutes::is_push(std::string_view method, std::string_view path) {
  return (method == "POST" || method == "PUT") && !push_route_name(path).empty();
}

std::optional<RouteResult> PushRoutes::route(const HttpRequest& req, const Identity& id) {
  const std::string& p = req.path;
  if (p == "/v1/schedules") {
    if (req.method != "POST") return RouteResult{p, method_not_allowed("POST", "Use POST to push a schedule.")};
    const SourceEntry* declared = ctx_.config.source(kSchedulesSource);
    return RouteResult{p, push_message(req, id, declared ? *declared : schedules_, "pointer")};
  }
  if (auto name = segment(p, "/v1/sources/", "/messages")) {
    const std::string route = "/v1/sources/{name}/messages";
    if (req.method != "POST") return RouteResult{route, method_not_allowed("POST", "Use POST to push a message.")};
    const SourceEntry* source = ctx_.config.source(*name);
    if (source == nullptr) {
      return RouteResult{route, problem(404, "not-found", "No such source", "There is no source '" + *name + "'.")};
    }
    return RouteResult{route, push_message(req, id, *source, "element")};
  }
  if (auto client = segment(p, "/v1/inventories/", "/records")) {
    const std::string route = "/v1/inventories/{client}/records";
    if (req.method != "POST") {
      return RouteResult{route, method_not_allowed("POST", "Use POST to add or update inventory records.")};
    }
    return RouteResult{route, push_inventory(req, id, *client, false)};
  }
  if (auto client = segment(p, "/v1/inventories/", "")) {
    const std::string route = "/v1/inventories/{client}";
    if (req.method != "PUT") {
      return RouteResult{route, method_not_allowed("PUT", "Use PUT to replace a cooperative's inventory.")};
    }
    return RouteResult{route, push_inventory(req, id, *client, true)};
  }
  if (auto municipality = segment(p, "/v1/municipalities/", "/systems")) {
    const std::string route = "/v1/municipalities/{kommunenummer}/systems";
    if (!is_read(req.method)) return RouteResult{route, method_not_allowed("GET, HEAD", "Use GET or HEAD.")};
    if (auto denied = require_feed(ctx_.config, id)) return RouteResult{route, *denied};
    return RouteResult{route, systems(*municipality)};
  }
  if (p == "/v1/audit") {
    if (!is_read(req.method)) return RouteResult{p, method_not_allowed("GET, HEAD", "Use GET or HEAD.")};
    if (auto denied = require_role(auth_, req, id, {Role::admin}, "reading the audit log")) {
      return RouteResult{p, *denied};
    }
    return RouteResult{p, audit(req)};
  }
  return std::nullopt;
}

// POST /v1/sources/{name}/messages and POST /v1/schedules: a payload parsed by the source's adapter and applied
// through the pipeline like a run with origin push, answered with a receipt.
HttpResponse PushRoutes::push_message(const HttpRequest& req, const Identity& id, const SourceEntry& source,
                                      const std::string& error_key) {
  const std::string& name = source.config.name;
  const AdapterType* type = ctx_.registry ? ctx_.registry->find(source.config.type) : nullptr;
  if (type == nullptr || !type->make_parser) {
    return problem(404, "not-found", "Source takes no pushed messages",
                   "Source '" + name + "' (type " + source.config.type + ") does not accept pushed messages.");
  }
  if (auto denied = require_role(auth_, req, id, {Role::publisher, Role::admin}, "pushing messages")) return *denied;
  std::mutex* lock = nullptr;
  PayloadParser* parser = nullptr;
  {
    std::lock_guard guard(parsers_mutex_);
    auto it = parsers_.find(name);
    if (it == parsers_.end()) {
      auto made = type->make_parser(source.config);
      if (!made) {
        return problem(500, "internal", "Source cannot parse", "Source '" + name + "': " + made.error().message);
      }
      it = parsers_.emplace(name, std::make_pair(std::make_unique<std::mutex>(), std::move(*made))).first;
    }
    lock = it->second.first.get();
    parser = it->second.second.get();
  }
  const std::string started = now_rfc3339();
  std::lock_guard serial(*lock);
  auto batch = parser->parse(req.body, req.header("content-type"), ctx_.reference);
  if (!batch) {
    const int status = batch.error().status >= 400 && batch.error().status < 500 ? batch.error().status : 400;
    return problem(status, status == 415 ? "unsupported-media-type" : "invalid-message", "Message not accepted",
                   batch.error().message);
  }
  batch->snapshot = false;  // a push adds to what the source has; it never withdraws records
  const auto t0 = std::chrono::steady_clock::now();
  IngestReport report =
      ingest_batch(ctx_.store, {name, source.config.type, source.precedence}, batch, false, started, "push");
  ctx_.metrics.observe_run(name, report.run.status, report.accepted, static_cast<int>(report.rejected.size()),
                           report.unchanged, report.removed,
                           std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  if (report.accepted + report.unchanged + report.unlinked == 0 && !report.rejected.empty()) {
    return problem(422, "rejected", "Nothing in the message was accepted",
                   std::to_string(report.rejected.size()) + " record(s) rejected; see errors.", report.rejected,
                   error_key);
  }
  Json receipt = {{"source", name},
                  {"run", report.run.id},
                  {"accepted", report.accepted},
                  {"unchanged", report.unchanged},
                  {"unlinked", report.unlinked},
                  {"rejected", issues_to_json(report.rejected, error_key)},
                  {"warnings", issues_to_json(report.warnings, error_key)},
                  {"changed_items", report.changed_items}};
  return json_response(receipt);
}

// PUT /v1/inventories/{client} (replace) and POST /v1/inventories/{client}/records (upsert).
HttpResponse PushRoutes::push_inventory(const HttpRequest& req, const Identity& id, const std::string& client,
                                        bool replace) {
  const std::string what = replace ? "replacing an inventory" : "pushing inventory records";
  if (auto denied = require_role(auth_, req, id, {Role::inventory, Role::admin}, what)) return *denied;
  const Client* owner = nullptr;  // the cooperative whose inventory this is
  for (const auto& c : ctx_.config.clients) {
    if (c.name == client) owner = &c;
  }
  if (id.kind == Identity::Kind::client) {
    if (!id.client->has(Role::admin) && id.client->name != client) {
      return problem(403, "forbidden", "Not your inventory",
                     "Client '" + id.client->name + "' may push only its own inventory (/v1/inventories/" +
                         id.client->name + ").");
    }
    if (owner == nullptr || !owner->has(Role::inventory)) {
      return problem(404, "not-found", "No such cooperative",
                     "There is no client '" + client + "' with the inventory role.");
    }
  } else if (!valid_client_name(client)) {
    return problem(404, "not-found", "No such cooperative",
                   "'" + client + "' is not a client name (a-z, 0-9, '-', '_', '.').");
  }
  if (ctx_.push_store == nullptr) {
    return problem(503, "unavailable", "Inventories unavailable", "This gateway keeps no inventories.");
  }
  const InventoryParser* parser = ctx_.registry ? ctx_.registry->inventory_parser() : nullptr;
  if (parser == nullptr) {
    return problem(503, "unavailable", "Inventories unavailable", "No inventory receiver is registered.");
  }
  auto batch = parser->parse(req.body, req.header("content-type"));
  if (!batch) {
    const int status = batch.error().status == 415 ? 415 : 400;
    return problem(status, status == 415 ? "unsupported-media-type" : "invalid-inventory", "Inventory not accepted",
                   batch.error().message);
  }
  const std::string& key = batch->where_key;
  std::vector<Issue> rejected = batch->rejected;
  std::vector<Issue> out_of_scope;
  std::vector<SystemRecord> accepted;
  std::map<std::string, std::string> seen;  // municipality/category/product → where first seen
  int rejected_records = static_cast<int>(batch->rejected.size());
  const std::string now = now_rfc3339();
  for (const auto& entry : batch->records) {
    const Json& m = entry.record.contains("municipality") ? entry.record["municipality"] : Json();
    if (owner != nullptr && m.is_string() && !owner->covers(m.get<std::string>())) {
      out_of_scope.push_back(locate(entry.where, key,
                                    {"/municipality", "kommunenummer '" + m.get<std::string>() +
                                                          "' is outside the municipalities of '" + client + "'"}));
      continue;
    }
    std::vector<Issue> problems;
    auto record = check_system_record(entry.record, ctx_.reference, problems);
    if (!record) {
      ++rejected_records;
      for (const auto& p : problems) rejected.push_back(locate(entry.where, key, p));
      continue;
    }
    const std::string identity = record->municipality + "\n" + record->category + "\n" + record->product;
    if (auto [it, fresh] = seen.emplace(identity, entry.where); !fresh) {
      ++rejected_records;
      rejected.push_back({entry.where, "the same municipality, category and product as " +
                                           std::string(key == "row" ? "row " : "") + it->second});
      continue;
    }
    record->reported_by = client;
    record->reported_at = now;
    accepted.push_back(std::move(*record));
  }
  if (!out_of_scope.empty()) {
    return with_counts(
        problem(403, "out-of-scope", "Records outside the cooperative's municipalities",
                std::to_string(out_of_scope.size()) + " record(s) name municipalities outside the scope of '" + client +
                    "'; nothing was stored.",
                out_of_scope, key),
        0, static_cast<int>(out_of_scope.size()));
  }
  if (rejected_records > 0 && (replace || accepted.empty())) {
    return with_counts(problem(422, "rejected", "Inventory not stored",
                               std::to_string(rejected_records) + " record(s) rejected; " +
                                   (replace ? "a full inventory replaces the stored one only when every record is "
                                              "valid, so nothing was stored."
                                            : "nothing was stored."),
                               rejected, key),
                       0, rejected_records);
  }
  {
    std::lock_guard lock(inventory_mutex_);
    if (replace) {
      ctx_.push_store->replace_systems(client, accepted);
    } else {
      ctx_.push_store->upsert_systems(accepted);
    }
  }
  return json_response({{"client", client},
                        {"replaced", replace},
                        {"accepted", static_cast<int>(accepted.size())},
                        {"rejected", rejected_records},
                        {"errors", issues_to_json(rejected, key)}});
}

HttpResponse PushRoutes::systems(const std::string& municipality) {
  const Municipality* m = ctx_.reference.municipality(municipality);
  if (m == nullptr) {
    return problem(404, "not-found", "No such municipality", "There is no kommunenummer '" + municipality + "'.");
  }
  if (ctx_.push_store == nullptr) {
    return problem(503, "unavailable", "Inventories unavailable", "This gateway keeps no inventories.");
  }
  Json list = Json::array();
  for (const auto& r : ctx_.push_store->systems_of(municipality)) list.push_back(r);
  return json_response({{"municipality", m->number}, {"name", m->name}, {"systems", std::move(list)}});
}

// GET /v1/audit?limit=&cursor=: newest first.
HttpResponse PushRoutes::audit(const HttpRequest& req) {
  std::vector<Issue> errors;
  int limit = kDefaultAuditLimit;
  std::int64_t before = 0;
  for (const auto& [k, v] : req.query) {
    if (k == "limit") {
      const bool digits = !v.empty() && v.size() <= 4 && v.find_first_not_of("0123456789") == std::string::npos;
      limit = digits ? std::stoi(v) : 0;
      if (limit < 1 || limit > kMaxAuditLimit) {
        errors.push_back({"limit", "expected an integer from 1 to " + std::to_string(kMaxAuditLimit)});
      }
    } else if (k == "cursor") {
      auto decoded = base64url_decode(v);
      const Json c = decoded ? Json::parse(*decoded, nullptr, false) : Json();
      if (!c.is_object() || !c.contains("before") || !c["before"].is_number_integer()) {
        errors.push_back({"cursor", "not a cursor this server issued; use next_cursor from the previous page"});
      } else {
        before = c["before"].get<std::int64_t>();
      }
    } else {
      errors.push_back({k, "unknown query parameter"});
    }
  }
  if (!errors.empty()) {
    return problem(400, "invalid-query", "Invalid query parameters", "One or more query parameters are invalid.",
                   errors);
  }
  if (ctx_.push_store == nullptr) {
    return problem(503, "unavailable", "Audit log unavailable", "This gateway keeps no audit log.");
  }
  auto entries = ctx_.push_store->audit(before, limit + 1);
  Json next;
  if (static_cast<int>(entries.size()) > limit) {
    entries.resize(static_cast<std::size_t>(limit));
    next = base64url_encode(Json({{"before", entries.back().id}}).dump());
  }
  Json list = Json::array();
  for (const auto& e : entries) list.push_back(audit_to_json(e));
  return json_response({{"entries", std::move(list)}, {"next_cursor", next}});
}

RouteResult PushRoutes::guard(const HttpRequest& req, const std::function<RouteResult()>& next) {
  const bool operational = req.path == "/healthz" || req.path == "/readyz" || req.path == "/metrics";
  const Identity id = auth_.identify(req);
  if (limiter_.enabled() && !operational) {
    const std::string caller =
        id.kind == Identity::Kind::client ? "client:" + id.client->name : "address:" + req.remote_address;
    if (auto wait = limiter_.take(caller)) {
      auto r = problem(429, "rate-limited", "Too many requests",
                       "More than the allowed request rate; retry after " + std::to_string(wait->count()) + " s.");
      r.set_header("Retry-After", std::to_string(wait->count()));
      return {"rate-limited", std::move(r)};
    }
  }
  const std::string key = req.header("idempotency-key");
  const bool write = req.method == "POST" || req.method == "PUT" || req.method == "PATCH" || req.method == "DELETE";
  if (key.empty() || !write || id.kind == Identity::Kind::invalid || ctx_.push_store == nullptr) return next();
  return idempotent(req, id, key, next);
}

RouteResult PushRoutes::idempotent(const HttpRequest& req, const Identity& id, const std::string& key,
                                   const std::function<RouteResult()>& next) {
  std::string route = push_route_name(req.path);
  if (route.empty()) route = "idempotent";
  if (!valid_idempotency_key(key)) {
    return {route, problem(400, "invalid-idempotency-key", "Invalid Idempotency-Key",
                           "An Idempotency-Key is 1 to 255 visible ASCII characters.")};
  }
  // Keys belong to a caller: the same key from two clients names two requests.
  std::string actor = actor_name(req, id);
  if (id.kind != Identity::Kind::client) actor += "@" + req.remote_address;
  const std::string hash =
      sha256_hex(req.method + " " + req.target + "\n" + req.header("content-type") + "\n" + req.body);
  const std::string slot = actor + "\n" + key;
  auto in_progress = [&] {
    auto r = problem(409, "idempotency-key-in-use", "Request in progress",
                     "A request with this Idempotency-Key is still being handled; retry once it is answered.");
    r.set_header("Retry-After", "1");
    return RouteResult{route, std::move(r)};
  };
  {
    std::lock_guard lock(inflight_mutex_);
    if (!inflight_.insert(slot).second) return in_progress();
  }
  struct Release {
    PushRoutes* self;
    const std::string& slot;
    ~Release() {
      std::lock_guard lock(self->inflight_mutex_);
      self->inflight_.erase(slot);
    }
  } release{this, slot};

  auto stored = ctx_.push_store->claim_idempotency_key(actor, key, hash, ctx_.config.idempotency_retention);
  if (stored) {
    if (stored->request_hash != hash) {
      return {route, problem(422, "idempotency-key-reused", "Idempotency-Key reused",
                             "This Idempotency-Key was already used for a different request (method, path or body); "
                             "use a new key for a new request.")};
    }
    if (stored->pending) return in_progress();
    HttpResponse r;
    r.status = stored->status;
    if (!stored->content_type.empty()) r.set_header("Content-Type", stored->content_type);
    r.body = stored->body;
    r.set_header("Idempotent-Replayed", "true");
    return {route, std::move(r)};
  }
  RouteResult result;
  try {
    result = next();
  } catch (...) {
    ctx_.push_store->release_idempotency_key(actor, key);
    throw;
  }
  const int status = result.second.status;
  if (status >= 500 || status == 401 || status == 429 || result.second.stream) {
    ctx_.push_store->release_idempotency_key(actor, key);  // not an answer worth repeating: retry may differ
  } else {
    ctx_.push_store->complete_idempotency_key(actor, key, status, result.second.header("content-type"),
                                              result.second.body);
  }
  return result;
}

void PushRoutes::record(const HttpRequest& req, const std::string& request_id, const std::string& route,
                        HttpResponse& response) {
  response.set_header("X-Request-Id", request_id);
  const bool audited = !is_read(req.method) || route == "/v1/audit";
  if (ctx_.push_store == nullptr || !audited || route == "unmatched" || route == "rate-limited") return;
  const Identity id = auth_.identify(req);
  AuditEntry e;
  e.at = now_rfc3339();
  e.request_id = request_id;
  e.client = id.kind == Identity::Kind::invalid ? "invalid-key" : actor_name(req, id);
  e.remote_address = req.remote_address;
  e.method = req.method;
  e.route = route;
  e.path = req.path;
  e.status = response.status;
  e.replayed = response.header("idempotent-replayed") == "true";
  const Json body = response.header("content-type").find("json") != std::string::npos
                        ? Json::parse(response.body, nullptr, false)
                        : Json();
  if (body.is_object()) {
    if (body.contains("accepted") && body["accepted"].is_number_integer()) e.accepted = body["accepted"].get<int>();
    if (body.contains("rejected") && body["rejected"].is_number_integer()) e.rejected = body["rejected"].get<int>();
    if (body.contains("rejected") && body["rejected"].is_array())
      e.rejected = static_cast<int>(body["rejected"].size());
    if (!e.rejected && body.contains("errors") && body["errors"].is_array() && !push_route_name(req.path).empty()) {
      e.rejected = static_cast<int>(body["errors"].size());
    }
  }
  try {
    ctx_.push_store->append_audit(e);
    prune_audit();
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "veikart: audit entry for %s %s not written: %s\n", req.method.c_str(), req.path.c_str(),
                 ex.what());
  }
}

void PushRoutes::prune_audit() {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(prune_mutex_);
    if (last_audit_prune_ && now - *last_audit_prune_ < std::chrono::hours(1)) return;
    last_audit_prune_ = now;
  }
  ctx_.push_store->prune_audit(to_rfc3339(std::chrono::system_clock::now() - ctx_.config.audit_retention));
}

}  // namespace veikart

#include "gateway/api/subscriptions_api.hpp"

#include <algorithm>
#include <chrono>
#include <set>

#include "gateway/api/problem.hpp"
#include "gateway/core/crypto.hpp"
#include "gateway/core/fetch.hpp"
#include "gateway/core/text.hpp"
#include "gateway/subscriptions/webhooks.hpp"

namespace veikart {
namespace {

constexpr std::size_t kMaxUrl = 2048;
constexpr std::size_t kMaxDescription = 500;

HttpResponse method_not_allowed(const std::string& allow) {
  auto r = problem(405, "method-not-allowed", "Method not allowed", "Use " + allow + " here.");
  r.set_header("Allow", allow);
  return r;
}

std::string iso_ms(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Json subscription_json(const Subscription& s) {
  return {{"id", s.id},           {"url", s.url},
          {"filters", s.filters}, {"description", s.description},
          {"status", s.status},   {"status_reason", s.status_reason.empty() ? Json() : Json(s.status_reason)},
          {"owner", s.owner},     {"created_at", s.created_at}};
}

Json delivery_json(const Delivery& d) {
  Json event = Json::parse(d.payload, nullptr, false);
  return {{"id", d.id},
          {"event_type", d.event_type},
          {"seq", d.seq == 0 ? Json() : Json(d.seq)},
          {"status", d.status},
          {"attempts", d.attempts},
          {"next_attempt_at", d.status == "pending" ? Json(iso_ms(d.next_attempt_ms)) : Json()},
          {"created_at", d.created_at},
          {"last_attempt_at", d.last_attempt_at.empty() ? Json() : Json(d.last_attempt_at)},
          {"last_status", d.last_status == 0 ? Json() : Json(d.last_status)},
          {"last_error", d.last_error.empty() ? Json() : Json(d.last_error)},
          {"event", event.is_discarded() ? Json() : event}};
}

std::string lower(std::string_view s) {
  std::string out(trim(s));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool allowed_host(const WebhookSettings& settings, const std::string& host) {
  return std::any_of(settings.allow_hosts.begin(), settings.allow_hosts.end(),
                     [&](const std::string& h) { return lower(h) == lower(host); });
}

// Where deliveries may go: https to a public host, or a host the config allows. Names are checked again after
// DNS resolution at every delivery; literal addresses can be refused here already.
std::optional<std::string> check_url(const WebhookSettings& settings, const std::string& url) {
  if (url.size() > kMaxUrl) return "longer than " + std::to_string(kMaxUrl) + " characters";
  auto parsed = parse_url(url);
  if (!parsed) return parsed.error().message;
  const bool allowed = allowed_host(settings, parsed->host);
  if (parsed->scheme != "https" && !allowed) return "webhook URLs must use https";
  const bool literal = std::all_of(parsed->host.begin(), parsed->host.end(),
                                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; }) ||
                       parsed->host.find(':') != std::string::npos;
  if (literal && !allowed && !is_public_address(parsed->host)) {
    return "the address " + parsed->host + " is not public; deliveries go only to public addresses";
  }
  if (!allowed && (parsed->host == "localhost" || parsed->host.ends_with(".localhost"))) {
    return "deliveries go only to public hosts";
  }
  return std::nullopt;
}

HttpResponse create(const HttpRequest& req, const SubscriptionCaller& caller, Store& store,
                    const WebhookSettings& settings, const FilterCheck& check_filters) {
  const std::string type = lower(req.header("content-type").substr(0, req.header("content-type").find(';')));
  if (type != "application/json") {
    return problem(415, "unsupported-media-type", "Unsupported media type",
                   "Send the subscription as application/json.");
  }
  const Json body = Json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return problem(400, "invalid-json", "Invalid JSON", "The body must be a JSON object {url, filters, description}.");
  }
  std::vector<Issue> errors;
  static const std::set<std::string> kFields = {"url", "filters", "description"};
  for (const auto& [key, _] : body.items()) {
    if (!kFields.count(key)) errors.push_back({"/" + escape_pointer_token(key), "unknown field"});
  }
  std::string url;
  if (!body.contains("url") || !body["url"].is_string()) {
    errors.push_back({"/url", "required: the https URL to deliver to"});
  } else {
    url = body["url"].get<std::string>();
    if (auto why = check_url(settings, url)) errors.push_back({"/url", *why});
  }
  Json filters = body.value("filters", Json::object());
  if (!filters.is_object()) {
    errors.push_back({"/filters", "expected an object of roadmap filters"});
  } else {
    for (auto& issue : check_filters(filters)) errors.push_back(std::move(issue));
  }
  std::string description;
  if (body.contains("description")) {
    if (!body["description"].is_string() || body["description"].get<std::string>().size() > kMaxDescription) {
      errors.push_back({"/description", "expected a string of at most " + std::to_string(kMaxDescription) + " bytes"});
    } else {
      description = body["description"].get<std::string>();
    }
  }
  if (!errors.empty()) {
    return problem(422, "invalid-subscription", "Invalid subscription", "The subscription has invalid fields.", errors,
                   "pointer");
  }
  if (static_cast<int>(store.subscriptions(caller.owner).size()) >= settings.max_per_owner) {
    return problem(409, "too-many-subscriptions", "Too many subscriptions",
                   "Client '" + caller.owner + "' already has " + std::to_string(settings.max_per_owner) +
                       " subscriptions; delete one first.");
  }
  Subscription sub;
  sub.id = new_random_id("sub_");
  sub.owner = caller.owner;
  sub.url = url;
  sub.filters = filters;
  sub.description = description;
  sub.secret = new_webhook_secret();
  sub.status = "pending";
  sub.created_at = now_rfc3339();
  sub.cursor = store.sequence();  // events from now on; changes before it are in /v1/changes

  Delivery verify;
  verify.id = new_random_id("msg_");
  verify.subscription_id = sub.id;
  verify.event_type = "subscription.verify";
  verify.payload =
      Json({{"type", "subscription.verify"},
            {"timestamp", sub.created_at},
            {"data", {{"subscription", sub.id}, {"url", sub.url}, {"challenge", base64url_encode(random_bytes(18))}}}})
          .dump();
  verify.status = "pending";
  verify.next_attempt_ms = now_ms();
  verify.created_at = sub.created_at;
  store.add_subscription(sub, verify);

  Json out = subscription_json(sub);
  out["secret"] = sub.secret;  // shown this once
  auto r = json_response(out, 201);
  r.set_header("Location", "/v1/subscriptions/" + sub.id);
  return r;
}

HttpResponse list_deliveries(const HttpRequest& req, const Subscription& sub, Store& store) {
  DeliveryQuery q;
  q.subscription_id = sub.id;
  std::vector<Issue> errors;
  for (const auto& [k, v] : req.query) {
    if (k == "status") {
      if (v != "pending" && v != "delivered" && v != "failed") {
        errors.push_back({"status", "expected pending, delivered or failed, got '" + v + "'"});
      }
      q.status = v;
    } else if (k == "limit") {
      const bool digits = !v.empty() && v.size() <= 4 && std::all_of(v.begin(), v.end(), ::isdigit);
      const int n = digits ? std::stoi(v) : 0;
      if (n < 1 || n > 1000) errors.push_back({"limit", "expected an integer from 1 to 1000, got '" + v + "'"});
      q.limit = std::clamp(n, 1, 1000);
    } else if (k == "cursor") {
      auto decoded = base64url_decode(v);
      const bool digits = decoded && !decoded->empty() && decoded->size() <= 18 &&
                          std::all_of(decoded->begin(), decoded->end(), ::isdigit);
      if (!digits) {
        errors.push_back({"cursor", "not a cursor this server issued"});
      } else {
        q.after_row = std::stoll(*decoded);
      }
    } else {
      errors.push_back({k, "unknown query parameter"});
    }
  }
  if (!errors.empty()) {
    return problem(400, "invalid-query", "Invalid query parameters", "One or more query parameters are invalid.",
                   errors);
  }
  const int wanted = q.limit;
  q.limit = wanted + 1;
  auto list = store.deliveries(q);
  Json items = Json::array();
  for (int i = 0; i < static_cast<int>(list.size()) && i < wanted; ++i) items.push_back(delivery_json(list[i]));
  Json next;
  if (static_cast<int>(list.size()) > wanted) next = base64url_encode(std::to_string(list[wanted - 1].row));
  return json_response({{"deliveries", items}, {"next_cursor", next}});
}

}  // namespace

std::pair<std::string, HttpResponse> handle_subscriptions(const HttpRequest& req, const SubscriptionCaller& caller,
                                                          Store& store, const WebhookSettings& settings,
                                                          const FilterCheck& check_filters) {
  const std::string& p = req.path;
  const bool read = req.method == "GET" || req.method == "HEAD";
  if (p == "/v1/subscriptions") {
    const std::string route = "/v1/subscriptions";
    if (req.method == "POST") return {route, create(req, caller, store, settings, check_filters)};
    if (!read) return {route, method_not_allowed("GET, HEAD, POST")};
    Json list = Json::array();
    for (const auto& s : store.subscriptions(caller.admin ? std::nullopt : std::optional(caller.owner))) {
      list.push_back(subscription_json(s));
    }
    return {route, json_response({{"subscriptions", list}})};
  }
  // /v1/subscriptions/{id}[/deliveries[/{delivery}/replay]]
  const std::vector<std::string> parts = split_list(p.substr(std::string("/v1/subscriptions/").size()), "/");
  auto sub = parts.empty() ? std::nullopt : store.subscription(parts[0]);
  // Another client's subscription is reported as absent, so ids cannot be probed.
  if (sub && !caller.admin && sub->owner != caller.owner) sub.reset();
  const auto not_found = [&] {
    return problem(404, "not-found", "No such subscription",
                   "There is no subscription '" + (parts.empty() ? std::string() : parts[0]) + "' for this client.");
  };
  if (parts.size() == 1) {
    const std::string route = "/v1/subscriptions/{id}";
    if (req.method != "DELETE" && !read) return {route, method_not_allowed("GET, HEAD, DELETE")};
    if (!sub) return {route, not_found()};
    if (read) return {route, json_response(subscription_json(*sub))};
    store.delete_subscription(sub->id);
    HttpResponse r;
    r.status = 204;
    return {route, r};
  }
  if (parts.size() == 2 && parts[1] == "deliveries") {
    const std::string route = "/v1/subscriptions/{id}/deliveries";
    if (!read) return {route, method_not_allowed("GET, HEAD")};
    if (!sub) return {route, not_found()};
    return {route, list_deliveries(req, *sub, store)};
  }
  if (parts.size() == 4 && parts[1] == "deliveries" && parts[3] == "replay") {
    const std::string route = "/v1/subscriptions/{id}/deliveries/{delivery}/replay";
    if (req.method != "POST") return {route, method_not_allowed("POST")};
    if (!sub) return {route, not_found()};
    auto d = store.delivery(sub->id, parts[2]);
    if (!d) {
      return {route, problem(404, "not-found", "No such delivery",
                             "Subscription '" + sub->id + "' has no delivery '" + parts[2] + "'.")};
    }
    if (sub->status == "disabled") {
      return {route, problem(409, "subscription-disabled", "Subscription disabled",
                             "Subscription '" + sub->id + "' is disabled (" + sub->status_reason +
                                 "); create a new one to receive events again.")};
    }
    if (d->status == "pending") {
      return {route, problem(409, "already-pending", "Delivery already pending",
                             "Delivery '" + d->id + "' is already waiting to be sent.")};
    }
    d->status = "pending";
    d->attempts = 0;
    d->next_attempt_ms = now_ms();
    store.update_delivery(*d);
    return {route, json_response(delivery_json(*d), 202)};
  }
  return {"unmatched", problem(404, "not-found", "Not found", "No route for '" + p + "'.")};
}

}  // namespace veikart

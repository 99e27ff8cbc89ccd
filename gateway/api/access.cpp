#include "gateway/api/access.hpp"

#include "gateway/api/problem.hpp"

namespace veikart {

HttpResponse unauthorized(const std::string& detail, bool bad_token) {
  auto r = problem(401, "unauthorized", "Authentication required", detail);
  r.set_header("WWW-Authenticate",
               bad_token ? "Bearer realm=\"veikart\", error=\"invalid_token\"" : "Bearer realm=\"veikart\"");
  return r;
}

std::optional<HttpResponse> require_feed(const GatewayConfig& config, const Identity& id) {
  if (id.kind == Identity::Kind::invalid) return unauthorized(id.problem, true);
  if (config.feed_access == GatewayConfig::FeedAccess::everyone) return std::nullopt;
  if (id.kind == Identity::Kind::anonymous) {
    return unauthorized("Reading this feed needs an API key with the reader role.", false);
  }
  if (id.client->has(Role::reader) || id.client->has(Role::admin)) return std::nullopt;
  return problem(403, "forbidden", "Not allowed",
                 "Client '" + id.client->name + "' does not have the reader role needed to read the feed.");
}

std::optional<HttpResponse> require_role(const Authenticator& auth, const HttpRequest& req, const Identity& id,
                                         std::initializer_list<Role> roles, const std::string& what) {
  if (id.kind == Identity::Kind::invalid) return unauthorized(id.problem, true);
  if (!auth.has_clients()) {
    if (is_loopback_address(req.remote_address)) return std::nullopt;
    return problem(403, "forbidden", "Only from this machine",
                   what + " is accepted only from this machine until API clients are configured.");
  }
  if (id.kind == Identity::Kind::anonymous) return unauthorized(what + " needs an API key.", false);
  for (const Role r : roles) {
    if (id.client->has(r)) return std::nullopt;
  }
  return problem(403, "forbidden", "Not allowed",
                 "Client '" + id.client->name + "' does not have a role that allows " + what + ".");
}

std::string actor_name(const HttpRequest& req, const Identity& id) {
  if (id.kind == Identity::Kind::client) return id.client->name;
  if (id.kind == Identity::Kind::anonymous && is_loopback_address(req.remote_address)) return "loopback";
  return "anonymous";
}

}  // namespace veikart

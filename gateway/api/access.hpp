#pragma once
/// @brief Who may call a route: 401 for missing or bad credentials, 403 for a known client without the role.
/// Shared by the feed routes (api.cpp) and the push routes (push.cpp).

#include <initializer_list>
#include <optional>
#include <string>

#include "gateway/auth/auth.hpp"
#include "gateway/config/config.hpp"
#include "gateway/http/http_types.hpp"

namespace veikart {

/// 401 with WWW-Authenticate (error="invalid_token" when a key was presented and refused).
HttpResponse unauthorized(const std::string& detail, bool bad_token);

/// Reading the feed: open to all, or to clients with the reader (or admin) role when feed_access is readers.
std::optional<HttpResponse> require_feed(const GatewayConfig& config, const Identity& id);

/// Writing: a client with one of the roles; with no clients configured, only processes on this machine.
std::optional<HttpResponse> require_role(const Authenticator& auth, const HttpRequest& req, const Identity& id,
                                         std::initializer_list<Role> roles, const std::string& what);

/// The name a request acts under: the client's name, "loopback" (no clients configured, this machine) or
/// "anonymous".
std::string actor_name(const HttpRequest& req, const Identity& id);

}  // namespace veikart

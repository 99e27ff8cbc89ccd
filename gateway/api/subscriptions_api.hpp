#pragma once
/// @brief The webhook subscription routes: /v1/subscriptions, /v1/subscriptions/{id}, its deliveries and replays.

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/http/http_types.hpp"
#include "gateway/store/store.hpp"
#include "gateway/subscriptions/settings.hpp"

namespace veikart {

/// Who manages subscriptions: clients see their own; admins (and this machine without configured clients) all.
struct SubscriptionCaller {
  std::string owner;
  bool admin = false;
};

/// Checks a subscription's filters object the way the feed checks its query; returns problems with pointers.
using FilterCheck = std::function<std::vector<Issue>(const Json& filters)>;

/// Handles a request whose path starts with /v1/subscriptions (authorisation already done); returns the route
/// template (for metrics) and the response.
std::pair<std::string, HttpResponse> handle_subscriptions(const HttpRequest& request, const SubscriptionCaller& caller,
                                                          Store& store, const WebhookSettings& settings,
                                                          const FilterCheck& check_filters);

}  // namespace veikart

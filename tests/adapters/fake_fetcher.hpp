#pragma once
/// @brief An in-test HttpFetcher: answers each request with a handler and records what was sent; and a helper
/// that runs an adapter's pull to completion.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <vector>

#include "gateway/core/adapter.hpp"

namespace veikart::testing {

class FakeFetcher : public HttpFetcher {
 public:
  using Handler = std::function<Expected<FetchResponse>(const FetchRequest&)>;
  explicit FakeFetcher(Handler handler) : handler_(std::move(handler)) {}
  boost::asio::awaitable<Expected<FetchResponse>> fetch(FetchRequest request) override {
    requests.push_back(request);
    co_return handler_(request);
  }
  std::vector<FetchRequest> requests;

 private:
  Handler handler_;
};

inline FetchResponse json_response(int status, std::string body, std::string type = "application/json") {
  FetchResponse r;
  r.status = status;
  r.headers = {{"content-type", std::move(type)}};
  r.body = std::move(body);
  return r;
}

inline std::string header_of(const FetchRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k.size() == name.size() && std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        }))
      return v;
  }
  return {};
}

inline boost::asio::awaitable<void> pull_into(SourceAdapter* adapter, PullContext* ctx, Expected<Batch>* out) {
  *out = co_await adapter->pull(*ctx);
}

inline Expected<Batch> run_pull(SourceAdapter& adapter, const Reference& reference, HttpFetcher* http) {
  boost::asio::io_context io;
  PullContext ctx{reference, {}, http};
  Expected<Batch> out = Error{"not run"};
  boost::asio::co_spawn(io, pull_into(&adapter, &ctx, &out), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  return out;
}

inline Reference small_reference() {
  Reference ref;
  ref.add_municipality({"4204", "Kristiansand", "42"});
  ref.add_municipality({"1103", "Stavanger", "11"});
  ref.add_network({"digi-agder", "Digi Agder", {"42"}, {}});
  ref.add_network({"digi-rogaland", "Digi Rogaland", {"11"}, {}});
  ref.add_theme({"e-health", "E-helse", {"Helse"}});
  return ref;
}

}  // namespace veikart::testing

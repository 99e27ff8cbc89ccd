#pragma once
/// @brief A real HttpServer on 127.0.0.1 (port 0) with its own I/O thread and blocking pool, for tests.

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <thread>

#include "gateway/http/server.hpp"

namespace veikart::testing {

class LoopbackServer {
 public:
  /// `configure` runs before the server listens (TLS, push routes); it may throw.
  LoopbackServer(HttpServer::Handler handler, Limits limits, const std::function<void(HttpServer&)>& configure = {})
      : server_(std::make_unique<HttpServer>(io_, pool_, std::move(handler), limits, nullptr)) {
    if (configure) configure(*server_);
    server_->listen("127.0.0.1", 0);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~LoopbackServer() {
    server_->stop();
    io_.stop();
    if (thread_.joinable()) thread_.join();
    pool_.join();
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  std::uint16_t port() const { return server_->port(); }

 private:
  boost::asio::io_context io_;
  boost::asio::thread_pool pool_{2};
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

}  // namespace veikart::testing

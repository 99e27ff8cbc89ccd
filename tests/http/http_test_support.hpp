#pragma once
/// @brief A seeded store and API for the HTTP tests, and a raw-socket client for talking to a real server.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <chrono>
#include <string>

#include "gateway/api/api.hpp"
#include "gateway/pipeline/ingest.hpp"
#include "test_support.hpp"

namespace veikart::testing {

inline Reference api_reference() {
  Reference ref;
  ref.add_municipality({"4204", "Kristiansand", "42"});
  ref.add_municipality({"4203", "Arendal", "42"});
  ref.add_municipality({"1103", "Stavanger", "11"});
  ref.add_municipality({"5001", "Trondheim", "50"});
  ref.add_network({"digi-agder", "Digi Agder", {"42"}, {}});
  ref.add_network({"digi-rogaland", "Digi Rogaland", {"11"}, {}});
  ref.add_network({"digi-trondelag", "Digi Trøndelag", {"50"}, {}});
  ref.add_theme({"e-health", "E-helse", {}});
  ref.add_theme({"education", "Oppvekst", {}});
  return ref;
}

/// Fields for item number i: networks, themes, statuses and dates vary with i so filters have something to find.
inline Json seeded_fields(int i) {
  const char* networks[] = {"digi-agder", "digi-rogaland", "digi-trondelag"};
  const std::string network = networks[i % 3];
  Json f = {{"title", "Prosjekt " + std::to_string(i) + " – blåbær"},
            {"kind", i % 4 == 0 ? "national_solution" : "regional_project"},
            {"status", i % 2 == 0 ? "rolling_out" : "idea"},
            {"owner", {{"type", "network"}, {"id", network}, {"name", network}}},
            {"networks", {network}},
            {"themes", {i % 2 == 0 ? "e-health" : "education"}},
            {"municipalities", i % 3 == 0 ? Json{"4204"} : Json::array()},
            {"milestones",
             {{{"name", "Innføring"},
               {"kind", "rollout_start"},
               {"date", std::to_string(2024 + i % 5) + "-09-01"},
               {"precision", "quarter"},
               {"label", "Q3 " + std::to_string(2024 + i % 5)}}}}};
  return f;
}

class SeededApi {
 public:
  explicit SeededApi(int items) : reference_(api_reference()) {
    store_ = open_sqlite_store(dir_.path().string());
    SourceEntry entry;
    entry.config = SourceConfig{"demo-source", "spreadsheet", Json::object(), dir_.path()};
    entry.interval = std::chrono::seconds(300);
    config_.sources.push_back(entry);
    Batch batch;
    for (int i = 0; i < items; ++i) {
      const std::string id = "demo:p" + std::string(i < 10 ? "00" : (i < 100 ? "0" : "")) + std::to_string(i);
      batch.fragments.push_back({id, id, "row " + std::to_string(i + 2), seeded_fields(i), ""});
    }
    batch.rejected.push_back({"row 99", "column 'Oppstart': cannot read date 'snart'"});
    ingest_batch(*store_, {"demo-source", "spreadsheet", 100}, Expected<Batch>(batch), false, now_rfc3339());
    api_ = std::make_unique<Api>(ApiContext{*store_, config_, reference_, metrics_});
  }

  HttpResponse get(const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest r;
    r.method = "GET";
    parse_target(r, target);
    r.headers = std::move(headers);
    return api_->handle(r);
  }
  HttpResponse request(const std::string& method, const std::string& target) {
    HttpRequest r;
    r.method = method;
    parse_target(r, target);
    return api_->handle(r);
  }

  Store& store() { return *store_; }
  Api& api() { return *api_; }
  Metrics& metrics() { return metrics_; }
  GatewayConfig& config() { return config_; }
  const Reference& reference() const { return reference_; }

 private:
  TempDir dir_;
  Reference reference_;
  GatewayConfig config_;
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Api> api_;
};

/// A blocking loopback client for raw HTTP/1.1 exchanges with a server under test.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() { close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  bool send_all(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  /// Reads until the peer closes or `timeout` passes.
  std::string read_all(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      const int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
      if (poll(&p, 1, std::max(left, 1)) <= 0) break;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
  /// Reads one response with a Content-Length body.
  std::string read_response(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[65536];
    while (std::chrono::steady_clock::now() < deadline) {
      const auto end = out.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0;
        const auto cl = out.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) length = std::stoul(out.substr(cl + 16));
        if (out.size() >= end + 4 + length) return out;
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

/// A loopback port that was free a moment ago (for programs that must be told their port).
inline std::uint16_t free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// Runs `veikart serve` on <dir>/gw.yaml in a child process, its stderr in <dir>/serve.log.
inline pid_t start_serve(const std::filesystem::path& dir, std::uint16_t port) {
  const pid_t child = fork();
  if (child == 0) {
    const std::string listen = "127.0.0.1:" + std::to_string(port);
    const std::string cfg = (dir / "gw.yaml").string();
    const std::string log = (dir / "serve.log").string();
    std::freopen(log.c_str(), "w", stderr);
    execl(VEIKART_BINARY, VEIKART_BINARY, "serve", "--config", cfg.c_str(), "--listen", listen.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  return child;
}

inline int status_of(const std::string& raw) {
  if (raw.size() < 12 || raw.compare(0, 5, "HTTP/") != 0) return 0;
  return std::stoi(raw.substr(9, 3));
}

inline std::string body_of(const std::string& raw) {
  const auto end = raw.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : raw.substr(end + 4);
}

}  // namespace veikart::testing

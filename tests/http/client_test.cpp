// The outgoing HTTP(S) client against real servers on loopback: our own HttpServer for HTTP behaviour, and
// `openssl s_server` with a certificate made in the test for TLS verification.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include "gateway/http/client.hpp"
#include "gateway/http/http_types.hpp"
#include "gateway/http/server.hpp"
#include "http_test_support.hpp"

namespace veikart {
namespace {

namespace asio = boost::asio;

// An HttpServer on 127.0.0.1:0 whose handler the test sets.
class Upstream {
 public:
  explicit Upstream(HttpServer::Handler handler) {
    Limits limits;
    limits.request_timeout = std::chrono::seconds(5);
    server_ = std::make_unique<HttpServer>(io_, pool_, std::move(handler), limits, nullptr);
    server_->listen("127.0.0.1", 0);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Upstream() {
    server_->stop();
    io_.stop();
    thread_.join();
    pool_.join();
  }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }
  std::uint16_t port() const { return server_->port(); }

 private:
  asio::io_context io_;
  asio::thread_pool pool_{2};
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

asio::awaitable<void> fetch_into(HttpFetcher& client, FetchRequest request,
                                 std::optional<Expected<FetchResponse>>* out) {
  *out = co_await client.fetch(std::move(request));
}

Expected<FetchResponse> run(HttpFetcher& client, FetchRequest request) {
  asio::io_context io;
  std::optional<Expected<FetchResponse>> out;
  asio::co_spawn(io, fetch_into(client, std::move(request), &out), asio::detached);
  io.run();
  return out ? std::move(*out) : Expected<FetchResponse>(Error{"fetch did not complete"});
}

Expected<FetchResponse> get(HttpFetcher& client, const std::string& url) {
  FetchRequest r;
  r.url = url;
  return run(client, r);
}

HttpResponse text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.set_header("Content-Type", "text/plain");
  return r;
}

HttpClientOptions loopback_options() {
  HttpClientOptions o;
  o.connect_timeout = std::chrono::seconds(2);
  o.read_timeout = std::chrono::seconds(2);
  o.total_timeout = std::chrono::seconds(5);
  return o;
}

TEST(HttpClientTest, SendsMethodHeadersAndBodyAndReadsTheAnswer) {
  HttpRequest seen;
  Upstream up([&](const HttpRequest& r) {
    seen = r;
    auto out = text(201, "created");
    out.set_header("ETag", "\"v1\"");
    return out;
  });
  auto client = make_http_client(loopback_options());
  FetchRequest r;
  r.method = "POST";
  r.url = up.url("/token?x=1");
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"IntegrasjonId", "abc"}};
  r.body = "grant_type=x";
  auto res = run(*client, r);
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->body, "created");
  EXPECT_EQ(res->header("etag"), "\"v1\"");
  EXPECT_EQ(res->url, up.url("/token?x=1"));
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.path, "/token");
  EXPECT_EQ(seen.body, "grant_type=x");
  EXPECT_EQ(seen.header("integrasjonid"), "abc");
  EXPECT_EQ(seen.header("accept-encoding"), "gzip");
}

TEST(HttpClientTest, DecodesGzipBodies) {
  const std::string plain(20000, 'x');
  Upstream up([&](const HttpRequest&) {
    auto out = text(200, gzip_compress(plain));
    out.set_header("Content-Encoding", "gzip");
    return out;
  });
  auto client = make_http_client(loopback_options());
  auto res = get(*client, up.url("/"));
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->body, plain);
}

TEST(HttpClientTest, RefusesBodiesOverTheCapAlsoOnceDecoded) {
  const std::string big(300000, 'y');
  Upstream up([&](const HttpRequest& r) {
    auto out = text(200, r.path == "/gz" ? gzip_compress(big) : big);
    if (r.path == "/gz") out.set_header("Content-Encoding", "gzip");
    return out;
  });
  auto options = loopback_options();
  options.max_body_bytes = 100000;
  auto client = make_http_client(options);
  auto plain = get(*client, up.url("/plain"));
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().message.find("larger than 100000 bytes"), std::string::npos) << plain.error().message;
  auto zipped = get(*client, up.url("/gz"));  // 300 kB compresses to a few hundred bytes
  ASSERT_FALSE(zipped.ok());
  EXPECT_NE(zipped.error().message.find("size cap"), std::string::npos) << zipped.error().message;
}

// A body that starts and then stalls: the read timeout ends the request.
class StallingBody : public ResponseStream {
 public:
  Chunk next() override {
    if (!started_) {
      started_ = true;
      return {"{\"results\": [", false};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return {"", false};
  }

 private:
  bool started_ = false;
};

TEST(HttpClientTest, TimesOutOnAStalledBodyAndAnAnswerThatNeverComes) {
  Upstream up([&](const HttpRequest& r) {
    if (r.path == "/slow") {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      return text(200, "late");
    }
    HttpResponse out;
    out.set_header("Content-Type", "application/json");
    out.stream = std::make_shared<StallingBody>();
    return out;
  });
  auto options = loopback_options();
  options.read_timeout = std::chrono::milliseconds(400);
  auto client = make_http_client(options);
  const auto start = std::chrono::steady_clock::now();
  auto stalled = get(*client, up.url("/stall"));
  ASSERT_FALSE(stalled.ok());
  EXPECT_NE(stalled.error().message.find("timed out"), std::string::npos) << stalled.error().message;
  auto slow = get(*client, up.url("/slow"));
  ASSERT_FALSE(slow.ok());
  EXPECT_NE(slow.error().message.find("timed out"), std::string::npos) << slow.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

TEST(HttpClientTest, TotalTimeoutBoundsTheWholeRequest) {
  Upstream up([&](const HttpRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    return text(200, "late");
  });
  auto client = make_http_client(loopback_options());
  FetchRequest r;
  r.url = up.url("/");
  r.timeout = std::chrono::milliseconds(300);
  auto res = run(*client, r);
  ASSERT_FALSE(res.ok());
  EXPECT_NE(res.error().message.find("timed out"), std::string::npos) << res.error().message;
}

TEST(HttpClientTest, FollowsRedirectsOnlyWithinTheOrigin) {
  std::uint16_t port = 0;
  Upstream up([&](const HttpRequest& r) {
    if (r.path == "/old") {
      auto out = text(301, "");
      out.set_header("Location", "/new?page=2");
      return out;
    }
    if (r.path == "/away") {
      auto out = text(302, "");
      out.set_header("Location", "http://localhost:" + std::to_string(port) + "/new");
      return out;
    }
    if (r.path == "/loop") {
      auto out = text(307, "");
      out.set_header("Location", "/loop");
      return out;
    }
    return text(200, "here " + r.target);
  });
  port = up.port();
  auto client = make_http_client(loopback_options());
  auto same = get(*client, up.url("/old?token=secret"));
  ASSERT_TRUE(same.ok()) << same.error().message;
  EXPECT_EQ(same->body, "here /new?page=2");
  EXPECT_EQ(same->url, up.url("/new?page=2"));
  auto away = get(*client, up.url("/away"));
  ASSERT_FALSE(away.ok());
  EXPECT_NE(away.error().message.find("another origin"), std::string::npos) << away.error().message;
  auto loop = get(*client, up.url("/loop"));
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.error().message.find("too many redirects"), std::string::npos);
}

TEST(HttpClientTest, ErrorsNeverShowQueriesOrSecretHeaders) {
  auto client = make_http_client(loopback_options());
  FetchRequest r;
  r.url = "http://127.0.0.1:1/api?access_token=hemmelig";
  r.headers = {{"Authorization", "Bearer hemmelig"}};
  auto res = run(*client, r);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().message.find("hemmelig"), std::string::npos) << res.error().message;
  EXPECT_NE(res.error().message.find("cannot connect"), std::string::npos) << res.error().message;
}

TEST(HttpClientTest, PublicOnlyRefusesLoopbackUnlessAllowedAndHttpsOnlyRefusesHttp) {
  Upstream up([&](const HttpRequest&) { return text(200, "ok"); });
  auto options = loopback_options();
  options.public_addresses_only = true;
  auto strict = make_http_client(options);
  auto refused = get(*strict, up.url("/"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("non-public"), std::string::npos) << refused.error().message;
  auto by_name = get(*strict, "http://localhost:" + std::to_string(up.port()) + "/");
  ASSERT_FALSE(by_name.ok());  // the check is on the resolved address, not the name

  options.https_only = true;
  auto https_only = make_http_client(options);
  auto plain = get(*https_only, up.url("/"));
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().message.find("only https"), std::string::npos);

  options.allow_hosts = {"127.0.0.1"};
  auto allowed = make_http_client(options);
  auto ok = get(*allowed, up.url("/"));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->body, "ok");
}

TEST(HttpClientTest, ClassifiesAddresses) {
  for (const char* a : {"93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:1.1.1.1"}) {
    EXPECT_TRUE(is_public_address(a)) << a;
  }
  for (const char* a :
       {"127.0.0.1",  "10.1.2.3", "172.16.0.1",       "172.31.255.255",  "192.168.1.1", "169.254.169.254",
        "100.64.0.1", "0.0.0.0",  "224.0.0.1",        "255.255.255.255", "::1",         "::",
        "fe80::1",    "fd00::1",  "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2001:db8::1", "2002:a00:1::1",
        "ff02::1",    "junk"}) {
    EXPECT_FALSE(is_public_address(a)) << a;
  }
}

TEST(HttpClientTest, RefusesBadUrls) {
  auto client = make_http_client(loopback_options());
  for (const char* u : {"ftp://example.org/", "http://user:pw@127.0.0.1/", "http:///x", "http://127.0.0.1:99999/",
                        "http://127.0.0.1/a b", "/relative"}) {
    auto res = get(*client, u);
    ASSERT_FALSE(res.ok()) << u;
    EXPECT_NE(res.error().message.find("invalid URL"), std::string::npos) << res.error().message;
  }
}

TEST(UrlTest, ResolvesReferencesAgainstABase) {
  EXPECT_EQ(*resolve_url("https://a.example/api/v1/list?x=1", "/api/v1/list?page=2"),
            "https://a.example/api/v1/list?page=2");
  EXPECT_EQ(*resolve_url("https://a.example/api/v1/list?x=1", "?page=2"), "https://a.example/api/v1/list?page=2");
  EXPECT_EQ(*resolve_url("https://a.example:8443/api/v1/list", "item/7"), "https://a.example:8443/api/v1/item/7");
  EXPECT_EQ(*resolve_url("https://a.example/x", "//b.example/y"), "https://b.example/y");
  EXPECT_EQ(*resolve_url("http://a.example/x", "https://c.example/z"), "https://c.example/z");
  auto u = parse_url("HTTPS://[::1]:8443/p?q");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->origin(), "https://[::1]:8443");
  EXPECT_EQ(u->target, "/p?q");
}

// TLS against `openssl s_server -www` with a certificate for "localhost" made here.
class TlsUpstream {
 public:
  explicit TlsUpstream(const std::filesystem::path& dir) : dir_(dir) {
    std::filesystem::create_directories(dir_);
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost -keyout " +
        (dir_ / "key.pem").string() + " -out " + (dir_ / "cert.pem").string() + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl req failed");
    port_ = testing::free_port();
    pid_ = fork();
    if (pid_ == 0) {
      const std::string port = std::to_string(port_);
      const std::string cert = (dir_ / "cert.pem").string(), key = (dir_ / "key.pem").string();
      std::freopen("/dev/null", "w", stdout);
      std::freopen("/dev/null", "w", stderr);
      execlp("openssl", "openssl", "s_server", "-accept", port.c_str(), "-4", "-cert", cert.c_str(), "-key",
             key.c_str(), "-www", "-quiet", static_cast<char*>(nullptr));
      _exit(127);
    }
    wait_until_listening();
  }
  ~TlsUpstream() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    std::filesystem::remove_all(dir_);
  }
  std::uint16_t port() const { return port_; }
  std::string ca() const { return (dir_ / "cert.pem").string(); }

 private:
  void wait_until_listening() const {
    for (int i = 0; i < 100; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port_);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      const bool up = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      close(fd);
      if (up) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("openssl s_server did not start");
  }

  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

TEST(HttpClientTlsTest, VerifiesTheCertificateChainAndTheHostName) {
  TlsUpstream tls(std::filesystem::temp_directory_path() / ("veikart-tls-" + std::to_string(getpid())));
  const std::string by_name = "https://localhost:" + std::to_string(tls.port()) + "/";

  auto untrusting = make_http_client(loopback_options());
  auto refused = get(*untrusting, by_name);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("TLS handshake failed"), std::string::npos) << refused.error().message;

  auto options = loopback_options();
  options.ca_file = tls.ca();
  auto trusting = make_http_client(options);
  auto ok = get(*trusting, by_name);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->status, 200);

  // The same server by address: the certificate names only "localhost", so verification must fail.
  auto wrong_name = get(*trusting, "https://127.0.0.1:" + std::to_string(tls.port()) + "/");
  ASSERT_FALSE(wrong_name.ok());
  EXPECT_NE(wrong_name.error().message.find("TLS handshake failed"), std::string::npos);

  options.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(make_http_client(options), std::runtime_error);
}

}  // namespace
}  // namespace veikart

// HTTPS: a self-signed certificate made here, TLS 1.2/1.3 minimums, Strict-Transport-Security, and plain HTTP or
// an older TLS version refused on a TLS port without harming the server.

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "gateway/http/server.hpp"
#include "http_test_support.hpp"
#include "loopback_server.hpp"

namespace veikart {
namespace {

namespace asio = boost::asio;
using testing::RawClient;
using testing::SeededApi;
using testing::status_of;
using testing::TempDir;

// Writes a fresh self-signed P-256 certificate for localhost / 127.0.0.1 and its key as PEM files.
void make_certificate(const std::filesystem::path& cert, const std::filesystem::path& key) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  ASSERT_NE(pkey, nullptr);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  X509_add_ext(x, san, -1);
  X509_EXTENSION_free(san);
  ASSERT_GT(X509_sign(x, pkey, EVP_sha256()), 0);
  BIO* c = BIO_new_file(cert.c_str(), "w");
  PEM_write_bio_X509(c, x);
  BIO_free(c);
  BIO* k = BIO_new_file(key.c_str(), "w");
  PEM_write_bio_PrivateKey(k, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  BIO_free(k);
  X509_free(x);
  EVP_PKEY_free(pkey);
}

struct Fetched {
  bool handshake = false;
  std::string response;
};

// A verifying TLS client: trusts only our certificate and checks the host name.
Fetched fetch(std::uint16_t port, const std::filesystem::path& ca, int max_version = 0) {
  asio::io_context io;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(ca.string());
  ctx.set_verify_mode(asio::ssl::verify_peer);
  if (max_version) SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
  asio::ssl::stream<asio::ip::tcp::socket> s(io, ctx);
  SSL_set_tlsext_host_name(s.native_handle(), "localhost");
  s.set_verify_callback(asio::ssl::host_name_verification("localhost"));
  boost::system::error_code ec;
  s.next_layer().connect({asio::ip::address_v4::loopback(), port}, ec);
  Fetched out;
  if (ec) return out;
  s.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return out;
  out.handshake = true;
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  asio::write(s, asio::buffer(req), ec);
  char buf[4096];
  for (;;) {
    const std::size_t n = s.read_some(asio::buffer(buf), ec);
    out.response.append(buf, n);
    if (ec) break;
  }
  return out;
}

class TlsTest : public ::testing::Test {
 protected:
  void start(const std::string& min_version) {
    make_certificate(cert_, key_);
    Limits limits;
    limits.request_timeout = std::chrono::seconds(2);
    server_ =
        std::make_unique<testing::LoopbackServer>([this](const HttpRequest& r) { return api_.api().handle(r); }, limits,
                                                  [&](HttpServer& s) {
                                                    s.set_tls({cert_, key_, min_version});
                                                  });
  }

  TempDir dir_;
  std::filesystem::path cert_ = dir_.path() / "cert.pem";
  std::filesystem::path key_ = dir_.path() / "key.pem";
  SeededApi api_{1};
  std::unique_ptr<testing::LoopbackServer> server_;
};

TEST_F(TlsTest, ServesHttpsWithHsts) {
  start("1.2");
  const Fetched f = fetch(server_->port(), cert_);
  ASSERT_TRUE(f.handshake);
  EXPECT_EQ(status_of(f.response), 200) << f.response;
  EXPECT_NE(f.response.find("Strict-Transport-Security: max-age=31536000"), std::string::npos) << f.response;
  EXPECT_TRUE(fetch(server_->port(), cert_, TLS1_2_VERSION).handshake) << "1.2 is accepted at minimum 1.2";
}

TEST_F(TlsTest, MinimumVersionRefusesOlderClients) {
  start("1.3");
  EXPECT_FALSE(fetch(server_->port(), cert_, TLS1_2_VERSION).handshake);
  const Fetched f = fetch(server_->port(), cert_);
  ASSERT_TRUE(f.handshake);
  EXPECT_EQ(status_of(f.response), 200);
}

TEST_F(TlsTest, PlainHttpOnTheTlsPortIsRefused) {
  start("1.2");
  RawClient plain(server_->port());
  plain.send_all("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  const std::string raw = plain.read_all(std::chrono::milliseconds(3000));
  EXPECT_EQ(raw.find("HTTP/1.1 200"), std::string::npos) << "plain HTTP must not be served on a TLS port";
  EXPECT_EQ(status_of(fetch(server_->port(), cert_).response), 200) << "the server still serves";
}

TEST(Tls, UnusableCertificateIsAClearError) {
  asio::io_context io;
  asio::thread_pool pool(1);
  HttpServer server(
      io, pool, [](const HttpRequest&) { return HttpResponse{}; }, Limits{}, nullptr);
  TempDir dir;
  try {
    server.set_tls({dir.path() / "missing.pem", dir.path() / "key.pem", "1.2"});
    ADD_FAILURE() << "a missing certificate was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("tls.cert"), std::string::npos) << e.what();
  }
  make_certificate(dir.path() / "cert.pem", dir.path() / "key.pem");
  EXPECT_THROW(server.set_tls({dir.path() / "cert.pem", dir.path() / "key.pem", "1.1"}), std::runtime_error);
  EXPECT_NO_THROW(server.set_tls({dir.path() / "cert.pem", dir.path() / "key.pem", "1.3"}));
  pool.join();
}

}  // namespace
}  // namespace veikart

// The program as an operator runs it: exit codes, the ingest report, and serve's start-up and SIGTERM shutdown.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "gateway/auth/auth.hpp"
#include "http_test_support.hpp"

namespace veikart {
namespace {

using testing::body_of;
using testing::free_port;
using testing::RawClient;
using testing::read_file;
using testing::source_dir;
using testing::start_serve;
using testing::status_of;
using testing::TempDir;
using testing::write_file;

struct Run {
  int code = -1;
  std::string out;
  std::string err;
};

// Runs the program with arguments, capturing stdout and stderr through files.
Run run(const std::vector<std::string>& args, const std::filesystem::path& scratch) {
  std::string cmd = std::string(VEIKART_BINARY);
  for (const auto& a : args) cmd += " '" + a + "'";
  const auto out = scratch / "stdout.txt";
  const auto err = scratch / "stderr.txt";
  cmd += " >" + out.string() + " 2>" + err.string() + " </dev/null";
  const int status = std::system(cmd.c_str());
  Run r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

std::string http_get(std::uint16_t port, const std::string& target) {
  RawClient c(port);
  if (!c.connected()) return {};
  c.send_all("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  return c.read_all();
}

TEST(Cli, UsageAndUnknownCommandsExit2) {
  TempDir dir;
  EXPECT_EQ(run({}, dir.path()).code, 2);
  const auto r = run({"frobnicate"}, dir.path());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos);
  EXPECT_EQ(run({"--version"}, dir.path()).code, 0);
}

TEST(Cli, HashKeyPrintsAKeyAndItsHash) {
  TempDir dir;
  const auto r = run({"hash-key"}, dir.path());
  ASSERT_EQ(r.code, 0) << r.err;
  const auto key_at = r.out.find("vk_");
  ASSERT_NE(key_at, std::string::npos) << r.out;
  const std::string key = r.out.substr(key_at, r.out.find('\n', key_at) - key_at);
  EXPECT_NE(r.out.find("key_sha256: " + sha256_hex(key)), std::string::npos) << r.out;
  EXPECT_NE(run({"hash-key"}, dir.path()).out, r.out);
}

TEST(Cli, CheckConfigAcceptsTheDemoAndNamesEveryBadKey) {
  TempDir dir;
  const auto ok = run({"check-config", (source_dir() / "config" / "demo.yaml").string()}, dir.path());
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("357 municipalities"), std::string::npos) << ok.out;

  write_file(dir.path() / "bad.yaml", R"(
listen: 127.0.0.1:8080
colour: blue
sources:
  - name: x
    type: spreadsheet
    path: x.csv
    id_prefix: x
    mapping: {titel: Prosjekt}
)");
  const auto bad = run({"check-config", (dir.path() / "bad.yaml").string()}, dir.path());
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("colour"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("sources[0].mapping.titel"), std::string::npos) << bad.err;
}

TEST(Cli, IngestDryRunReportsRejectedRowsAndStoresNothing) {
  TempDir dir;
  const auto r = run({"ingest", "--config", (source_dir() / "config" / "demo.yaml").string(), "--source",
                      "digi-rogaland-portefolje", "--dry-run", "--data", (dir.path() / "data").string()},
                     dir.path());
  ASSERT_EQ(r.code, 0) << r.err;
  const Json report = Json::parse(r.out);
  EXPECT_EQ(report["source"], "digi-rogaland-portefolje");
  EXPECT_GT(report["accepted"].get<int>(), 5);
  ASSERT_EQ(report["rejected"].size(), 3u);
  for (const auto& rej : report["rejected"]) {
    EXPECT_EQ(rej["where"].get<std::string>().rfind("row ", 0), 0u);
    EXPECT_FALSE(rej["reason"].get<std::string>().empty());
  }
  EXPECT_EQ(report["items"].size(), static_cast<std::size_t>(report["accepted"].get<int>()));

  // A real run afterwards stores them; the dry run before left nothing behind.
  const auto real = run({"ingest", "--config", (source_dir() / "config" / "demo.yaml").string(), "--source",
                         "digi-rogaland-portefolje", "--data", (dir.path() / "data").string()},
                        dir.path());
  ASSERT_EQ(real.code, 0) << real.err;
  EXPECT_EQ(Json::parse(real.out)["accepted"], report["accepted"]);
  EXPECT_FALSE(Json::parse(real.out).contains("items"));
}

TEST(Cli, IngestOfAnUnreadableSourceExits1AndUnknownSourceExits2) {
  TempDir dir;
  const std::string cfg = (source_dir() / "config" / "demo.yaml").string();
  const auto missing = run({"ingest", "--config", cfg, "--source", "digi-agder", "--data",
                            (dir.path() / "data").string(), (dir.path() / "no-such.csv").string()},
                           dir.path());
  EXPECT_EQ(missing.code, 1) << missing.out << missing.err;
  EXPECT_NE(Json::parse(missing.out).value("error", "").find("no-such.csv"), std::string::npos) << missing.out;
  const auto unknown = run({"ingest", "--config", cfg, "--source", "nope"}, dir.path());
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("no source named 'nope'"), std::string::npos);
}

TEST(Cli, ServeBecomesReadyServesTheDemoAndStopsCleanlyOnSigterm) {
  TempDir dir;
  const std::uint16_t port = free_port();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string listen = "127.0.0.1:" + std::to_string(port);
    const std::string cfg = (source_dir() / "config" / "demo.yaml").string();
    const std::string data = (dir.path() / "data").string();
    const std::string log = (dir.path() / "serve.log").string();
    std::freopen(log.c_str(), "w", stderr);
    execl(VEIKART_BINARY, VEIKART_BINARY, "serve", "--config", cfg.c_str(), "--listen", listen.c_str(), "--data",
          data.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {
    ready = status_of(http_get(port, "/readyz")) == 200;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(ready) << read_file(dir.path() / "serve.log");
  const std::string feed = http_get(port, "/v1/roadmap?limit=1000");
  ASSERT_EQ(status_of(feed), 200);
  EXPECT_GE(Json::parse(body_of(feed))["items"].size(), 30u);

  ASSERT_EQ(kill(child, SIGTERM), 0);
  int status = 0;
  for (int i = 0; i < 150; ++i) {
    if (waitpid(child, &status, WNOHANG) == child) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (i == 149) {
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
      FAIL() << "serve did not stop within 15 s of SIGTERM";
    }
  }
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  const std::string log = read_file(dir.path() / "serve.log");
  EXPECT_NE(log.find("stopped"), std::string::npos) << log;
}

// A source that goes away keeps its last good data in the feed: it turns stale, then failing with its circuit
// open, and an operator's run after the file is back clears it.
TEST(Cli, ServeKeepsLastGoodDataWhileASourceFailsAndRecovers) {
  TempDir dir;
  const std::string csv = "ID;Prosjekt;Status\n1;Felles chatbot;pilot\n2;Digital postkasse;idé\n";
  write_file(dir.path() / "agder.csv", csv);
  write_file(dir.path() / "gw.yaml", R"(
data_dir: data
scheduler: {retries: 1, backoff: 1s, failure_threshold: 2, open_for: 1h}
sources:
  - name: agder
    type: spreadsheet
    path: agder.csv
    interval: 1s
    id_prefix: digi-agder
    defaults: {kind: regional_project, owner: {type: network, id: digi-agder, name: Digi Agder}, networks: [digi-agder]}
    mapping: {id: ID, title: Prosjekt, status: Status}
)");
  const std::uint16_t port = free_port();
  const pid_t child = start_serve(dir.path(), port);
  ASSERT_GE(child, 0);
  auto source_state = [&]() {
    const std::string raw = http_get(port, "/v1/sources");
    if (status_of(raw) != 200) return Json();
    return Json::parse(body_of(raw))["sources"][0];
  };
  auto wait_for = [&](const std::string& state, int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
      const Json s = source_state();
      if (s.is_object() && s["state"] == state) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return source_state();
  };
  Json s = wait_for("ok", 20);
  ASSERT_EQ(s["state"], "ok") << s.dump() << read_file(dir.path() / "serve.log");
  std::filesystem::remove(dir.path() / "agder.csv");

  s = wait_for("stale", 15);
  EXPECT_EQ(s["state"], "stale") << s.dump();
  EXPECT_NE(s["last_error"].get<std::string>().find("agder.csv"), std::string::npos) << s.dump();
  EXPECT_EQ(Json::parse(body_of(http_get(port, "/v1/roadmap")))["items"].size(), 2u) << "last good data is gone";

  s = wait_for("failing", 15);
  EXPECT_EQ(s["state"], "failing") << s.dump();
  EXPECT_EQ(s["circuit"], "open");
  EXPECT_EQ(Json::parse(body_of(http_get(port, "/v1/roadmap")))["items"].size(), 2u);

  write_file(dir.path() / "agder.csv", csv);
  RawClient c(port);
  c.send_all("POST /v1/sources/agder/run HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(status_of(c.read_all()), 202);
  s = wait_for("ok", 15);
  EXPECT_EQ(s["state"], "ok") << s.dump();
  EXPECT_EQ(s["circuit"], "closed");

  kill(child, SIGTERM);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(dir.path() / "serve.log");
}

// The running program wires the push side: the push store (inventories, idempotency keys, audit log) and the
// per-route body limits.
TEST(Cli, ServeTakesInventoryPushesAndAuditsThem) {
  TempDir dir;
  const NewKey agder = generate_key();
  const NewKey admin = generate_key();
  write_file(dir.path() / "gw.yaml",
             "data_dir: data\nclients:\n  - name: ikt-agder\n    key_sha256: " + agder.key_sha256 +
                 "\n    roles: [inventory]\n    municipalities: [\"42*\"]\n"
                 "  - name: drift\n    key_sha256: " +
                 admin.key_sha256 + "\n    roles: [admin]\nsources: []\n");
  const std::uint16_t port = free_port();
  const pid_t child = start_serve(dir.path(), port);
  ASSERT_GE(child, 0);
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {
    ready = status_of(http_get(port, "/readyz")) == 200;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(ready) << read_file(dir.path() / "serve.log");
  const std::string body = R"([{"municipality":"4204","category":"sak-arkiv","product":"Elements","hosting":"cloud"}])";
  auto put = [&](const std::string& idempotency_key) {
    RawClient c(port);
    c.send_all("PUT /v1/inventories/ikt-agder HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + agder.key +
               "\r\nContent-Type: application/json\r\nIdempotency-Key: " + idempotency_key +
               "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    return c.read_all();
  };
  const std::string first = put("k-1");
  EXPECT_EQ(status_of(first), 200) << first;
  EXPECT_NE(first.find("X-Request-Id: "), std::string::npos) << first;
  const std::string again = put("k-1");
  EXPECT_EQ(status_of(again), 200);
  EXPECT_NE(again.find("Idempotent-Replayed: true"), std::string::npos) << again;
  const Json systems = Json::parse(body_of(http_get(port, "/v1/municipalities/4204/systems")));
  ASSERT_EQ(systems["systems"].size(), 1u) << systems.dump();
  EXPECT_EQ(systems["systems"][0]["reported_by"], "ikt-agder");

  // A read route keeps the 1 MiB default; a push may be larger.
  RawClient big(port);
  big.send_all("POST /v1/roadmap HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n");
  EXPECT_EQ(status_of(big.read_all()), 413);

  RawClient audit(port);
  audit.send_all("GET /v1/audit HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin.key +
                 "\r\nConnection: close\r\n\r\n");
  const std::string raw = audit.read_all();
  ASSERT_EQ(status_of(raw), 200) << raw;
  const Json entries = Json::parse(body_of(raw))["entries"];
  ASSERT_EQ(entries.size(), 2u) << entries.dump();
  EXPECT_TRUE(entries[0]["replayed"].get<bool>());
  EXPECT_EQ(entries[1]["client"], "ikt-agder");
  EXPECT_EQ(entries[1]["accepted"], 1);

  kill(child, SIGTERM);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(dir.path() / "serve.log");
}

}  // namespace
}  // namespace veikart

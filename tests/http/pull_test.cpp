// The pulling sources end to end: the real program reads a Fiks-style roadmap API (which demands fresh tokens)
// and a Noark 5 service (which pages with next links), both fakes on loopback; through every fault the feed keeps
// the last good items and decisions while /v1/sources marks the source stale, and the next interval after the
// fake heals (or comes back) clears it.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <thread>

#include "fake_upstreams.hpp"
#include "http_test_support.hpp"

namespace veikart {
namespace {

using testing::body_of;
using testing::FakeUpstreams;
using testing::free_port;
using testing::read_file;
using testing::status_of;
using testing::TempDir;
using testing::write_file;

std::string http_get(std::uint16_t port, const std::string& target) {
  testing::RawClient c(port);
  if (!c.connected()) return {};
  c.send_all("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  return c.read_all();
}

// `veikart serve` on a config whose two pulling sources point at the fakes, read every second.
class Gateway {
 public:
  Gateway(const std::filesystem::path& dir, FakeUpstreams& fakes) : dir_(dir), port_(free_port()) {
    const std::string fiks = fakes.fiks_server().base_url();
    const std::string http = "{connect_timeout: 500ms, read_timeout: 700ms, total_timeout: 1500ms}";
    write_file(dir / "gw.yaml",
               "data_dir: data\n"
               "scheduler: {retries: 0, backoff: 1s, failure_threshold: 100, open_for: 1h}\n"
               "sources:\n"
               "  - name: ks-fiks\n"
               "    type: fiks-rest\n"
               "    url: " +
                   fiks +
                   "/veikart/api/v1/losninger\n"
                   "    token_url: " +
                   fiks +
                   "/token\n"
                   "    issuer: veikart-demo\n"
                   "    audience: " +
                   fiks +
                   "/\n"
                   "    kid: veikart-demo-key\n"
                   "    key_file: fiks-test.pem\n"
                   "    integrasjon_id: 6f2d3c1a-8b4e-4f7a-9c21-5d0e7b3a9f14\n"
                   "    integrasjon_passord_env: VEIKART_TEST_PASSORD\n"
                   "    page_size: 3\n"
                   "    interval: 1s\n"
                   "    http: " +
                   http +
                   "\n"
                   "  - name: arkiv\n"
                   "    type: noark5\n"
                   "    url: " +
                   fakes.noark_server().base_url() +
                   "/api\n"
                   "    filter: saksaar ge 2023\n"
                   "    links: {\"2025/311\": \"ks:fiks-plan\"}\n"
                   "    page_size: 4\n"
                   "    interval: 1s\n"
                   "    http: " +
                   http + "\n");
    child_ = fork();
    if (child_ == 0) {
      const std::string listen = "127.0.0.1:" + std::to_string(port_);
      const std::string cfg = (dir / "gw.yaml").string();
      const std::string log = (dir / "serve.log").string();
      std::freopen(log.c_str(), "w", stderr);
      setenv("VEIKART_TEST_PASSORD", "demo-passord", 1);
      // The fakes' listening sockets must not live on in the gateway (a stopped fake could not bind again).
      for (int fd = 3; fd < 1024; ++fd) close(fd);
      execl(VEIKART_BINARY, VEIKART_BINARY, "serve", "--config", cfg.c_str(), "--listen", listen.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Gateway() {
    if (child_ <= 0) return;
    kill(child_, SIGTERM);
    int status = 0;
    waitpid(child_, &status, 0);
  }

  Json source(const std::string& name) const {
    const std::string raw = http_get(port_, "/v1/sources");
    if (status_of(raw) != 200) return Json{{"state", "unreachable"}, {"last_error", ""}};
    const Json doc = Json::parse(body_of(raw));
    for (const auto& s : doc["sources"])
      if (s["name"] == name) return s;
    return Json{{"state", "missing"}, {"last_error", ""}};
  }
  /// Polls /v1/sources until the source is in `state` after `after_runs` more finished runs, or time is up.
  Json wait_for(const std::string& name, const std::string& state, std::chrono::milliseconds limit) const {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    Json s;
    while (std::chrono::steady_clock::now() < deadline) {
      s = source(name);
      if (s.is_object() && s["state"] == state) return s;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return s;
  }
  Json items() const {
    const std::string raw = http_get(port_, "/v1/roadmap?limit=1000");
    return status_of(raw) == 200 ? Json::parse(body_of(raw))["items"] : Json::array();
  }
  std::string log() const { return read_file(dir_ / "serve.log"); }

 private:
  std::filesystem::path dir_;
  std::uint16_t port_;
  pid_t child_ = -1;
};

// What the feed holds from the two sources: item ids and every item's decision case numbers.
std::map<std::string, std::vector<std::string>> held(const Json& items) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& item : items) {
    auto& cases = out[item["id"].get<std::string>()];
    for (const auto& d : item["decisions"]) cases.push_back(d["case_number"].get<std::string>());
  }
  return out;
}

class PullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fakes_ = std::make_unique<FakeUpstreams>(dir_.path());
    gateway_ = std::make_unique<Gateway>(dir_.path(), *fakes_);
    for (const char* name : {"ks-fiks", "arkiv"}) {
      const Json s = gateway_->wait_for(name, "ok", std::chrono::seconds(20));
      ASSERT_EQ(s["state"], "ok") << name << ": " << s.dump() << gateway_->log();
    }
    // The archive's first run may precede the items' arrival only in start-up order; wait for the decisions.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline && held(gateway_->items())["ks:fiks-plan"].empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    good_ = held(gateway_->items());
  }

  // Injects a fault, waits until the source is stale while the feed still holds the last good data, heals the
  // fake and waits until the source is ok again within a few intervals.
  void survive(fake::FaultSwitch& faults, fake::Fault fault, const std::string& source, const std::string& label) {
    SCOPED_TRACE(label);
    faults.set(fault, std::chrono::milliseconds(2500));
    const Json stale = gateway_->wait_for(source, "stale", std::chrono::seconds(15));
    EXPECT_EQ(stale["state"], "stale") << stale.dump();
    EXPECT_TRUE(stale["last_error"].is_string() && !stale["last_error"].get<std::string>().empty()) << stale.dump();
    EXPECT_EQ(held(gateway_->items()), good_) << "the last good data changed during the fault";
    faults.set(fake::Fault::none);
    const auto healed = std::chrono::steady_clock::now();
    const Json ok = gateway_->wait_for(source, "ok", std::chrono::seconds(15));
    EXPECT_EQ(ok["state"], "ok") << ok.dump();
    // One interval (1 s + jitter) plus a run that may have been under way with the fault (≤ 2.5 s).
    EXPECT_LT(std::chrono::steady_clock::now() - healed, std::chrono::seconds(6));
    EXPECT_EQ(held(gateway_->items()), good_);
  }

  TempDir dir_;
  std::unique_ptr<FakeUpstreams> fakes_;
  std::unique_ptr<Gateway> gateway_;
  std::map<std::string, std::vector<std::string>> good_;
};

TEST_F(PullTest, TheFeedHoldsTheApisItemsAndTheArchivesDecisions) {
  EXPECT_EQ(good_.size(), 7u);  // the seven solutions of the demo data
  EXPECT_EQ(good_["ks:digihelse"], std::vector<std::string>{"2024/118"});
  EXPECT_EQ(good_["ks:fiks-plan"], std::vector<std::string>{"2025/311"});  // through the configured link
  EXPECT_EQ(good_["ks:digisos"], std::vector<std::string>{"2023/1204"});
  EXPECT_EQ(good_["ks:fiks-innsyn"], std::vector<std::string>{"2026/35"});
  EXPECT_TRUE(good_["ks:fiks-io"].empty());
  // Both fakes paged: three solutions per page (7 → 3 pages), four cases per page with next links.
  EXPECT_GE(fakes_->fiks().api_requests(), 3);
  EXPECT_GE(fakes_->noark().list_requests(), 3);
  EXPECT_EQ(fakes_->noark().last_filter(), "saksaar ge 2023");
  EXPECT_EQ(fakes_->fiks().assertions_refused(), 0);
  // Later runs are conditional: unchanged pages come back 304 and change nothing.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (fakes_->fiks().not_modified() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GE(fakes_->fiks().not_modified(), 3);
  EXPECT_EQ(gateway_->source("ks-fiks")["state"], "ok");
  // No secret reaches the log.
  const std::string log = gateway_->log();
  EXPECT_EQ(log.find("demo-passord"), std::string::npos);
  EXPECT_EQ(log.find("demo-"), std::string::npos) << "an access token was logged";
}

TEST_F(PullTest, AFakeThatDemandsAFreshTokenIsAnsweredWithOne) {
  const int before = fakes_->fiks().tokens_issued();
  fakes_->fiks().revoke_tokens();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (fakes_->fiks().tokens_issued() == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(fakes_->fiks().tokens_issued(), before + 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(gateway_->source("ks-fiks")["state"], "ok");  // the 401 was handled inside the run
  EXPECT_EQ(held(gateway_->items()), good_);
}

TEST_F(PullTest, StoppingEitherUpstreamKeepsTheLastGoodDataAndRestartingClearsIt) {
  for (auto* server : {&fakes_->noark_server(), &fakes_->fiks_server()}) {
    const bool fiks = server == &fakes_->fiks_server();
    const std::string source = fiks ? "ks-fiks" : "arkiv";
    SCOPED_TRACE(source);
    server->stop();
    // A restarted issuer has forgotten the tokens it gave out: the gateway's cached one will be refused.
    if (fiks) fakes_->fiks().revoke_tokens();
    const int tokens_before = fakes_->fiks().tokens_issued();
    const Json stale = gateway_->wait_for(source, "stale", std::chrono::seconds(10));
    ASSERT_EQ(stale["state"], "stale") << stale.dump();
    EXPECT_EQ(held(gateway_->items()), good_);
    server->start();  // the same port
    const auto back = std::chrono::steady_clock::now();
    const Json ok = gateway_->wait_for(source, "ok", std::chrono::seconds(10));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - back);
    EXPECT_EQ(ok["state"], "ok") << ok.dump();
    // Within one interval (1 s + up to 10 % jitter; measured 1.0–1.15 s), plus slack for this test's polling of
    // /v1/sources on a busy machine.
    EXPECT_LT(took, std::chrono::milliseconds(2000)) << source << " recovered after " << took.count() << " ms";
    RecordProperty(source + "_recovery_ms", static_cast<int>(took.count()));
    EXPECT_EQ(held(gateway_->items()), good_);
    if (fiks) {
      EXPECT_EQ(fakes_->fiks().tokens_issued(), tokens_before + 1);
    }
  }
}

// Every fault of the list in turn (a list without results is Noark 5's own).
const std::vector<std::pair<fake::Fault, std::string>> kFaults = {
    {fake::Fault::error_500, "500"},
    {fake::Fault::unavailable_503, "503 with Retry-After"},
    {fake::Fault::timeout, "timeout"},
    {fake::Fault::stall, "stalled body"},
    {fake::Fault::truncated_json, "truncated JSON"},
    {fake::Fault::wrong_content_type, "wrong content type"},
    {fake::Fault::loop_next, "looping next link"},
    {fake::Fault::empty_without_results, "list without results"}};

TEST_F(PullTest, TheArchiveSurvivesEveryFault) {
  for (const auto& [fault, label] : kFaults) survive(fakes_->noark().faults, fault, "arkiv", label);
}

TEST_F(PullTest, TheRoadmapApiSurvivesEveryFault) {
  for (const auto& [fault, label] : kFaults) {
    if (fault != fake::Fault::empty_without_results) survive(fakes_->fiks().faults, fault, "ks-fiks", label);
  }
}

}  // namespace
}  // namespace veikart

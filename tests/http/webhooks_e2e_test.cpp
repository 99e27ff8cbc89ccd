// End to end: the real `veikart serve`, a webhook receiver built on the npm package `standardwebhooks` (which
// verifies every signature) and a live-stream client. A pushed KS schedule reaches both within a second; a receiver
// that fails five times gets the delivery later; a dead letter is replayed.

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <optional>
#include <set>
#include <thread>

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
using Clock = std::chrono::steady_clock;

std::string http(std::uint16_t port, const std::string& method, const std::string& target,
                 const std::string& body = {}) {
  RawClient c(port);
  if (!c.connected()) return {};
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!body.empty() || method == "POST") {
    req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  c.send_all(req + "\r\n" + body);
  return c.read_all();
}

Json json_of(const std::string& raw) {
  Json j = Json::parse(body_of(raw), nullptr, false);
  return j.is_discarded() ? Json() : j;
}

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit,
                std::chrono::milliseconds step = std::chrono::milliseconds(20)) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(step);
  }
  return pred();
}

// The receiver's npm dependencies, installed once per build folder from the committed lock file.
std::filesystem::path receiver_dir(std::string& problem) {
  const std::filesystem::path dir = std::filesystem::path(VEIKART_BINARY).parent_path() / "webhook-receiver";
  std::filesystem::create_directories(dir);
  const int lock = open((dir / ".lock").c_str(), O_CREAT | O_RDWR, 0644);
  flock(lock, LOCK_EX);
  const auto from = source_dir() / "tests" / "clients" / "webhook-receiver";
  for (const char* f : {"package.json", "package-lock.json", "receiver.mjs"}) {
    std::filesystem::copy_file(from / f, dir / f, std::filesystem::copy_options::overwrite_existing);
  }
  if (!std::filesystem::exists(dir / "node_modules" / "standardwebhooks" / "package.json")) {
    const std::string cmd = "cd '" + dir.string() + "' && npm ci --no-audit --no-fund >npm.log 2>&1 </dev/null";
    if (std::system(cmd.c_str()) != 0) problem = "npm ci failed: " + read_file(dir / "npm.log");
  }
  flock(lock, LOCK_UN);
  close(lock);
  return dir;
}

pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::freopen(log.c_str(), "w", stderr);
    std::freopen(log.c_str(), "a", stdout);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

void stop(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 150; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

class WebhookEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string problem;
    const auto dir = receiver_dir(problem);
    ASSERT_TRUE(problem.empty()) << problem;
    const auto port_file = tmp_.path() / "receiver.port";
    receiver_ = spawn({"node", (dir / "receiver.mjs").string(), port_file.string()}, tmp_.path() / "receiver.log");
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(port_file); }, std::chrono::seconds(20)))
        << read_file(tmp_.path() / "receiver.log");
    receiver_port_ = static_cast<std::uint16_t>(std::stoi(read_file(port_file)));

    write_csv("Felles chatbot");
    write_file(tmp_.path() / "gw.yaml", R"(
data_dir: data
subscriptions:
  allow_hosts: [127.0.0.1]
  retry_schedule: [1s, 1s, 1s, 1s, 1s, 1s]
  timeout: 5s
sources:
  - name: agder
    type: spreadsheet
    path: agder.csv
    interval: 1h
    id_prefix: digi-agder
    defaults: {kind: regional_project, owner: {type: network, id: digi-agder, name: Digi Agder}, networks: [digi-agder]}
    mapping: {id: ID, title: Prosjekt, status: Status}
)");
    port_ = free_port();
    gateway_ = start_serve(tmp_.path(), port_);
    ASSERT_TRUE(wait_until([&] { return status_of(http(port_, "GET", "/readyz")) == 200; }, std::chrono::seconds(20)))
        << read_file(tmp_.path() / "serve.log");
  }
  void TearDown() override {
    stop(gateway_);
    stop(receiver_);
  }

  void write_csv(const std::string& title) {
    write_file(tmp_.path() / "agder.csv", "ID;Prosjekt;Status\n1;" + title + ";pilot\n2;Digital postkasse;idé\n");
  }
  void change_and_run(const std::string& title) {
    write_csv(title);
    ASSERT_EQ(status_of(http(port_, "POST", "/v1/sources/agder/run")), 202);
  }
  // A subscription to Digi Agder's items, confirmed by the receiver.
  Json subscribe() {
    const Json body = {{"url", "http://127.0.0.1:" + std::to_string(receiver_port_) + "/hook"},
                       {"filters", {{"network", {"digi-agder"}}}},
                       {"description", "end-to-end test"}};
    const std::string raw = http(port_, "POST", "/v1/subscriptions", body.dump());
    EXPECT_EQ(status_of(raw), 201) << raw;
    const Json sub = json_of(raw);
    const std::string id = sub.value("id", "");
    EXPECT_TRUE(wait_until([&] { return json_of(http(port_, "GET", "/v1/subscriptions/" + id))["status"] == "active"; },
                           std::chrono::seconds(10)))
        << "the subscription was not verified\n"
        << read_file(tmp_.path() / "serve.log");
    return sub;
  }
  Json received(const std::string& secret) {
    std::string escaped;  // base64 has '+', '/' and '='
    for (char c : secret) {
      if (c == '+' || c == '/' || c == '=') {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
        escaped += hex;
      } else {
        escaped += c;
      }
    }
    return json_of(http(receiver_port_, "GET", "/received?secret=" + escaped));
  }
  void control(int fail, int status) {
    http(receiver_port_, "POST", "/control", Json({{"fail", fail}, {"status", status}}).dump());
  }
  static int count(const Json& list, const std::function<bool(const Json&)>& pred) {
    int n = 0;
    for (const auto& m : list) n += pred(m) ? 1 : 0;
    return n;
  }

  TempDir tmp_;
  std::uint16_t port_ = 0;
  std::uint16_t receiver_port_ = 0;
  pid_t gateway_ = -1;
  pid_t receiver_ = -1;
};

TEST_F(WebhookEndToEnd, AChangeReachesTheStreamAndTheVerifiedWebhookWithinASecond) {
  RawClient sse(port_);
  ASSERT_TRUE(sse.send_all("GET /v1/stream?network=digi-agder HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  std::string stream = sse.read_all(std::chrono::milliseconds(300));
  ASSERT_EQ(status_of(stream), 200) << stream;
  const Json sub = subscribe();
  const std::string secret = sub["secret"];

  // KS pushes a rollout schedule for Digi Agder's municipalities.
  const Json schedule = {
      {"items",
       {{{"id", "ks:digihelse"},
         {"title", "Digihelse i Agder"},
         {"kind", "national_solution"},
         {"status", "rolling_out"},
         {"owner", {{"type", "ks"}, {"id", "ks"}, {"name", "KS"}}},
         {"networks", {"digi-agder"}},
         {"rollout_waves",
          {{{"name", "Bølge 2"}, {"networks", {"digi-agder"}}, {"start", "2027-01-01"}, {"precision", "quarter"}}}}}}}};
  const auto t0 = Clock::now();
  const std::string pushed = http(port_, "POST", "/v1/schedules", schedule.dump());
  ASSERT_EQ(status_of(pushed), 200) << pushed;
  std::optional<Clock::duration> to_stream, to_webhook;
  wait_until(
      [&] {
        stream += sse.read_all(std::chrono::milliseconds(10));
        if (!to_stream && stream.find("Digihelse i Agder") != std::string::npos) to_stream = Clock::now() - t0;
        if (!to_webhook) {
          const Json got = received(secret);
          if (count(got, [](const Json& m) { return m.value("item", Json()) == "ks:digihelse"; }) > 0) {
            to_webhook = Clock::now() - t0;
          }
        }
        return to_stream && to_webhook;
      },
      std::chrono::seconds(5), std::chrono::milliseconds(10));
  ASSERT_TRUE(to_stream.has_value()) << stream;
  ASSERT_TRUE(to_webhook.has_value()) << received(secret).dump() << read_file(tmp_.path() / "serve.log");
  EXPECT_LT(*to_stream, std::chrono::seconds(1));
  EXPECT_LT(*to_webhook, std::chrono::seconds(1));

  const Json got = received(secret);
  ASSERT_GE(got.size(), 2u);  // the verification event and the change
  EXPECT_EQ(got[0]["type"], "subscription.verify");
  for (const auto& m : got) EXPECT_TRUE(m["verified"].get<bool>()) << m.dump();
  EXPECT_EQ(count(got, [](const Json& m) { return m.value("type", "") == "roadmap.upsert"; }), 1)
      << "only the pushed item, once: " << got.dump();
  // A wrong secret fails verification in the receiver's library: the signatures really are checked.
  const Json wrong = received("whsec_" + base64_encode(std::string(32, 'x')));
  EXPECT_FALSE(wrong[0]["verified"].get<bool>());
}

TEST_F(WebhookEndToEnd, AFailingReceiverGetsTheDeliveryLaterAndADeadLetterCanBeReplayed) {
  const Json sub = subscribe();
  const std::string secret = sub["secret"], id = sub["id"];

  control(5, 503);
  change_and_run("Felles chatbot, fase 2");
  auto upserts = [&](const Json& list) {
    return count(list, [](const Json& m) { return m.value("type", "") == "roadmap.upsert"; });
  };
  ASSERT_TRUE(wait_until(
      [&] {
        const Json got = received(secret);
        return count(got, [](const Json& m) {
                 return m.value("type", "") == "roadmap.upsert" && m["answered"] == 200;
               }) == 1;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(100)))
      << received(secret).dump() << read_file(tmp_.path() / "serve.log");
  Json got = received(secret);
  EXPECT_EQ(upserts(got), 6) << "five refusals, then the delivery: " << got.dump();
  std::set<std::string> ids;
  for (const auto& m : got) {
    EXPECT_TRUE(m["verified"].get<bool>()) << m.dump();
    if (m.value("type", "") == "roadmap.upsert") ids.insert(m["id"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), 1u) << "every attempt carries the same webhook-id";

  control(100, 500);
  change_and_run("Felles chatbot, fase 3");
  Json failed;
  ASSERT_TRUE(wait_until(
      [&] {
        failed = json_of(http(port_, "GET", "/v1/subscriptions/" + id + "/deliveries?status=failed"));
        return failed.contains("deliveries") && failed["deliveries"].size() == 1;
      },
      std::chrono::seconds(25), std::chrono::milliseconds(200)))
      << failed.dump() << read_file(tmp_.path() / "serve.log");
  const Json dead = failed["deliveries"][0];
  EXPECT_EQ(dead["attempts"], 7);
  EXPECT_EQ(dead["last_status"], 500);
  const std::string dead_id = dead["id"];

  control(0, 200);
  EXPECT_EQ(status_of(http(port_, "POST", "/v1/subscriptions/" + id + "/deliveries/" + dead_id + "/replay")), 202);
  ASSERT_TRUE(wait_until(
      [&] {
        const Json all = received(secret);
        return count(all, [&](const Json& m) { return m["id"] == dead_id && m["answered"] == 200; }) == 1;
      },
      std::chrono::seconds(5), std::chrono::milliseconds(50)))
      << received(secret).dump();
  const Json delivered = json_of(http(port_, "GET", "/v1/subscriptions/" + id + "/deliveries?status=delivered"));
  EXPECT_EQ(count(delivered["deliveries"], [&](const Json& d) { return d["id"] == dead_id; }), 1) << delivered.dump();
  for (const auto& m : received(secret)) EXPECT_TRUE(m["verified"].get<bool>()) << m.dump();
}

}  // namespace
}  // namespace veikart

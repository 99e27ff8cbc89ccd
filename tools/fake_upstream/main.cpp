// veikart-fake-upstream: the demo's upstreams on loopback — a Fiks-style roadmap API with its token endpoint and
// a Noark 5 REST service — serving the demo data until SIGINT or SIGTERM. POST /_fault?mode=503 (or 500,
// timeout, stall, truncated, content-type, loop, no-results, revoke, none) on either port injects a fault.

#include <csignal>
#include <cstdio>
#include <iostream>

#include "gateway/config/config.hpp"
#include "tools/fake_upstream/fake_upstream.hpp"
#include "tools/fake_upstream/keys.hpp"

using namespace veikart;

namespace {

struct Args {
  std::string fiks = "127.0.0.1:8091";
  std::string noark = "127.0.0.1:8092";
  std::filesystem::path data = "config/demo/upstream";
  std::filesystem::path key_dir = "build/demo-keys";
};

int usage() {
  std::cerr << "usage: veikart-fake-upstream [--fiks HOST:PORT] [--noark HOST:PORT] [--data DIR] [--key-dir DIR]\n";
  return 2;
}

// Wraps a fake's handler with the fault switch of the demo (POST /_fault?mode=...).
HttpServer::Handler with_fault_control(HttpServer::Handler inner, fake::FaultSwitch* faults, fake::FiksFake* fiks) {
  return [inner = std::move(inner), faults, fiks](const HttpRequest& r) {
    if (r.path != "/_fault") return inner(r);
    HttpResponse out;
    out.set_header("Content-Type", "text/plain");
    const std::string mode = r.query_one("mode").value_or("");
    if (r.method != "POST") {
      out.status = 405;
    } else if (mode == "revoke" && fiks != nullptr) {
      fiks->revoke_tokens();
      out.body = "tokens revoked\n";
    } else if (auto f = fake::parse_fault(mode)) {
      faults->set(*f);
      out.body = "fault: " + mode + "\n";
    } else {
      out.status = 400;
      out.body = "unknown mode\n";
    }
    return out;
  };
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    if (a == "--fiks")
      args.fiks = argv[++i];
    else if (a == "--noark")
      args.noark = argv[++i];
    else if (a == "--data")
      args.data = argv[++i];
    else if (a == "--key-dir")
      args.key_dir = argv[++i];
    else
      return usage();
  }
  std::string fiks_host, noark_host;
  std::uint16_t fiks_port = 0, noark_port = 0;
  if (!parse_listen(args.fiks, fiks_host, fiks_port) || !parse_listen(args.noark, noark_host, noark_port)) {
    return usage();
  }
  auto solutions = fake::load_json_array(args.data / "fiks-losninger.json");
  auto cases = fake::load_json_array(args.data / "noark5-saksmapper.json");
  if (!solutions || !cases) {
    std::cerr << (solutions ? cases.error().message : solutions.error().message) << "\n";
    return 1;
  }
  // DEMO ONLY: a key pair generated on first start, never used for anything but this fake.
  auto keys = fake::load_or_create_key_pair(args.key_dir, "fiks-demo");
  if (!keys) {
    std::cerr << keys.error().message << "\n";
    return 1;
  }

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // the server threads inherit the mask; sigwait below takes them

  fake::FiksFakeOptions options;
  options.public_key_pem = keys->public_pem;
  options.audience = "http://" + args.fiks + "/";
  options.kid = "veikart-demo-key";
  options.token_lifetime = std::chrono::seconds(120);
  fake::FiksFake fiks(options, std::move(*solutions));
  fake::Noark5Fake noark(std::move(*cases), 5);
  try {
    fake::FakeServer fiks_server(
        with_fault_control([&fiks](const HttpRequest& r) { return fiks.handle(r); }, &fiks.faults, &fiks), fiks_host,
        fiks_port);
    fake::FakeServer noark_server(
        with_fault_control([&noark](const HttpRequest& r) { return noark.handle(r); }, &noark.faults, nullptr),
        noark_host, noark_port);
    std::printf("fake Fiks roadmap API on %s (token: POST /token, data: GET /veikart/api/v1/losninger)\n",
                fiks_server.base_url().c_str());
    std::printf("fake Noark 5 service on %s/api\n", noark_server.base_url().c_str());
    std::printf("demo key pair (DEMO ONLY) in %s\n", args.key_dir.string().c_str());
    std::fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}

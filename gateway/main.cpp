// veikart: the command line. The one place that lists every component (adapters through their registry).

#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "adapters/registry.hpp"
#include "gateway/auth/auth.hpp"
#include "gateway/config/config.hpp"
#include "gateway/runtime.hpp"
#include "gateway/store/store.hpp"

namespace {

constexpr const char* kUsage = R"(veikart: one roadmap for Norway's regional digitalisation networks

usage:
  veikart serve --config FILE [--listen HOST:PORT] [--data DIR]
  veikart check-config FILE
  veikart ingest --config FILE --source NAME [--dry-run] [PATH...]
  veikart hash-key
  veikart --version

exit codes: 0 done, 1 failed (source unreadable, cannot listen), 2 bad usage or configuration
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "veikart: %s\n\n%s", message.c_str(), kUsage);
  return 2;
}

struct Loaded {
  veikart::GatewayConfig config;
  veikart::Reference reference;
};

std::optional<Loaded> load(const std::string& file, const veikart::AdapterRegistry& registry) {
  auto result = veikart::load_config(file, registry);
  if (!result.config) {
    std::fprintf(stderr, "%s: %zu problem(s):\n", file.c_str(), result.problems.size());
    for (const auto& p : result.problems) std::fprintf(stderr, "  %s: %s\n", p.where.c_str(), p.reason.c_str());
    return std::nullopt;
  }
  auto reference = veikart::load_reference(*result.config);
  if (!reference) {
    std::fprintf(stderr, "%s: reference: %s\n", file.c_str(), reference.error().message.c_str());
    return std::nullopt;
  }
  return Loaded{std::move(*result.config), std::move(*reference)};
}

int cmd_check_config(const std::vector<std::string>& args, const veikart::AdapterRegistry& registry) {
  if (args.size() != 1) return usage_error("check-config takes exactly one FILE");
  auto loaded = load(args[0], registry);
  if (!loaded) return 2;
  std::printf("%s: ok (%zu sources, %zu municipalities, %zu networks, %zu themes)\n", args[0].c_str(),
              loaded->config.sources.size(), loaded->reference.municipalities().size(),
              loaded->reference.networks().size(), loaded->reference.themes().size());
  return 0;
}

int cmd_serve(const std::vector<std::string>& args, const veikart::AdapterRegistry& registry) {
  std::string config_file, listen, data;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto value = [&](const char* flag) -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      (void)flag;
      return args[++i];
    };
    if (args[i] == "--config") {
      auto v = value("--config");
      if (!v) return usage_error("--config needs a FILE");
      config_file = *v;
    } else if (args[i] == "--listen") {
      auto v = value("--listen");
      if (!v) return usage_error("--listen needs HOST:PORT");
      listen = *v;
    } else if (args[i] == "--data") {
      auto v = value("--data");
      if (!v) return usage_error("--data needs a DIR");
      data = *v;
    } else {
      return usage_error("serve: unknown argument '" + args[i] + "'");
    }
  }
  if (config_file.empty()) return usage_error("serve needs --config FILE");
  auto loaded = load(config_file, registry);
  if (!loaded) return 2;
  if (!listen.empty() && !veikart::parse_listen(listen, loaded->config.listen_host, loaded->config.listen_port)) {
    return usage_error("--listen expects HOST:PORT, got '" + listen + "'");
  }
  if (!data.empty()) loaded->config.data_dir = data;
  std::unique_ptr<veikart::Store> store;
  try {
    store = veikart::open_sqlite_store(loaded->config.data_dir.string());
  } catch (const std::exception& e) {
    veikart::log_line("error", e.what());
    return 1;
  }
  return veikart::serve(loaded->config, loaded->reference, *store, registry);
}

int cmd_ingest(const std::vector<std::string>& args, const veikart::AdapterRegistry& registry) {
  std::string config_file, source_name, data;
  bool dry_run = false;
  std::vector<std::filesystem::path> paths;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_file = args[++i];
    } else if (args[i] == "--source" && i + 1 < args.size()) {
      source_name = args[++i];
    } else if (args[i] == "--data" && i + 1 < args.size()) {
      data = args[++i];
    } else if (args[i] == "--dry-run") {
      dry_run = true;
    } else if (args[i].starts_with("--")) {
      return usage_error("ingest: unknown or incomplete option '" + args[i] + "'");
    } else {
      paths.emplace_back(args[i]);
    }
  }
  if (config_file.empty() || source_name.empty()) return usage_error("ingest needs --config FILE and --source NAME");
  auto loaded = load(config_file, registry);
  if (!loaded) return 2;
  const auto* source = loaded->config.source(source_name);
  if (source == nullptr) {
    std::string names;
    for (const auto& s : loaded->config.sources) names += (names.empty() ? "" : ", ") + s.config.name;
    return usage_error("no source named '" + source_name + "' in " + config_file + " (sources: " + names + ")");
  }
  if (!data.empty()) loaded->config.data_dir = data;
  std::unique_ptr<veikart::Store> store;
  try {
    store = veikart::open_sqlite_store(loaded->config.data_dir.string());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "veikart: %s\n", e.what());
    return 1;
  }
  const auto report = veikart::run_source_once(*source, registry, loaded->reference, *store, paths, dry_run);
  std::cout << veikart::report_to_json(report, dry_run).dump(2) << "\n";
  return report.read_failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "hash-key") {
    if (args.size() != 1) return usage_error("hash-key takes no arguments");
    const auto k = veikart::generate_key();
    std::printf(
        "API key (give it to the client once; it is not stored anywhere):\n  %s\n\n"
        "For the client's entry under clients: in the config:\n  key_sha256: %s\n",
        k.key.c_str(), k.key_sha256.c_str());
    return 0;
  }
  if (args[0] == "--version") {
    std::printf("veikart 0.1.0\n");
    return 0;
  }
  veikart::AdapterRegistry registry;
  veikart::adapters::register_all(registry);
  const std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "serve") return cmd_serve(args, registry);
    if (command == "check-config") return cmd_check_config(args, registry);
    if (command == "ingest") return cmd_ingest(args, registry);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "veikart: %s\n", e.what());
    return 1;
  }
  return usage_error("unknown command '" + command + "'");
}

#pragma once
/// @brief The gateway's YAML configuration: loading, validation against schemas/ and reference data.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gateway/auth/auth.hpp"
#include "gateway/core/adapter.hpp"
#include "gateway/core/reference.hpp"
#include "gateway/scheduler/source_monitor.hpp"
#include "gateway/subscriptions/settings.hpp"

namespace veikart {

struct SourceEntry {
  SourceConfig config;
  std::chrono::seconds interval{300};
  int precedence = 100;
};

struct Limits {
  std::size_t max_body_bytes = 1024 * 1024;  // everything but pushes
  std::size_t max_header_bytes = 16 * 1024;
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds request_timeout{30};
  std::size_t max_connections = 1024;
  /// Bodies of pushes (POST/PUT to the push routes) may be this large; other requests keep max_body_bytes.
  std::size_t push_body_bytes = 32 * 1024 * 1024;
  /// Token bucket per client (or remote address when anonymous); per_second 0 turns the limit off.
  struct Rate {
    double per_second = 0;
    double burst = 0;
  } rate;
};

/// HTTPS: the server speaks TLS only (no plain HTTP on the same port) and sends Strict-Transport-Security.
struct TlsSettings {
  std::filesystem::path cert;       // PEM certificate chain (the server's certificate first)
  std::filesystem::path key;        // PEM private key
  std::string min_version = "1.2";  // "1.2" or "1.3"
};

struct GatewayConfig {
  std::filesystem::path file;      // the config file as given
  std::filesystem::path base_dir;  // its folder: relative paths are relative to it
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::filesystem::path data_dir = "data";
  std::optional<std::filesystem::path> municipalities_file;  // defaults: the copies compiled into the binary
  std::optional<std::filesystem::path> networks_file;
  std::optional<std::filesystem::path> themes_file;
  std::vector<SourceEntry> sources;
  Limits limits;
  std::optional<TlsSettings> tls;
  int worker_threads = 2;
  /// public: anyone may read the feed; readers: reading needs a client key with the reader (or admin) role.
  enum class FeedAccess { everyone, readers } feed_access = FeedAccess::everyone;
  std::vector<Client> clients;
  SchedulerPolicy scheduler;
  WebhookSettings webhooks;  // the `subscriptions:` block
  /// How long the first answer to an Idempotency-Key is kept.
  std::chrono::seconds idempotency_retention{24 * 3600};
  /// How long audit log entries are kept (pruned hourly).
  std::chrono::seconds audit_retention{400 * 24 * 3600};

  const SourceEntry* source(std::string_view name) const;
};

struct ConfigResult {
  std::optional<GatewayConfig> config;
  std::vector<Issue> problems;  // `where` is the key path, e.g. "sources[0].mapping.titel"
};

/// Reads and validates a config file: the top level against schemas/config.schema.json, each source against its
/// adapter's schema. Every problem is reported, not just the first.
ConfigResult load_config(const std::filesystem::path& file, const AdapterRegistry& registry);

/// Loads the reference data named by the config (or the built-in defaults).
Expected<Reference> load_reference(const GatewayConfig& config);

/// Parses "30s", "5m", "1h", "1d" (or a plain number of seconds).
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

/// Parses "host:port", "[v6]:port".
bool parse_listen(std::string_view text, std::string& host, std::uint16_t& port);

/// Converts YAML text to JSON (plain scalars become numbers, booleans or null where they look like one).
Expected<Json> yaml_to_json(const std::string& text);

}  // namespace veikart

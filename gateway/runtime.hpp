#pragma once
/// @brief Assembles the running gateway: store, adapters, scheduler, API and HTTP front; and one-off runs.

#include <memory>
#include <string>
#include <vector>

#include "gateway/config/config.hpp"
#include "gateway/pipeline/ingest.hpp"
#include "gateway/store/store.hpp"

namespace veikart {

/// Reads one source once with its adapter and applies the batch (the `veikart ingest` command).
IngestReport run_source_once(const SourceEntry& source, const AdapterRegistry& registry, const Reference& reference,
                             Store& store, const std::vector<std::filesystem::path>& paths, bool dry_run);

/// The HTTP client of a source that pulls over HTTP (its `http:` settings), or null for other sources.
Expected<std::unique_ptr<HttpFetcher>> make_source_http_client(const SourceEntry& source);

/// Runs the gateway until SIGINT or SIGTERM; returns the process exit code.
int serve(const GatewayConfig& config, const Reference& reference, Store& store, const AdapterRegistry& registry);

/// One line to stderr with a UTC timestamp.
void log_line(std::string_view level, std::string_view message);

}  // namespace veikart

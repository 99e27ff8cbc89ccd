#pragma once
/// @brief A pulling source's `http:` settings (timeouts, size cap, CA file) as options for make_http_client.

#include "gateway/core/adapter.hpp"
#include "gateway/http/client.hpp"

namespace veikart {

/// True for sources that are read over HTTP: their settings name a `url` (fiks-rest, noark5).
bool pulls_over_http(const SourceConfig& source);

/// The client options of a source: `http: {connect_timeout, read_timeout, total_timeout, max_bytes, ca_file}`
/// (durations like 500ms, 30s, 5m; ca_file relative to the config file), defaults for what is not given.
Expected<HttpClientOptions> http_client_options(const SourceConfig& source);

}  // namespace veikart

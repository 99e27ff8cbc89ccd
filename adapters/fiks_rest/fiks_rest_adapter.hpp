#pragma once
/// @brief The `fiks-rest` source: a Fiks-style roadmap API (docs/fiks-roadmap-api.md) read over HTTPS with a
/// Maskinporten-style token, IntegrasjonId/IntegrasjonPassord, conditional requests and `next`-link paging.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "adapters/fiks_rest/jwt.hpp"
#include "gateway/core/adapter.hpp"

namespace veikart::adapters::fiks_rest {

struct FiksRestOptions {
  std::string source_name;
  std::string url;        // the first page of the solutions collection
  std::string token_url;  // the token endpoint (POST, form-encoded JWT bearer grant)
  AssertionClaims claims;
  std::filesystem::path key_file;  // read when the first token is needed, so a missing key fails runs, not start-up
  std::string integrasjon_id;
  std::string integrasjon_passord;
  std::string id_prefix = "ks";            // item id = <id_prefix>:<losningId>
  std::string id_system = "fiks-roadmap";  // external id system for losningId
  int page_size = 0;                       // sent as `antall` when not 0
  int max_pages = 1000;
};

/// Reads a source's settings (checked against schemas/source-fiks-rest.schema.json) and the password (or the
/// environment variable naming it); errors name the key and never contain secrets.
Expected<FiksRestOptions> parse_options(const SourceConfig& config);

/// One page's solutions mapped to fragments; `page` names the page in every `where`.
void map_page(const Json& page, const Reference& reference, const FiksRestOptions& options, std::string_view page_label,
              Batch& batch);

class FiksRestAdapter final : public SourceAdapter {
 public:
  explicit FiksRestAdapter(FiksRestOptions options) : options_(std::move(options)) {}
  boost::asio::awaitable<Expected<Batch>> pull(PullContext& ctx) override;

  /// How many tokens were fetched so far (for tests and logs).
  int tokens_fetched() const { return tokens_fetched_; }
  /// How many pages of the last pull were answered 304 Not Modified (their last good content was re-used).
  int pages_not_modified() const { return not_modified_; }

 private:
  struct CachedPage {
    std::string etag;
    Json body;
  };
  boost::asio::awaitable<Expected<std::string>> access_token(HttpFetcher& http, bool fresh);
  boost::asio::awaitable<Expected<Json>> fetch_page(HttpFetcher& http, std::string url,
                                                    std::map<std::string, CachedPage>& fetched);

  FiksRestOptions options_;
  std::shared_ptr<const JwtSigner> signer_;
  std::string token_;
  std::chrono::steady_clock::time_point token_renew_at_{};
  int tokens_fetched_ = 0;
  int not_modified_ = 0;
  std::map<std::string, CachedPage> cache_;  // by URL: the last good run's pages, for If-None-Match
};

/// The registry's factory for `type: fiks-rest`.
Expected<std::unique_ptr<SourceAdapter>> make_fiks_rest_adapter(const SourceConfig& config);

}  // namespace veikart::adapters::fiks_rest

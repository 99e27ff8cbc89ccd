#pragma once
/// @brief The `noark5` source: case files (saksmappe) from a Noark 5 REST service (tjenestegrensesnitt), found
/// from the API root by `_links` relations only, paged with $top/$skip and `next`, mapped to items' decisions.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/core/adapter.hpp"

namespace veikart::adapters::noark5 {

/// The relation of the case-file collection, with and without the version path (servers differ).
inline constexpr std::string_view kSaksmappeRel = "/sakarkiv/saksmappe/";
inline constexpr std::string_view kMediaType = "application/vnd.noark5+json";

struct Noark5Options {
  std::string source_name;
  std::string url;                           // the API root, e.g. https://arkiv.kommune.no/noark5v5/api
  std::string filter;                        // OData $filter for the case files
  bool unlinked_as_items = false;            // unlinked_cases: items
  std::string archive_system;                // system of the case-number external id (default: the source name)
  std::map<std::string, std::string> links;  // case number, mappeID or systemID → canonical item id
  Json unlinked_item;                        // kind, status, owner for cases that become items
  int page_size = 100;                       // $top
  int max_pages = 1000;
  /// The Authorization header value ("Basic …" or "Bearer …"), empty for none. Sent only to the API root's
  /// origin: a link to another host is refused rather than followed with the credentials.
  std::string authorization;
};

Expected<Noark5Options> parse_options(const SourceConfig& config);

/// `_links` as (relation, href) pairs, from the object form {"rel": {"href"}} or {"rel": [{"href"}]} and the
/// legacy array form [{"rel", "href"}].
std::vector<std::pair<std::string, std::string>> links_of(const Json& object);

/// One saksmappe mapped: appended to the batch as a fragment, a rejection or (unlinked, ignored) nothing.
/// Returns false when the case was ignored as unlinked.
bool map_case(const Json& c, const Noark5Options& options, const std::string& where, Batch& batch);

class Noark5Adapter final : public SourceAdapter {
 public:
  explicit Noark5Adapter(Noark5Options options) : options_(std::move(options)) {}
  boost::asio::awaitable<Expected<Batch>> pull(PullContext& ctx) override;

 private:
  boost::asio::awaitable<Expected<Json>> get(HttpFetcher& http, const std::string& url);
  boost::asio::awaitable<Expected<std::string>> find_case_files(HttpFetcher& http);

  Noark5Options options_;
};

Expected<std::unique_ptr<SourceAdapter>> make_noark5_adapter(const SourceConfig& config);

}  // namespace veikart::adapters::noark5

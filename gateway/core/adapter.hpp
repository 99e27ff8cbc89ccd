#pragma once
/// @brief The adapter contract: what a source adapter gets, what it returns, and how it is registered.

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "gateway/core/expected.hpp"
#include "gateway/core/fetch.hpp"
#include "gateway/core/model.hpp"
#include "gateway/core/reference.hpp"

namespace veikart {

/// A rejected record or a warning, with where it is in the input ("row 17", "/items/3/title",
/// "sheet Portefølje row 4 column C", an XML element path) and why.
struct Issue {
  std::string where;
  std::string reason;
  /// For a rejected record whose key is known (e.g. the id cell of a row with a bad date): the pipeline
  /// then keeps that record's last good version instead of treating it as withdrawn.
  std::string record = {};
  bool operator==(const Issue&) const = default;
};

/// Issues as JSON: [{<key>: where, "reason": reason}], where key is "where" in reports and runs, or "pointer",
/// "row" or "element" in problem details and receipts.
Json issues_to_json(const std::vector<Issue>& issues, std::string_view key = "where");

/// Part of one canonical item as one source record states it.
struct Fragment {
  std::string id;      // canonical id proposed by the adapter, e.g. "digi-rogaland:A2101"
  std::string record;  // the source's own key for the record (provenance.record)
  std::string where;   // where the record is in the input, for messages
  Json fields;         // an object with a subset of source_fields(), in canonical JSON form
  std::string hash;    // content hash of the source record; the pipeline computes one from fields when empty
  /// True for records that only add to an item another source describes (e.g. an archive case's decisions):
  /// the pipeline attaches them to the item their id or external ids resolve to, and reports them as warnings
  /// instead of creating an item when none exists.
  bool attach_only = false;

  Fragment() = default;
  Fragment(std::string id_, std::string record_, std::string where_, Json fields_, std::string hash_ = {},
           bool attach_only_ = false)
      : id(std::move(id_)),
        record(std::move(record_)),
        where(std::move(where_)),
        fields(std::move(fields_)),
        hash(std::move(hash_)),
        attach_only(attach_only_) {}
  Fragment(const Fragment&) = default;
  Fragment(Fragment&&) noexcept = default;
  Fragment& operator=(const Fragment&) = default;
  Fragment& operator=(Fragment&&) noexcept = default;
  /// Large reads make and drop a fragment per record: release_tree frees the fields faster.
  ~Fragment() { release_tree(fields); }
};

struct Batch {
  std::vector<Fragment> fragments;
  std::vector<Issue> rejected;
  std::vector<Issue> warnings;
  /// True when the batch is the source's whole content: records missing from it are withdrawn.
  bool snapshot = true;
};

/// A source as configured: its whole YAML object converted to JSON (name, type, interval, ... and the
/// adapter's own keys), validated against the adapter's config schema before the factory sees it.
struct SourceConfig {
  std::string name;
  std::string type;
  Json settings;
  std::filesystem::path base_dir;  // relative paths in settings are relative to this folder
  std::filesystem::path resolve(const std::string& path) const;
};

/// Takes fragments one at a time while an adapter reads (see PullContext::sink).
using FragmentSink = std::function<void(Fragment&&)>;

struct PullContext {
  const Reference& reference;
  std::vector<std::filesystem::path> paths;  // when not empty, read these instead of the configured location
  /// The HTTP client for pulling adapters, set up from the source's settings (`http:` timeouts, size cap, CA
  /// file); null where no network is available (e.g. `veikart ingest --dry-run` of a file source).
  HttpFetcher* http = nullptr;
  /// Optional. When set, an adapter that can stream hands each fragment to it as soon as the fragment is
  /// mapped and returns a batch without them (rejections, warnings and `snapshot` as usual), so a large source
  /// is never held whole in memory. Adapters that do not stream ignore it and return their fragments in the
  /// batch, so a consumer takes both. Fragments given to the sink are final: the adapter has already dropped
  /// duplicate ids.
  FragmentSink* sink = nullptr;
};

/// A source that is pulled (files, HTTP APIs).
class SourceAdapter {
 public:
  virtual ~SourceAdapter() = default;
  /// Reads the whole source once. An error means the source could not be read at all; bad records go
  /// into the batch as rejected issues instead.
  virtual boost::asio::awaitable<Expected<Batch>> pull(PullContext& ctx) = 0;
};

/// Base for adapters whose reading is synchronous (files); the scheduler runs them off the event loop.
class BlockingSourceAdapter : public SourceAdapter {
 public:
  boost::asio::awaitable<Expected<Batch>> pull(PullContext& ctx) final;
  virtual Expected<Batch> read(PullContext& ctx) = 0;
};

/// A parser for pushed or dropped payloads (bytes + media type → batch).
class PayloadParser {
 public:
  virtual ~PayloadParser() = default;
  virtual Expected<Batch> parse(std::string_view body, std::string_view media_type, const Reference& reference) = 0;
};

using AdapterFactory = std::function<Expected<std::unique_ptr<SourceAdapter>>(const SourceConfig&)>;
using ParserFactory = std::function<Expected<std::unique_ptr<PayloadParser>>(const SourceConfig&)>;

struct AdapterType {
  std::string type;                // the config `type:` name, e.g. "spreadsheet"
  std::string_view config_schema;  // JSON Schema text for the source's config object
  AdapterFactory make;
  /// For types that also accept pushed payloads (POST /v1/sources/{name}/messages); empty when they do not.
  ParserFactory make_parser = {};
};

class InventoryParser;  // gateway/core/system_record.hpp

/// Maps config type names to adapter factories. Filled by one explicit list (adapters/registry.cpp).
class AdapterRegistry {
 public:
  void add(AdapterType type);
  const AdapterType* find(std::string_view type) const;
  std::vector<std::string> types() const;

  /// The push receiver for system inventories (PUT /v1/inventories/{client}); null until one is registered.
  void set_inventory_parser(std::shared_ptr<const InventoryParser> parser) { inventory_ = std::move(parser); }
  const InventoryParser* inventory_parser() const { return inventory_.get(); }

 private:
  std::map<std::string, AdapterType, std::less<>> types_;
  std::shared_ptr<const InventoryParser> inventory_;
};

}  // namespace veikart

#pragma once
/// @brief The store interface: canonical items, per-source fragments, the change log and ingestion runs.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/adapter.hpp"
#include "gateway/core/model.hpp"

namespace veikart {

/// One source record as last accepted, kept so that items can be re-merged when any source changes.
struct StoredFragment {
  std::string source;
  std::string record;
  std::string item_id;
  std::string adapter;
  std::string hash;
  std::string fetched_at;
  int precedence = 100;
  Json fields;
  bool attach_only = false;     // see Fragment::attach_only
  std::string origin = "pull";  // "pull" (withdrawn when a snapshot no longer has it) or "push"
};

struct StoredItem {
  std::string id;
  Json doc;  // the full RoadmapItem JSON, including version and updated_at
  std::int64_t version = 0;
  bool deleted = false;
};

struct Change {
  std::int64_t seq = 0;
  std::string id;
  std::string op;  // "upsert" | "delete"
  std::optional<Json> item;
  std::string at;
};

struct IngestionRun {
  std::int64_t id = 0;
  std::string source;
  std::string started_at;
  std::string finished_at;
  std::string status;  // ok | partial | failed
  int accepted = 0;
  int rejected = 0;
  int unchanged = 0;
  int removed = 0;
  std::vector<Issue> errors;
  std::vector<Issue> warnings;
};

/// Filters of the roadmap feed; empty lists mean "any".
struct RoadmapQuery {
  std::vector<std::string> networks;
  std::vector<std::string> municipalities;
  std::vector<std::string> themes;
  std::vector<std::string> statuses;
  std::vector<std::string> kinds;
  std::optional<std::string> from;      // ISO date: items with a milestone or wave on or after
  std::optional<std::string> to;        // ISO date: ... on or before
  std::optional<std::string> after_id;  // keyset paging: ids strictly greater
  int limit = 100;
};

struct RoadmapPage {
  std::vector<Json> items;
  std::optional<std::string> last_id;  // set when more items follow
  std::int64_t sequence = 0;
};

/// What a write transaction may do. Every call happens inside one database transaction.
class StoreTransaction {
 public:
  virtual ~StoreTransaction() = default;
  virtual std::vector<StoredFragment> fragments_of_source(const std::string& source) = 0;
  virtual std::vector<StoredFragment> fragments_of_item(const std::string& item_id) = 0;
  /// Like fragments_of_source, but `fields` may be left null: for comparing hashes without holding every
  /// record's content (a 100,000-row source). Implementations that cannot leave them out need not override it.
  virtual std::vector<StoredFragment> fragment_heads_of_source(const std::string& source) {
    return fragments_of_source(source);
  }
  virtual void put_fragment(const StoredFragment& fragment) = 0;
  virtual void delete_fragment(const std::string& source, const std::string& record) = 0;
  virtual std::optional<StoredItem> item(const std::string& id) = 0;
  /// The id of a live item that carries this external id, if any.
  virtual std::optional<std::string> item_by_external_id(const std::string& system, const std::string& id) = 0;
  /// Writes the item with a new change sequence number; returns that number (the item's version).
  virtual std::int64_t upsert_item(const std::string& id, Json doc_without_version) = 0;
  /// Marks the item deleted (a tombstone in the change log); returns the change sequence number.
  virtual std::int64_t delete_item(const std::string& id) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  /// Runs `work` in one write transaction; commits when it returns true, rolls back when it returns false or
  /// throws. Writers are serialised.
  virtual void write(const std::function<bool(StoreTransaction&)>& work) = 0;

  virtual RoadmapPage roadmap(const RoadmapQuery& query) = 0;
  virtual std::optional<StoredItem> item(const std::string& id) = 0;
  virtual std::vector<Change> changes(std::int64_t since, int limit) = 0;
  virtual std::int64_t sequence() = 0;

  virtual std::int64_t begin_run(const std::string& source, const std::string& started_at) = 0;
  virtual void finish_run(const IngestionRun& run) = 0;
  /// Most recent first.
  virtual std::vector<IngestionRun> runs(const std::string& source, int limit) = 0;
  /// The most recent run of the source whose status is ok or partial.
  virtual std::optional<IngestionRun> last_good_run(const std::string& source) = 0;

  /// True when the database answers and passes a quick integrity check.
  virtual bool healthy() = 0;
};

/// Opens (creating when needed) the SQLite store in `dir`/veikart.sqlite, WAL mode, synchronous=FULL.
std::unique_ptr<Store> open_sqlite_store(const std::string& dir);

}  // namespace veikart

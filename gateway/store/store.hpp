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

/// A webhook subscription (see gateway/subscriptions/webhooks.hpp).
struct Subscription {
  std::string id;     // "sub_…"
  std::string owner;  // the client that made it ("local" without configured clients)
  std::string url;
  Json filters = Json::object();  // roadmap filters: {"network": [...], "municipality": [...], ...}
  std::string description;
  std::string secret;         // "whsec_" + base64; returned to its owner once, at creation
  std::string status;         // pending (verification not yet answered) | active | disabled
  std::string status_reason;  // why it is disabled
  std::string created_at;
  std::int64_t cursor = 0;  // the last change sequence turned into deliveries
};

/// One event for one subscription in the persisted outbox; retried until delivered or out of attempts.
struct Delivery {
  std::int64_t row = 0;  // insertion order, for paging
  std::string id;        // "msg_…", sent as webhook-id (the same on every attempt)
  std::string subscription_id;
  std::string event_type;  // roadmap.upsert | roadmap.delete | subscription.verify
  std::int64_t seq = 0;    // the change sequence (0 for verification)
  std::string payload;     // the exact JSON body that is signed and sent
  std::string status;      // pending | delivered | failed
  int attempts = 0;
  std::int64_t next_attempt_ms = 0;  // Unix milliseconds
  std::string created_at;
  std::string last_attempt_at;
  int last_status = 0;  // the receiver's last HTTP status (0: no answer)
  std::string last_error;
};

struct DeliveryQuery {
  std::string subscription_id;
  std::optional<std::string> status;
  std::int64_t after_row = 0;
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

  // Webhook subscriptions and their outbox.
  /// Stores a new subscription together with its first delivery (the verification event).
  virtual void add_subscription(const Subscription& subscription, const Delivery& verification) = 0;
  virtual std::optional<Subscription> subscription(const std::string& id) = 0;
  /// All subscriptions, or those of one owner, oldest first.
  virtual std::vector<Subscription> subscriptions(const std::optional<std::string>& owner) = 0;
  /// Removes the subscription and its deliveries; false when there was none.
  virtual bool delete_subscription(const std::string& id) = 0;
  virtual void set_subscription_status(const std::string& id, const std::string& status, const std::string& reason) = 0;
  /// For an active subscription: reads up to `limit` changes after its cursor, stores a pending delivery for each
  /// change `make` returns one for, and moves the cursor past all of them, in one transaction. Returns how many
  /// deliveries were stored. A crash before the commit leaves the cursor where it was: nothing is lost.
  virtual int enqueue_deliveries(const std::string& subscription_id, int limit,
                                 const std::function<std::optional<Delivery>(const Change&)>& make) = 0;
  /// Pending deliveries due at `now_ms`, oldest first: events of active subscriptions and verification events
  /// of pending ones.
  virtual std::vector<Delivery> due_deliveries(std::int64_t now_ms, int limit) = 0;
  /// Writes a delivery's outcome fields (status, attempts, next attempt, last status/error/attempt time).
  virtual void update_delivery(const Delivery& delivery) = 0;
  virtual std::vector<Delivery> deliveries(const DeliveryQuery& query) = 0;
  virtual std::optional<Delivery> delivery(const std::string& subscription_id, const std::string& id) = 0;
  /// Deletes delivered deliveries whose last attempt was before `before` (RFC 3339); returns how many.
  virtual int prune_deliveries(const std::string& before) = 0;
};

/// True when the item passes the roadmap filters (the same rules as Store::roadmap, evaluated in memory).
bool item_matches(const RoadmapQuery& query, const Json& item);
/// True when a change concerns a subscriber with these filters (deletions always do).
bool change_matches(const RoadmapQuery& query, const Change& change);
/// The change object of the change feed, the live stream and webhook events: {seq, id, op, item}.
Json change_to_json(const Change& change);

/// Opens (creating when needed) the SQLite store in `dir`/veikart.sqlite, WAL mode, synchronous=FULL.
std::unique_ptr<Store> open_sqlite_store(const std::string& dir);

}  // namespace veikart

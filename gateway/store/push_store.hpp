#pragma once
/// @brief The push side of the store: system inventories, idempotency keys and the audit log. Kept apart from
/// the roadmap tables (store.hpp) because none of it takes part in ingestion; same SQLite file.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/system_record.hpp"

namespace veikart {

/// The first answer given to a request with an Idempotency-Key.
struct IdempotentAnswer {
  std::string request_hash;  // SHA-256 of method, path and body
  bool pending = false;      // the first request is still being handled
  int status = 0;
  std::string content_type;
  std::string body;
};

struct AuditEntry {
  std::int64_t id = 0;  // ascending; the paging cursor
  std::string at;       // RFC 3339
  std::string request_id;
  std::string client;  // client name, "anonymous" or "loopback"
  std::string remote_address;
  std::string method;
  std::string route;  // the route template, e.g. /v1/inventories/{client}
  std::string path;
  int status = 0;
  std::optional<int> accepted;
  std::optional<int> rejected;
  bool replayed = false;  // answered from the idempotency store, nothing applied
};

class PushStore {
 public:
  virtual ~PushStore() = default;

  /// Replaces everything `client` reported with `records`, in one transaction.
  virtual void replace_systems(const std::string& client, const std::vector<SystemRecord>& records) = 0;
  /// Adds or replaces records, keyed by (reported_by, municipality, category, product).
  virtual void upsert_systems(const std::vector<SystemRecord>& records) = 0;
  /// Every client's records for one municipality, by category and product.
  virtual std::vector<SystemRecord> systems_of(const std::string& municipality) = 0;
  virtual std::size_t system_count() = 0;

  /// Claims (client, key) for a request with this hash. Returns nothing when the key was free (it is now held,
  /// pending); otherwise the stored answer (or the pending claim). Keys older than `retention` are forgotten.
  virtual std::optional<IdempotentAnswer> claim_idempotency_key(const std::string& client, const std::string& key,
                                                                const std::string& request_hash,
                                                                std::chrono::seconds retention) = 0;
  /// Stores the answer for a claimed key.
  virtual void complete_idempotency_key(const std::string& client, const std::string& key, int status,
                                        const std::string& content_type, const std::string& body) = 0;
  /// Frees a claimed key without an answer (the request may be retried with it).
  virtual void release_idempotency_key(const std::string& client, const std::string& key) = 0;

  virtual void append_audit(const AuditEntry& entry) = 0;
  /// Newest first: entries with id < before (all when 0), at most `limit`.
  virtual std::vector<AuditEntry> audit(std::int64_t before, int limit) = 0;
  /// Deletes entries written before `before` (RFC 3339); returns how many.
  virtual int prune_audit(const std::string& before) = 0;
};

/// Opens the push tables in `dir`/veikart.sqlite (the roadmap store's file), creating them when needed.
std::unique_ptr<PushStore> open_sqlite_push_store(const std::string& dir);

}  // namespace veikart

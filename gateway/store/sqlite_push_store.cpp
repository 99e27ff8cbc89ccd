// SQLite implementation of the PushStore: its own connections to the roadmap store's file, its own tables.

#include <filesystem>
#include <mutex>

#include "gateway/store/push_store.hpp"
#include "gateway/store/sqlite_db.hpp"

namespace veikart {
namespace {

using sqlite::Db;
using sqlite::Stmt;

constexpr const char* kPushSchema = R"sql(
CREATE TABLE IF NOT EXISTS systems(
  reported_by TEXT NOT NULL,
  municipality TEXT NOT NULL,
  category TEXT NOT NULL,
  product TEXT NOT NULL,
  vendor TEXT,
  vendor_orgnr TEXT,
  version TEXT,
  hosting TEXT NOT NULL,
  contract_end TEXT,
  capabilities TEXT NOT NULL DEFAULT '[]',
  reported_at TEXT NOT NULL,
  PRIMARY KEY (reported_by, municipality, category, product));
CREATE INDEX IF NOT EXISTS systems_by_municipality ON systems(municipality, category, product);
CREATE TABLE IF NOT EXISTS idempotency_keys(
  client TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  created INTEGER NOT NULL,
  status INTEGER,
  content_type TEXT,
  body TEXT,
  PRIMARY KEY (client, key));
CREATE TABLE IF NOT EXISTS audit(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  request_id TEXT NOT NULL,
  client TEXT NOT NULL,
  remote_address TEXT NOT NULL,
  method TEXT NOT NULL,
  route TEXT NOT NULL,
  path TEXT NOT NULL,
  status INTEGER NOT NULL,
  accepted INTEGER,
  rejected INTEGER,
  replayed INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
)sql";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void bind_optional(Stmt& s, int i, const std::optional<std::string>& v) {
  if (v) {
    s.bind(i, *v);
  } else {
    s.bind_null(i);
  }
}

std::optional<std::string> optional_text(const Stmt& s, int col) {
  if (s.is_null(col)) return std::nullopt;
  return s.text(col);
}

class SqlitePushStore final : public PushStore {
 public:
  explicit SqlitePushStore(const std::string& path) : writer_(path), reader_(path) {
    writer_.exec(kPushSchema);
    // A key still pending belonged to a request the gateway never answered (crash, kill): free it.
    writer_.exec("DELETE FROM idempotency_keys WHERE status IS NULL");
  }

  void replace_systems(const std::string& client, const std::vector<SystemRecord>& records) override {
    in_transaction([&] {
      Stmt(writer_, "DELETE FROM systems WHERE reported_by = ?").bind(1, client).run();
      put_systems(records);
    });
  }

  void upsert_systems(const std::vector<SystemRecord>& records) override {
    in_transaction([&] { put_systems(records); });
  }

  std::vector<SystemRecord> systems_of(const std::string& municipality) override {
    std::lock_guard lock(read_mutex_);
    Stmt s(reader_,
           "SELECT municipality, category, product, vendor, vendor_orgnr, version, hosting, contract_end, "
           "capabilities, reported_by, reported_at FROM systems WHERE municipality = ? "
           "ORDER BY category, product, reported_by");
    s.bind(1, municipality);
    std::vector<SystemRecord> out;
    while (s.step()) {
      SystemRecord r;
      r.municipality = s.text(0);
      r.category = s.text(1);
      r.product = s.text(2);
      r.vendor = optional_text(s, 3);
      r.vendor_orgnr = optional_text(s, 4);
      r.version = optional_text(s, 5);
      r.hosting = s.text(6);
      r.contract_end = optional_text(s, 7);
      const Json caps = Json::parse(s.text(8), nullptr, false);
      if (caps.is_array()) {
        for (const auto& c : caps) {
          if (c.is_string()) r.capabilities.push_back(c.get<std::string>());
        }
      }
      r.reported_by = s.text(9);
      r.reported_at = s.text(10);
      out.push_back(std::move(r));
    }
    return out;
  }

  std::size_t system_count() override {
    std::lock_guard lock(read_mutex_);
    Stmt s(reader_, "SELECT COUNT(*) FROM systems");
    s.step();
    return static_cast<std::size_t>(s.int64(0));
  }

  std::optional<IdempotentAnswer> claim_idempotency_key(const std::string& client, const std::string& key,
                                                        const std::string& request_hash,
                                                        std::chrono::seconds retention) override {
    std::optional<IdempotentAnswer> found;
    in_transaction([&] {
      const std::int64_t now = unix_now();
      Stmt(writer_, "DELETE FROM idempotency_keys WHERE created < ?").bind(1, now - retention.count()).run();
      Stmt s(writer_,
             "SELECT request_hash, status, content_type, body FROM idempotency_keys WHERE client = ? AND key = ?");
      s.bind(1, client).bind(2, key);
      if (s.step()) {
        IdempotentAnswer a;
        a.request_hash = s.text(0);
        a.pending = s.is_null(1);
        a.status = a.pending ? 0 : static_cast<int>(s.int64(1));
        a.content_type = s.text(2);
        a.body = s.text(3);
        found = std::move(a);
        return;
      }
      Stmt(writer_, "INSERT INTO idempotency_keys(client, key, request_hash, created) VALUES (?, ?, ?, ?)")
          .bind(1, client)
          .bind(2, key)
          .bind(3, request_hash)
          .bind(4, now)
          .run();
    });
    return found;
  }

  void complete_idempotency_key(const std::string& client, const std::string& key, int status,
                                const std::string& content_type, const std::string& body) override {
    in_transaction([&] {
      Stmt(writer_, "UPDATE idempotency_keys SET status = ?, content_type = ?, body = ? WHERE client = ? AND key = ?")
          .bind(1, status)
          .bind(2, content_type)
          .bind(3, body)
          .bind(4, client)
          .bind(5, key)
          .run();
    });
  }

  void release_idempotency_key(const std::string& client, const std::string& key) override {
    in_transaction([&] {
      Stmt(writer_, "DELETE FROM idempotency_keys WHERE client = ? AND key = ?").bind(1, client).bind(2, key).run();
    });
  }

  void append_audit(const AuditEntry& e) override {
    in_transaction([&] {
      Stmt s(writer_,
             "INSERT INTO audit(at, request_id, client, remote_address, method, route, path, status, accepted, "
             "rejected, replayed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      s.bind(1, e.at).bind(2, e.request_id).bind(3, e.client).bind(4, e.remote_address).bind(5, e.method);
      s.bind(6, e.route).bind(7, e.path).bind(8, e.status);
      e.accepted ? s.bind(9, *e.accepted) : s.bind_null(9);
      e.rejected ? s.bind(10, *e.rejected) : s.bind_null(10);
      s.bind(11, e.replayed ? 1 : 0).run();
    });
  }

  int prune_audit(const std::string& before) override {
    int removed = 0;
    in_transaction([&] {
      Stmt(writer_, "DELETE FROM audit WHERE at < ?").bind(1, before).run();
      removed = sqlite3_changes(writer_.get());
    });
    return removed;
  }

  std::vector<AuditEntry> audit(std::int64_t before, int limit) override {
    std::lock_guard lock(read_mutex_);
    Stmt s(reader_,
           "SELECT id, at, request_id, client, remote_address, method, route, path, status, accepted, rejected, "
           "replayed FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?");
    s.bind(1, before > 0 ? before : INT64_MAX).bind(2, limit);
    std::vector<AuditEntry> out;
    while (s.step()) {
      AuditEntry e;
      e.id = s.int64(0);
      e.at = s.text(1);
      e.request_id = s.text(2);
      e.client = s.text(3);
      e.remote_address = s.text(4);
      e.method = s.text(5);
      e.route = s.text(6);
      e.path = s.text(7);
      e.status = static_cast<int>(s.int64(8));
      if (!s.is_null(9)) e.accepted = static_cast<int>(s.int64(9));
      if (!s.is_null(10)) e.rejected = static_cast<int>(s.int64(10));
      e.replayed = s.int64(11) != 0;
      out.push_back(std::move(e));
    }
    return out;
  }

 private:
  template <class Work>
  void in_transaction(Work&& work) {
    std::lock_guard lock(write_mutex_);
    sqlite::immediate_transaction(writer_, work);
  }

  void put_systems(const std::vector<SystemRecord>& records) {
    Stmt s(writer_,
           "INSERT OR REPLACE INTO systems(reported_by, municipality, category, product, vendor, vendor_orgnr, "
           "version, hosting, contract_end, capabilities, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const auto& r : records) {
      s.reset();
      s.bind(1, r.reported_by).bind(2, r.municipality).bind(3, r.category).bind(4, r.product);
      bind_optional(s, 5, r.vendor);
      bind_optional(s, 6, r.vendor_orgnr);
      bind_optional(s, 7, r.version);
      s.bind(8, r.hosting);
      bind_optional(s, 9, r.contract_end);
      s.bind(10, Json(r.capabilities).dump()).bind(11, r.reported_at).run();
    }
  }

  Db writer_;
  std::mutex write_mutex_;
  Db reader_;
  std::mutex read_mutex_;
};

}  // namespace

std::unique_ptr<PushStore> open_sqlite_push_store(const std::string& dir) {
  std::filesystem::create_directories(dir);
  return std::make_unique<SqlitePushStore>((std::filesystem::path(dir) / "veikart.sqlite").string());
}

}  // namespace veikart

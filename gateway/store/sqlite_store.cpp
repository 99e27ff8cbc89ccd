// SQLite implementation of the Store: one file, WAL, full fsync on commit, one writer at a time and a small
// pool of reader connections so feed requests never wait behind an ingestion run.

#include <sqlite3.h>

#include <filesystem>
#include <mutex>
#include <stdexcept>

#include "gateway/store/sqlite_db.hpp"
#include "gateway/store/store.hpp"

namespace veikart {
namespace {

constexpr int kSchemaVersion = 2;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items(
  id TEXT PRIMARY KEY,
  doc TEXT NOT NULL,
  version INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  first_date TEXT,
  last_date TEXT);
CREATE TABLE IF NOT EXISTS changes(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  item_id TEXT NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
  doc TEXT,
  at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fragments(
  source TEXT NOT NULL,
  record TEXT NOT NULL,
  item_id TEXT NOT NULL,
  adapter TEXT NOT NULL,
  hash TEXT NOT NULL,
  fetched_at TEXT NOT NULL,
  precedence INTEGER NOT NULL,
  fields TEXT NOT NULL,
  attach_only INTEGER NOT NULL DEFAULT 0,
  origin TEXT NOT NULL DEFAULT 'pull',
  PRIMARY KEY (source, record));
CREATE INDEX IF NOT EXISTS fragments_by_item ON fragments(item_id);
CREATE TABLE IF NOT EXISTS external_ids(
  system TEXT NOT NULL,
  ext_id TEXT NOT NULL,
  item_id TEXT NOT NULL,
  PRIMARY KEY (system, ext_id, item_id));
CREATE INDEX IF NOT EXISTS external_ids_by_item ON external_ids(item_id);
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL DEFAULT 'running',
  accepted INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  removed INTEGER NOT NULL DEFAULT 0,
  errors TEXT NOT NULL DEFAULT '[]',
  warnings TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS runs_by_source ON runs(source, id);
CREATE TABLE IF NOT EXISTS subscriptions(
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  url TEXT NOT NULL,
  filters TEXT NOT NULL,
  description TEXT NOT NULL,
  secret TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
  status_reason TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  cursor INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries(
  rowno INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  subscription_id TEXT NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
  event_type TEXT NOT NULL,
  seq INTEGER NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  last_attempt_at TEXT NOT NULL DEFAULT '',
  last_status INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(status, next_attempt_ms);
CREATE INDEX IF NOT EXISTS deliveries_by_subscription ON deliveries(subscription_id, status, rowno);
)sql";

constexpr const char* kSubscriptionColumns =
    "id, owner, url, filters, description, secret, status, status_reason, created_at, cursor";
constexpr const char* kDeliveryColumns =
    "d.rowno, d.id, d.subscription_id, d.event_type, d.seq, d.payload, d.status, d.attempts, d.next_attempt_ms, "
    "d.created_at, d.last_attempt_at, d.last_status, d.last_error";

using sqlite::Db;
using sqlite::Stmt;

// A row of "SELECT seq, item_id, op, doc, at FROM changes".
Change change_from_row(const Stmt& s) {
  Change c{s.int64(0), s.text(1), s.text(2), std::nullopt, s.text(4)};
  if (!s.is_null(3)) c.item = Json::parse(s.text(3));
  return c;
}

std::vector<Issue> issues_from_json(const std::string& text) {
  std::vector<Issue> out;
  const Json a = Json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (const auto& i : a) out.push_back({i.value("where", ""), i.value("reason", "")});
  return out;
}

StoredFragment read_fragment(const Stmt& s) {
  StoredFragment f;
  f.source = s.text(0);
  f.record = s.text(1);
  f.item_id = s.text(2);
  f.adapter = s.text(3);
  f.hash = s.text(4);
  f.fetched_at = s.text(5);
  f.precedence = static_cast<int>(s.int64(6));
  f.fields = Json::parse(s.text(7));
  f.attach_only = s.int64(8) != 0;
  f.origin = s.text(9);
  return f;
}

constexpr const char* kFragmentColumns =
    "source, record, item_id, adapter, hash, fetched_at, precedence, fields, attach_only, origin";
/// The same columns with the fields left out (read as JSON null).
constexpr const char* kFragmentHeadColumns =
    "source, record, item_id, adapter, hash, fetched_at, precedence, 'null', attach_only, origin";

std::int64_t next_change(Db& db, const std::string& id, const char* op, const std::string* doc, const std::string& at) {
  Stmt s(db, "INSERT INTO changes(item_id, op, doc, at) VALUES (?, ?, ?, ?)");
  s.bind(1, id).bind(2, std::string(op));
  if (doc != nullptr) {
    s.bind(3, *doc);
  } else {
    s.bind_null(3);
  }
  s.bind(4, at).run();
  return sqlite3_last_insert_rowid(db.get());
}

class SqliteTransaction final : public StoreTransaction {
 public:
  explicit SqliteTransaction(Db& db) : db_(db) {}

  std::vector<StoredFragment> fragments_of_source(const std::string& source) override {
    return query_fragments("WHERE source = ? ORDER BY record", source);
  }
  std::vector<StoredFragment> fragments_of_item(const std::string& item_id) override {
    return query_fragments("WHERE item_id = ? ORDER BY precedence, source, record", item_id);
  }
  std::vector<StoredFragment> fragment_heads_of_source(const std::string& source) override {
    return query_fragments("WHERE source = ? ORDER BY record", source, kFragmentHeadColumns);
  }
  void put_fragment(const StoredFragment& f) override {
    Stmt s(db_,
           "INSERT INTO fragments(source, record, item_id, adapter, hash, fetched_at, precedence, fields, "
           "attach_only, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(source, record) DO UPDATE SET "
           "item_id = excluded.item_id, adapter = excluded.adapter, hash = excluded.hash, "
           "fetched_at = excluded.fetched_at, precedence = excluded.precedence, fields = excluded.fields, "
           "attach_only = excluded.attach_only, origin = excluded.origin");
    s.bind(1, f.source).bind(2, f.record).bind(3, f.item_id).bind(4, f.adapter).bind(5, f.hash);
    s.bind(6, f.fetched_at).bind(7, f.precedence).bind(8, f.fields.dump());
    s.bind(9, f.attach_only ? 1 : 0).bind(10, f.origin).run();
  }
  void delete_fragment(const std::string& source, const std::string& record) override {
    Stmt(db_, "DELETE FROM fragments WHERE source = ? AND record = ?").bind(1, source).bind(2, record).run();
  }
  std::optional<StoredItem> item(const std::string& id) override { return read_item(db_, id); }
  std::optional<std::string> item_by_external_id(const std::string& system, const std::string& id) override {
    Stmt s(db_,
           "SELECT e.item_id FROM external_ids e JOIN items i ON i.id = e.item_id "
           "WHERE e.system = ? AND e.ext_id = ? AND i.deleted = 0 ORDER BY e.item_id LIMIT 1");
    s.bind(1, system).bind(2, id);
    if (s.step()) return s.text(0);
    return std::nullopt;
  }
  std::int64_t upsert_item(const std::string& id, Json doc) override {
    const std::string at = now_rfc3339();
    doc["deleted"] = false;
    doc["updated_at"] = at;
    doc["version"] = 0;  // replaced below once the sequence number is known
    // The change row is inserted first to learn its sequence number, then completed with the final doc.
    const std::int64_t seq = next_change(db_, id, "upsert", nullptr, at);
    doc["version"] = seq;
    const std::string text = doc.dump();
    Stmt(db_, "UPDATE changes SET doc = ? WHERE seq = ?").bind(1, text).bind(2, seq).run();
    RoadmapItem typed = doc.get<RoadmapItem>();
    const DateSpan span = date_span(typed);
    Stmt s(db_,
           "INSERT INTO items(id, doc, version, deleted, first_date, last_date) VALUES (?, ?, ?, 0, ?, ?) "
           "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc, version = excluded.version, deleted = 0, "
           "first_date = excluded.first_date, last_date = excluded.last_date");
    s.bind(1, id).bind(2, text).bind(3, seq);
    span.first.empty() ? s.bind_null(4) : s.bind(4, span.first);
    span.last.empty() ? s.bind_null(5) : s.bind(5, span.last);
    s.run();
    Stmt(db_, "DELETE FROM external_ids WHERE item_id = ?").bind(1, id).run();
    for (const auto& e : typed.external_ids) {
      Stmt(db_, "INSERT OR IGNORE INTO external_ids(system, ext_id, item_id) VALUES (?, ?, ?)")
          .bind(1, e.system)
          .bind(2, e.id)
          .bind(3, id)
          .run();
    }
    return seq;
  }
  std::int64_t delete_item(const std::string& id) override {
    const std::string at = now_rfc3339();
    const std::int64_t seq = next_change(db_, id, "delete", nullptr, at);
    auto existing = read_item(db_, id);
    Json doc = existing ? existing->doc : Json::object();
    doc["deleted"] = true;
    doc["version"] = seq;
    doc["updated_at"] = at;
    Stmt(db_, "UPDATE items SET deleted = 1, version = ?, doc = ? WHERE id = ?")
        .bind(1, seq)
        .bind(2, doc.dump())
        .bind(3, id)
        .run();
    Stmt(db_, "DELETE FROM external_ids WHERE item_id = ?").bind(1, id).run();
    return seq;
  }

  static std::optional<StoredItem> read_item(Db& db, const std::string& id) {
    Stmt s(db, "SELECT id, doc, version, deleted FROM items WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return StoredItem{s.text(0), Json::parse(s.text(1)), s.int64(2), s.int64(3) != 0};
  }

 private:
  std::vector<StoredFragment> query_fragments(const std::string& where, const std::string& arg,
                                              const char* columns = kFragmentColumns) {
    const std::string sql = std::string("SELECT ") + columns + " FROM fragments " + where;
    Stmt s(db_, sql.c_str());
    s.bind(1, arg);
    std::vector<StoredFragment> out;
    while (s.step()) out.push_back(read_fragment(s));
    return out;
  }

  Db& db_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::string path) : path_(std::move(path)), writer_(path_) {
    writer_.exec(kSchema);
    int version = kSchemaVersion;
    {
      Stmt s(writer_, "SELECT value FROM meta WHERE key = 'schema_version'");
      if (s.step()) version = std::stoi(s.text(0));
    }
    if (version > kSchemaVersion) {
      throw std::runtime_error("store " + path_ + " was written by a newer Veikart (schema version " +
                               std::to_string(version) + ")");
    }
    if (version < 2) {
      // Version 1 stores lack the columns that tell attached and pushed records apart.
      writer_.exec("BEGIN IMMEDIATE");
      writer_.exec(
          "ALTER TABLE fragments ADD COLUMN attach_only INTEGER NOT NULL DEFAULT 0;"
          "ALTER TABLE fragments ADD COLUMN origin TEXT NOT NULL DEFAULT 'pull';");
      writer_.exec("COMMIT");
    }
    Stmt(writer_, "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)")
        .bind(1, std::to_string(kSchemaVersion))
        .run();
    // A run still marked running was interrupted by a crash or kill; nothing of it was committed.
    writer_.exec(
        "UPDATE runs SET status = 'failed', finished_at = started_at, "
        "errors = '[{\"where\":\"\",\"reason\":\"interrupted: the gateway stopped during this run\"}]' "
        "WHERE status = 'running'");
  }

  void write(const std::function<bool(StoreTransaction&)>& work) override {
    std::lock_guard lock(write_mutex_);
    sqlite::immediate_transaction(writer_, [&] {
      SqliteTransaction txn(writer_);
      return work(txn);
    });
  }

  RoadmapPage roadmap(const RoadmapQuery& q) override {
    auto reader = acquire();
    std::string sql = "SELECT id, doc FROM items WHERE deleted = 0";
    std::vector<std::string> args;
    auto any_of_array = [&](const char* path, const std::vector<std::string>& values) {
      if (values.empty()) return;
      sql += std::string(" AND EXISTS (SELECT 1 FROM json_each(items.doc, '") + path + "') WHERE value IN (";
      for (std::size_t i = 0; i < values.size(); ++i) {
        sql += i ? ", ?" : "?";
        args.push_back(values[i]);
      }
      sql += "))";
    };
    auto any_of_scalar = [&](const char* path, const std::vector<std::string>& values) {
      if (values.empty()) return;
      sql += std::string(" AND json_extract(items.doc, '") + path + "') IN (";
      for (std::size_t i = 0; i < values.size(); ++i) {
        sql += i ? ", ?" : "?";
        args.push_back(values[i]);
      }
      sql += ")";
    };
    any_of_array("$.networks", q.networks);
    any_of_array("$.municipalities", q.municipalities);
    any_of_array("$.themes", q.themes);
    any_of_scalar("$.status", q.statuses);
    any_of_scalar("$.kind", q.kinds);
    if (q.from || q.to) {
      // An item is in the window when one of its dated events (milestone or wave) overlaps it.
      const std::string from = q.from.value_or("0000-01-01");
      const std::string to = q.to.value_or("9999-12-31");
      sql +=
          " AND (EXISTS (SELECT 1 FROM json_each(items.doc, '$.milestones') m WHERE json_extract(m.value, '$.date') "
          "BETWEEN ? AND ?) OR EXISTS (SELECT 1 FROM json_each(items.doc, '$.rollout_waves') w WHERE "
          "COALESCE(json_extract(w.value, '$.start'), json_extract(w.value, '$.end')) <= ? AND "
          "COALESCE(json_extract(w.value, '$.end'), json_extract(w.value, '$.start')) >= ?))";
      args.insert(args.end(), {from, to, to, from});
    }
    if (q.after_id) {
      sql += " AND id > ?";
      args.push_back(*q.after_id);
    }
    sql += " ORDER BY id LIMIT ?";
    RoadmapPage page;
    {
      // Read the sequence and the page in one read transaction so they agree.
      reader->exec("BEGIN");
      try {
        Stmt s(*reader, sql.c_str());
        int i = 1;
        for (const auto& a : args) s.bind(i++, a);
        s.bind(i, q.limit + 1);
        std::string last;
        while (s.step()) {
          if (static_cast<int>(page.items.size()) == q.limit) {
            page.last_id = last;
            break;
          }
          last = s.text(0);
          page.items.push_back(Json::parse(s.text(1)));
        }
        page.sequence = current_sequence(*reader);
        reader->exec("COMMIT");
      } catch (...) {
        sqlite3_exec(reader->get(), "ROLLBACK", nullptr, nullptr, nullptr);
        release(std::move(reader));
        throw;
      }
    }
    release(std::move(reader));
    return page;
  }

  std::optional<StoredItem> item(const std::string& id) override {
    auto reader = acquire();
    auto result = SqliteTransaction::read_item(*reader, id);
    release(std::move(reader));
    return result;
  }

  std::vector<Change> changes(std::int64_t since, int limit) override {
    auto reader = acquire();
    std::vector<Change> out;
    {
      Stmt s(*reader, "SELECT seq, item_id, op, doc, at FROM changes WHERE seq > ? ORDER BY seq LIMIT ?");
      s.bind(1, since).bind(2, limit);
      while (s.step()) out.push_back(change_from_row(s));
    }
    release(std::move(reader));
    return out;
  }

  std::int64_t sequence() override {
    auto reader = acquire();
    const auto seq = current_sequence(*reader);
    release(std::move(reader));
    return seq;
  }

  std::int64_t begin_run(const std::string& source, const std::string& started_at) override {
    std::lock_guard lock(write_mutex_);
    Stmt(writer_, "INSERT INTO runs(source, started_at) VALUES (?, ?)").bind(1, source).bind(2, started_at).run();
    return sqlite3_last_insert_rowid(writer_.get());
  }

  void finish_run(const IngestionRun& r) override {
    std::lock_guard lock(write_mutex_);
    Stmt(writer_,
         "UPDATE runs SET finished_at = ?, status = ?, accepted = ?, rejected = ?, unchanged = ?, removed = ?, "
         "errors = ?, warnings = ? WHERE id = ?")
        .bind(1, r.finished_at)
        .bind(2, r.status)
        .bind(3, r.accepted)
        .bind(4, r.rejected)
        .bind(5, r.unchanged)
        .bind(6, r.removed)
        .bind(7, issues_to_json(r.errors).dump())
        .bind(8, issues_to_json(r.warnings).dump())
        .bind(9, r.id)
        .run();
  }

  std::vector<IngestionRun> runs(const std::string& source, int limit) override {
    return query_runs("WHERE source = ? ORDER BY id DESC LIMIT ?", source, limit);
  }

  std::optional<IngestionRun> last_good_run(const std::string& source) override {
    auto r = query_runs("WHERE source = ? AND status IN ('ok', 'partial') ORDER BY id DESC LIMIT ?", source, 1);
    if (r.empty()) return std::nullopt;
    return r.front();
  }

  bool healthy() override {
    try {
      auto reader = acquire();
      bool ok = false;
      {
        Stmt s(*reader, "PRAGMA quick_check");
        ok = s.step() && s.text(0) == "ok";
      }
      release(std::move(reader));
      return ok;
    } catch (const std::exception&) {
      return false;
    }
  }

  void add_subscription(const Subscription& sub, const Delivery& verification) override {
    transaction([&] {
      Stmt(writer_,
           "INSERT INTO subscriptions(id, owner, url, filters, description, secret, status, status_reason, "
           "created_at, cursor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
          .bind(1, sub.id)
          .bind(2, sub.owner)
          .bind(3, sub.url)
          .bind(4, sub.filters.dump())
          .bind(5, sub.description)
          .bind(6, sub.secret)
          .bind(7, sub.status)
          .bind(8, sub.status_reason)
          .bind(9, sub.created_at)
          .bind(10, sub.cursor)
          .run();
      insert_delivery(verification);
    });
  }

  std::optional<Subscription> subscription(const std::string& id) override {
    auto list = query_subscriptions("WHERE id = ?", id);
    if (list.empty()) return std::nullopt;
    return list.front();
  }

  std::vector<Subscription> subscriptions(const std::optional<std::string>& owner) override {
    return owner ? query_subscriptions("WHERE owner = ? ORDER BY created_at, id", *owner)
                 : query_subscriptions("WHERE ? = '' ORDER BY created_at, id", "");
  }

  bool delete_subscription(const std::string& id) override {
    bool found = false;
    transaction([&] {
      Stmt(writer_, "DELETE FROM deliveries WHERE subscription_id = ?").bind(1, id).run();
      Stmt(writer_, "DELETE FROM subscriptions WHERE id = ?").bind(1, id).run();
      found = sqlite3_changes(writer_.get()) > 0;
    });
    return found;
  }

  void set_subscription_status(const std::string& id, const std::string& status, const std::string& reason) override {
    std::lock_guard lock(write_mutex_);
    Stmt(writer_, "UPDATE subscriptions SET status = ?, status_reason = ? WHERE id = ?")
        .bind(1, status)
        .bind(2, reason)
        .bind(3, id)
        .run();
  }

  int enqueue_deliveries(const std::string& subscription_id, int limit,
                         const std::function<std::optional<Delivery>(const Change&)>& make) override {
    int made = 0;
    transaction([&] {
      std::int64_t cursor = 0;
      {
        Stmt s(writer_, "SELECT cursor FROM subscriptions WHERE id = ? AND status = 'active'");
        s.bind(1, subscription_id);
        if (!s.step()) return;
        cursor = s.int64(0);
      }
      std::vector<Change> batch;
      {
        Stmt s(writer_, "SELECT seq, item_id, op, doc, at FROM changes WHERE seq > ? ORDER BY seq LIMIT ?");
        s.bind(1, cursor).bind(2, limit);
        while (s.step()) batch.push_back(change_from_row(s));
      }
      if (batch.empty()) return;
      for (const auto& change : batch) {
        if (auto d = make(change)) {
          insert_delivery(*d);
          ++made;
        }
      }
      Stmt(writer_, "UPDATE subscriptions SET cursor = ? WHERE id = ?")
          .bind(1, batch.back().seq)
          .bind(2, subscription_id)
          .run();
    });
    return made;
  }

  std::vector<Delivery> due_deliveries(std::int64_t now_ms, int limit) override {
    return query_deliveries(
        "JOIN subscriptions s ON s.id = d.subscription_id WHERE d.status = 'pending' AND d.next_attempt_ms <= ?1 "
        "AND (s.status = 'active' OR (s.status = 'pending' AND d.event_type = 'subscription.verify')) "
        "ORDER BY d.next_attempt_ms, d.rowno LIMIT ?2",
        [&](Stmt& s) { s.bind(1, now_ms).bind(2, limit); });
  }

  void update_delivery(const Delivery& d) override {
    std::lock_guard lock(write_mutex_);
    Stmt(writer_,
         "UPDATE deliveries SET status = ?, attempts = ?, next_attempt_ms = ?, last_attempt_at = ?, last_status = ?, "
         "last_error = ? WHERE id = ?")
        .bind(1, d.status)
        .bind(2, d.attempts)
        .bind(3, d.next_attempt_ms)
        .bind(4, d.last_attempt_at)
        .bind(5, d.last_status)
        .bind(6, d.last_error)
        .bind(7, d.id)
        .run();
  }

  std::vector<Delivery> deliveries(const DeliveryQuery& q) override {
    return query_deliveries(
        "WHERE d.subscription_id = ?1 AND (?2 = '' OR d.status = ?2) AND d.rowno > ?3 ORDER BY d.rowno LIMIT ?4",
        [&](Stmt& s) {
          s.bind(1, q.subscription_id).bind(2, q.status.value_or("")).bind(3, q.after_row).bind(4, q.limit);
        });
  }

  std::optional<Delivery> delivery(const std::string& subscription_id, const std::string& id) override {
    auto list = query_deliveries("WHERE d.subscription_id = ?1 AND d.id = ?2",
                                 [&](Stmt& s) { s.bind(1, subscription_id).bind(2, id); });
    if (list.empty()) return std::nullopt;
    return list.front();
  }

  int prune_deliveries(const std::string& before) override {
    std::lock_guard lock(write_mutex_);
    Stmt(writer_, "DELETE FROM deliveries WHERE status = 'delivered' AND last_attempt_at < ?").bind(1, before).run();
    return sqlite3_changes(writer_.get());
  }

 private:
  // Runs `work` in one write transaction on the writer connection (committed unless it throws).
  template <class Work>
  void transaction(Work&& work) {
    std::lock_guard lock(write_mutex_);
    sqlite::immediate_transaction(writer_, work);
  }

  void insert_delivery(const Delivery& d) {
    Stmt(writer_,
         "INSERT INTO deliveries(id, subscription_id, event_type, seq, payload, status, attempts, next_attempt_ms, "
         "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(1, d.id)
        .bind(2, d.subscription_id)
        .bind(3, d.event_type)
        .bind(4, d.seq)
        .bind(5, d.payload)
        .bind(6, d.status)
        .bind(7, d.attempts)
        .bind(8, d.next_attempt_ms)
        .bind(9, d.created_at)
        .run();
  }

  std::vector<Subscription> query_subscriptions(const char* where, const std::string& arg) {
    auto reader = acquire();
    std::vector<Subscription> out;
    {
      const std::string sql = std::string("SELECT ") + kSubscriptionColumns + " FROM subscriptions " + where;
      Stmt s(*reader, sql.c_str());
      s.bind(1, arg);
      while (s.step()) {
        Subscription sub;
        sub.id = s.text(0);
        sub.owner = s.text(1);
        sub.url = s.text(2);
        sub.filters = Json::parse(s.text(3), nullptr, false);
        sub.description = s.text(4);
        sub.secret = s.text(5);
        sub.status = s.text(6);
        sub.status_reason = s.text(7);
        sub.created_at = s.text(8);
        sub.cursor = s.int64(9);
        out.push_back(std::move(sub));
      }
    }
    release(std::move(reader));
    return out;
  }

  template <class Bind>
  std::vector<Delivery> query_deliveries(const char* rest, Bind&& bind) {
    auto reader = acquire();
    std::vector<Delivery> out;
    {
      const std::string sql = std::string("SELECT ") + kDeliveryColumns + " FROM deliveries d " + rest;
      Stmt s(*reader, sql.c_str());
      bind(s);
      while (s.step()) {
        Delivery d;
        d.row = s.int64(0);
        d.id = s.text(1);
        d.subscription_id = s.text(2);
        d.event_type = s.text(3);
        d.seq = s.int64(4);
        d.payload = s.text(5);
        d.status = s.text(6);
        d.attempts = static_cast<int>(s.int64(7));
        d.next_attempt_ms = s.int64(8);
        d.created_at = s.text(9);
        d.last_attempt_at = s.text(10);
        d.last_status = static_cast<int>(s.int64(11));
        d.last_error = s.text(12);
        out.push_back(std::move(d));
      }
    }
    release(std::move(reader));
    return out;
  }
  std::vector<IngestionRun> query_runs(const char* where, const std::string& source, int limit) {
    auto reader = acquire();
    std::vector<IngestionRun> out;
    {
      const std::string sql =
          std::string(
              "SELECT id, source, started_at, COALESCE(finished_at, ''), status, accepted, rejected, unchanged, "
              "removed, errors, warnings FROM runs ") +
          where;
      Stmt s(*reader, sql.c_str());
      s.bind(1, source).bind(2, limit);
      while (s.step()) {
        IngestionRun r;
        r.id = s.int64(0);
        r.source = s.text(1);
        r.started_at = s.text(2);
        r.finished_at = s.text(3);
        r.status = s.text(4);
        r.accepted = static_cast<int>(s.int64(5));
        r.rejected = static_cast<int>(s.int64(6));
        r.unchanged = static_cast<int>(s.int64(7));
        r.removed = static_cast<int>(s.int64(8));
        r.errors = issues_from_json(s.text(9));
        r.warnings = issues_from_json(s.text(10));
        out.push_back(std::move(r));
      }
    }
    release(std::move(reader));
    return out;
  }

  static std::int64_t current_sequence(Db& db) {
    Stmt s(db, "SELECT COALESCE(MAX(seq), 0) FROM changes");
    s.step();
    return s.int64(0);
  }

  std::unique_ptr<Db> acquire() {
    {
      std::lock_guard lock(pool_mutex_);
      if (!readers_.empty()) {
        auto db = std::move(readers_.back());
        readers_.pop_back();
        return db;
      }
    }
    auto db = std::make_unique<Db>(path_);
    db->exec("PRAGMA query_only=ON");
    return db;
  }

  void release(std::unique_ptr<Db> db) {
    std::lock_guard lock(pool_mutex_);
    if (readers_.size() < 8) readers_.push_back(std::move(db));
  }

  std::string path_;
  Db writer_;
  std::mutex write_mutex_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<Db>> readers_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::string& dir) {
  std::filesystem::create_directories(dir);
  return std::make_unique<SqliteStore>((std::filesystem::path(dir) / "veikart.sqlite").string());
}

}  // namespace veikart

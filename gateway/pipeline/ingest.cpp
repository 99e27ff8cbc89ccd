#include "gateway/pipeline/ingest.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "gateway/core/schema.hpp"
#include "gateway/pipeline/merge.hpp"

namespace veikart {
namespace {

// Runs keep at most this many issues each, so a broken 100,000-row file cannot bloat the store.
constexpr std::size_t kMaxStoredIssues = 1000;

Json without_volatile(Json doc) {
  doc.erase("version");
  doc.erase("updated_at");
  doc.erase("deleted");
  return doc;
}

std::string join_issues(const std::vector<Issue>& issues) {
  std::string out;
  for (const auto& i : issues) {
    if (!out.empty()) out += "; ";
    out += (i.where.empty() ? std::string("/") : i.where) + ": " + i.reason;
  }
  return out;
}

// Checks a merged item against the full schema and the typed model.
std::vector<Issue> check_item(const Json& merged) {
  Json full = merged;
  full["version"] = 1;
  full["updated_at"] = "2000-01-01T00:00:00Z";
  full["deleted"] = false;
  auto issues = roadmap_item_schema().validate(full);
  if (issues.empty()) {
    try {
      (void)full.get<RoadmapItem>();
    } catch (const std::exception& e) {
      issues.push_back({"", e.what()});
    }
  }
  return issues;
}

/// Applies one source's fragments inside a write transaction as they come: validates each, rejects duplicate
/// records, resolves the item and stores what changed; `finish` then withdraws what a snapshot no longer holds
/// and re-merges every affected item. Per record it keeps only the key, where it was and its item.
class Applier {
 public:
  Applier(StoreTransaction& txn, const SourceInfo& source, const std::string& origin, bool dry_run,
          IngestReport& report)
      : txn(txn), source(source), origin(origin), dry_run(dry_run), report(report), fetched_at(now_rfc3339()) {
    // Without their fields: a record's stored content is needed only to restore it (see `previous`).
    for (auto& f : txn.fragment_heads_of_source(source.name)) existing.emplace(f.record, std::move(f));
  }

  void apply(const Fragment& frag) {
    const std::string record = frag.record.empty() ? frag.id : frag.record;
    if (auto it = seen.find(record); it != seen.end()) {
      report.rejected.push_back({frag.where, "duplicate record '" + record + "' (first at " + it->second + ")"});
      return;
    }
    seen.emplace(record, frag.where);
    if (!frag.fields.is_object()) {
      report.rejected.push_back({frag.where, "record has no fields", record});
      kept.insert(record);
      return;
    }
    if (auto problems = fragment_schema().validate(frag.fields); !problems.empty()) {
      report.rejected.push_back({frag.where, join_issues(problems), record});
      kept.insert(record);
      return;
    }
    std::string item_id = frag.id;
    bool live = false;
    if (auto current = txn.item(item_id); current && !current->deleted) {
      live = true;
    } else if (frag.fields.contains("external_ids") && frag.fields["external_ids"].is_array()) {
      // Entity resolution: a record that names an external id another item already carries belongs to it.
      for (const auto& e : frag.fields["external_ids"]) {
        if (!e.is_object()) continue;
        if (auto owner = txn.item_by_external_id(e.value("system", ""), e.value("id", ""))) {
          item_id = *owner;
          live = true;
          break;
        }
      }
    }
    if (frag.attach_only && !live) {
      std::string ids;
      if (frag.fields.contains("external_ids") && frag.fields["external_ids"].is_array()) {
        for (const auto& e : frag.fields["external_ids"]) {
          if (e.is_object()) ids += ", " + e.value("system", "") + " " + e.value("id", "");
        }
      }
      report.warnings.push_back({frag.where, "not linked to any roadmap item (no item has id '" + frag.id + "'" +
                                                 (ids.empty() ? "" : " or external id " + ids.substr(2)) +
                                                 "); not shown in the feed"});
      ++report.unlinked;
      return;
    }
    const std::string hash = frag.hash.empty() ? sha256_hex(frag.fields.dump()) : frag.hash;
    if (auto it = existing.find(record);
        it != existing.end() && it->second.hash == hash && it->second.item_id == item_id) {
      ++report.unchanged;
      return;
    }
    if (auto it = existing.find(record); it != existing.end()) {
      if (it->second.item_id != item_id) affected.insert(it->second.item_id);
      // Kept whole before it is overwritten, in case the new version makes its item invalid.
      for (auto& f : txn.fragments_of_item(it->second.item_id)) {
        if (f.source == source.name && f.record == record) previous.insert_or_assign(record, std::move(f));
      }
    }
    txn.put_fragment({source.name, record, item_id, source.adapter, hash, fetched_at, source.precedence, frag.fields,
                      frag.attach_only, origin});
    affected.insert(item_id);
    records_of_item[item_id].push_back(record);
    ++report.accepted;
  }

  /// `batch` gives the adapter's rejections (whose records keep their last good version) and `snapshot`.
  void finish(const Batch& batch) {
    for (const auto& r : batch.rejected) {
      if (!r.record.empty()) kept.insert(r.record);
    }
    if (batch.snapshot) {
      for (const auto& [record, f] : existing) {
        if (seen.count(record) || kept.count(record) || f.origin != origin) continue;
        txn.delete_fragment(source.name, record);
        affected.insert(f.item_id);
        ++report.removed;
      }
    }

    for (const auto& item_id : affected) {
      auto fragments = txn.fragments_of_item(item_id);
      auto current = txn.item(item_id);
      const bool owned =
          std::any_of(fragments.begin(), fragments.end(), [](const StoredFragment& f) { return !f.attach_only; });
      if (!owned) {
        // Only attached records are left (their item was withdrawn): they go with it.
        for (const auto& f : fragments) txn.delete_fragment(f.source, f.record);
        fragments.clear();
      }
      if (fragments.empty()) {
        if (current && !current->deleted) {
          if (!dry_run) txn.delete_item(item_id);
          report.changed_items.push_back(item_id);
        }
        continue;
      }
      Json merged = merge_fragments(item_id, fragments);
      if (auto problems = check_item(merged); !problems.empty()) {
        // This source's new records cannot make a valid item: reject them and keep what was there before.
        for (const auto& record : records_of_item[item_id]) {
          report.rejected.push_back(
              {seen[record], "item '" + item_id + "' would be invalid: " + join_issues(problems), record});
          --report.accepted;
          if (auto it = previous.find(record); it != previous.end()) {
            txn.put_fragment(it->second);
          } else {
            txn.delete_fragment(source.name, record);
          }
        }
        fragments = txn.fragments_of_item(item_id);
        if (fragments.empty()) continue;
        merged = merge_fragments(item_id, fragments);
        if (!check_item(merged).empty()) continue;  // the stored state stays as it was
      }
      if (current && !current->deleted && without_volatile(current->doc) == merged) continue;
      report.changed_items.push_back(item_id);
      if (dry_run) {
        Json shown = merged;
        shown["updated_at"] = fetched_at;
        shown["version"] = current ? current->version : 0;
        shown["deleted"] = false;
        report.items.push_back(std::move(shown));
      } else {
        txn.upsert_item(item_id, merged);
      }
    }
  }

 private:
  StoreTransaction& txn;
  const SourceInfo& source;
  const std::string& origin;
  const bool dry_run;
  IngestReport& report;
  const std::string fetched_at;
  std::map<std::string, StoredFragment> existing;  // this source's stored records, without their fields
  std::map<std::string, StoredFragment> previous;  // the stored version of each changed record, whole
  std::set<std::string> kept;                      // records rejected this time whose last good version stays
  std::map<std::string, std::string> seen;         // record → where
  std::set<std::string> affected;
  std::map<std::string, std::vector<std::string>> records_of_item;  // this source's changed records per item
};

/// Records the finished run (not in dry runs).
void record_run(Store& store, std::int64_t run_id, const SourceInfo& source, const std::string& started_at,
                IngestReport& report) {
  IngestionRun& run = report.run;
  run.id = run_id;
  run.source = source.name;
  run.started_at = started_at;
  run.finished_at = now_rfc3339();
  run.status = report.read_failed ? "failed" : (report.rejected.empty() ? "ok" : "partial");
  run.accepted = report.accepted;
  run.rejected = static_cast<int>(report.rejected.size());
  run.unchanged = report.unchanged;
  run.removed = report.removed;
  if (report.read_failed) run.errors.push_back({"", report.error});
  for (const auto& r : report.rejected) {
    if (run.errors.size() >= kMaxStoredIssues) break;
    run.errors.push_back(r);
  }
  for (const auto& w : report.warnings) {
    if (run.warnings.size() >= kMaxStoredIssues) break;
    run.warnings.push_back(w);
  }
  store.finish_run(run);
}

}  // namespace

IngestReport ingest_batch(Store& store, const SourceInfo& source, const Expected<Batch>& batch, bool dry_run,
                          const std::string& started_at, const std::string& origin) {
  IngestReport report;
  report.source = source.name;
  std::int64_t run_id = 0;
  if (!dry_run) run_id = store.begin_run(source.name, started_at);

  if (!batch.ok()) {
    report.read_failed = true;
    report.error = batch.error().message;
  } else {
    report.warnings = batch->warnings;
    report.rejected = batch->rejected;
    store.write([&](StoreTransaction& txn) {
      Applier applier(txn, source, origin, dry_run, report);
      for (const auto& frag : batch->fragments) applier.apply(frag);
      applier.finish(*batch);
      return !dry_run;
    });
  }
  if (!dry_run) record_run(store, run_id, source, started_at, report);
  return report;
}

StreamedRun::StreamedRun(Store& store, SourceInfo source, bool dry_run, std::string started_at, std::string origin)
    : store_(store),
      source_(std::move(source)),
      dry_run_(dry_run),
      started_at_(std::move(started_at)),
      origin_(std::move(origin)) {
  if (!dry_run_) run_id_ = store_.begin_run(source_.name, started_at_);
}

IngestReport StreamedRun::attempt(const StreamingRead& read) {
  IngestReport report;
  report.source = source_.name;
  store_.write([&](StoreTransaction& txn) {
    Applier applier(txn, source_, origin_, dry_run_, report);
    FragmentSink sink = [&](Fragment&& f) { applier.apply(f); };
    Expected<Batch> batch = Error{"not read"};
    try {
      batch = read(sink);
    } catch (const std::exception& e) {
      batch = Error{std::string("adapter failed unexpectedly: ") + e.what()};
    }
    if (!batch) {
      // Nothing of a failed read is kept: the transaction rolls back.
      report = IngestReport{};
      report.source = source_.name;
      report.read_failed = true;
      report.error = batch.error().message;
      return false;
    }
    for (const auto& frag : batch->fragments) applier.apply(frag);  // from adapters that do not stream
    // The adapter's own issues come first, as in ingest_batch.
    report.rejected.insert(report.rejected.begin(), batch->rejected.begin(), batch->rejected.end());
    report.warnings.insert(report.warnings.begin(), batch->warnings.begin(), batch->warnings.end());
    applier.finish(*batch);
    return !dry_run_;
  });
  return report;
}

IngestReport StreamedRun::finish(IngestReport report) {
  if (!dry_run_) record_run(store_, run_id_, source_, started_at_, report);
  return report;
}

IngestReport ingest_streamed(Store& store, const SourceInfo& source, const StreamingRead& read, bool dry_run,
                             const std::string& started_at, const std::string& origin) {
  StreamedRun run(store, source, dry_run, started_at, origin);
  return run.finish(run.attempt(read));
}

Json report_to_json(const IngestReport& report, bool with_items) {
  Json j = {{"source", report.source},
            {"accepted", report.accepted},
            {"unchanged", report.unchanged},
            {"removed", report.removed},
            {"unlinked", report.unlinked},
            {"rejected", issues_to_json(report.rejected)},
            {"warnings", issues_to_json(report.warnings)}};
  if (report.read_failed) j["error"] = report.error;
  if (with_items) j["items"] = report.items;
  return j;
}

}  // namespace veikart

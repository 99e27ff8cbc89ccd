#pragma once
/// @brief The pipeline after an adapter: validate fragments, resolve ids, merge, store in one transaction and
/// record the ingestion run.

#include <functional>
#include <string>
#include <vector>

#include "gateway/core/adapter.hpp"
#include "gateway/store/store.hpp"

namespace veikart {

struct SourceInfo {
  std::string name;
  std::string adapter;  // the adapter type name
  int precedence = 100;
};

struct IngestReport {
  std::string source;
  bool read_failed = false;  // the adapter could not read the source at all
  std::string error;         // why, when read_failed
  int accepted = 0;          // new or changed records applied
  int unchanged = 0;         // records identical to the stored ones
  int removed = 0;           // records no longer in the source (withdrawn)
  int unlinked = 0;          // attach-only records whose item does not exist (reported as warnings)
  std::vector<Issue> rejected;
  std::vector<Issue> warnings;
  std::vector<std::string> changed_items;  // ids whose canonical item changed (or would, in a dry run)
  std::vector<Json> items;                 // dry runs only: the merged items as they would be stored
  IngestionRun run;                        // as recorded (not in dry runs)
};

/// Applies a pulled batch (or the error that replaced it) for one source. With dry_run nothing is written:
/// the transaction is rolled back and no run is recorded.
/// `origin` is "pull" for a source's own reads and "push" for payloads pushed to it: a snapshot pull withdraws
/// only pulled records, so pushed ones stay until a later push or pull replaces them.
IngestReport ingest_batch(Store& store, const SourceInfo& source, const Expected<Batch>& batch, bool dry_run,
                          const std::string& started_at, const std::string& origin = "pull");

/// Reads a source through `read` and applies what it hands to the sink as it comes, in one write transaction:
/// the same checks, merge and run record as ingest_batch, without holding every fragment at once (per record
/// only its key, where it was and its item). `read` is called inside the transaction with a sink; fragments it
/// still returns in the batch (adapters that do not stream) are applied after it. A failed read rolls the
/// transaction back and is recorded as a failed run.
using StreamingRead = std::function<Expected<Batch>(FragmentSink& sink)>;
IngestReport ingest_streamed(Store& store, const SourceInfo& source, const StreamingRead& read, bool dry_run,
                             const std::string& started_at, const std::string& origin = "pull");

/// A streamed run that may take several reads, as a scheduled run retrying a failed read does: the run is
/// recorded as started once, each attempt reads and applies in its own write transaction (a failed read rolls
/// back and records nothing), and finish() records the last attempt's report. Waiting between attempts happens
/// outside any transaction, so a retry's backoff never holds the writer.
class StreamedRun {
 public:
  StreamedRun(Store& store, SourceInfo source, bool dry_run, std::string started_at, std::string origin = "pull");
  IngestReport attempt(const StreamingRead& read);
  IngestReport finish(IngestReport report);

 private:
  Store& store_;
  SourceInfo source_;
  bool dry_run_;
  std::string started_at_;
  std::string origin_;
  std::int64_t run_id_ = 0;
};

/// The report as the `veikart ingest` command prints it.
Json report_to_json(const IngestReport& report, bool with_items);

}  // namespace veikart

// Reads a portfolio workbook (made by generate.py) through the spreadsheet adapter, the way the gateway does,
// and prints how long it took. Usage: bench_xlsx FILE.xlsx [--runs N] [--show] [--split]
// --split also times the two halves apart: the XLSX reader alone, then the mapping of its rows;
// --reader-only stops after the reader (to see its own peak memory under /usr/bin/time -v); --dump FILE writes
// every fragment, rejection and warning of the first run as lines of text (to check that a change maps the same).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <sys/resource.h>

#include "adapters/spreadsheet/spreadsheet_adapter.hpp"
#include "adapters/spreadsheet/xlsx_reader.hpp"
#include "gateway/config/config.hpp"

namespace {

using veikart::Json;

/// The mapping a network secretariat would write for generate.py's columns.
Json bench_settings(const std::string& path) {
  Json settings = Json::parse(R"({
    "name": "bench-portefolje", "type": "spreadsheet", "id_prefix": "bench",
    "priority_scheme": "rogaland-ab",
    "defaults": {"kind": "regional_project", "networks": ["digi-rogaland"],
                 "owner": {"type": "network", "id": "digi-rogaland"}},
    "mapping": {
      "id": "ID", "title": "Prosjekt", "status": "Status", "municipalities": "Kommuner", "themes": "Fagområde",
      "priority": "Kategori",
      "milestones": [{"column": "Oppstart", "kind": "start"}, {"column": "Innføring", "kind": "rollout_start"}],
      "costs": [{"column": "Investering pr kommune", "category": "investment", "per": "municipality"}]
    }
  })");
  settings["path"] = path;
  return settings;
}

/// CPU time of the whole process (every thread) and of the calling thread, in seconds.
double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: bench_xlsx FILE.xlsx [--runs N] [--show] [--batch] [--split] [--reader-only] [--dump FILE]\n");
    return 2;
  }
  const std::filesystem::path file = std::filesystem::absolute(argv[1]);
  int runs = 1;
  bool show = false, split = false, reader_only = false, batch_mode = false;
  std::string dump_path;
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
    if (a == "--show") show = true;
    if (a == "--dump" && i + 1 < argc) dump_path = argv[++i];
    if (a == "--batch") batch_mode = true;
    if (a == "--split") split = true;
    if (a == "--reader-only") split = reader_only = true;
  }

  auto reference = veikart::load_reference(veikart::GatewayConfig{});
  if (!reference) {
    std::fprintf(stderr, "reference data: %s\n", reference.error().message.c_str());
    return 1;
  }
  const veikart::SourceConfig config{"bench-portefolje", "spreadsheet", bench_settings(file.string()),
                                     file.parent_path()};
  auto adapter = veikart::adapters::spreadsheet::make_spreadsheet_adapter(config);
  if (!adapter) {
    std::fprintf(stderr, "config: %s\n", adapter.error().message.c_str());
    return 1;
  }
  auto* blocking = dynamic_cast<veikart::BlockingSourceAdapter*>(adapter->get());

  if (split) {
    namespace ss = veikart::adapters::spreadsheet;
    std::ifstream in(file, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string bytes = buffer.str();
    auto options = ss::parse_options(config);
    const auto t0 = std::chrono::steady_clock::now();
    auto sheet = ss::read_xlsx(bytes, options->sheet);
    const auto t1 = std::chrono::steady_clock::now();
    if (!sheet) {
      std::fprintf(stderr, "read: %s\n", sheet.error().message.c_str());
      return 1;
    }
    if (reader_only) {
      // The row reader the adapter uses, alone: how it read the sheet and how long handing out every row took.
      const auto r0 = std::chrono::steady_clock::now();
      auto rows = ss::XlsxRowReader::open(bytes, options->sheet);
      if (!rows) {
        std::fprintf(stderr, "read: %s\n", rows.error().message.c_str());
        return 1;
      }
      std::size_t n = 0;
      while ((*rows)->next() != nullptr) ++n;
      const auto mode = (*rows)->mode();
      std::printf("row reader: %.3f s (%zu rows, %s)\n",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count(), n,
                  mode == ss::XlsxRowReader::Mode::streamed          ? "streamed"
                  : mode == ss::XlsxRowReader::Mode::whole_on_worker ? "whole, on a worker"
                                                                     : "whole");
      std::printf("reader only: read_xlsx %.3f s (%zu rows)\n", std::chrono::duration<double>(t1 - t0).count(),
                  sheet->rows.size());
      return 0;
    }
    auto batch = ss::map_table(sheet->rows, *options, *reference, "sheet " + sheet->name, true);
    const auto t2 = std::chrono::steady_clock::now();
    std::printf("split: read_xlsx %.3f s (%zu rows)  map_table %.3f s (%zu fragments)\n",
                std::chrono::duration<double>(t1 - t0).count(), sheet->rows.size(),
                std::chrono::duration<double>(t2 - t1).count(), batch ? batch->fragments.size() : 0);
  }

  for (int run = 0; run < runs; ++run) {
    veikart::PullContext ctx{*reference, {}};
    // Streaming (the default): each fragment goes to a sink that keeps what a consumer must keep of it, its
    // record key, and lets the rest go. With --batch the adapter collects every fragment in the Batch.
    std::FILE* dump = run == 0 && !dump_path.empty() ? std::fopen(dump_path.c_str(), "w") : nullptr;
    std::vector<std::string> records;
    std::vector<veikart::Fragment> shown;
    std::size_t streamed = 0;
    veikart::FragmentSink sink = [&](veikart::Fragment&& f) {
      ++streamed;
      if (show && shown.size() < 2) shown.push_back(f);
      if (dump)
        std::fprintf(dump, "%s\t%s\t%s\t%s\n", f.id.c_str(), f.where.c_str(), f.hash.c_str(), f.fields.dump().c_str());
      records.push_back(std::move(f.record));
    };
    if (!batch_mode) ctx.sink = &sink;
    const double cpu_before = process_cpu_seconds(), own_before = thread_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    auto batch = blocking->read(ctx);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = process_cpu_seconds() - cpu_before, own = thread_cpu_seconds() - own_before;
    if (!batch) {
      std::fprintf(stderr, "read: %s\n", batch.error().message.c_str());
      return 1;
    }
    for (auto& f : batch->fragments) {
      if (show && shown.size() < 2) shown.push_back(f);
      if (dump)
        std::fprintf(dump, "%s\t%s\t%s\t%s\n", f.id.c_str(), f.where.c_str(), f.hash.c_str(), f.fields.dump().c_str());
    }
    for (const auto& r : batch->rejected) {
      if (dump) std::fprintf(dump, "rejected\t%s\t%s\t%s\n", r.where.c_str(), r.record.c_str(), r.reason.c_str());
    }
    for (const auto& w : batch->warnings) {
      if (dump) std::fprintf(dump, "warning\t%s\t%s\n", w.where.c_str(), w.reason.c_str());
    }
    if (dump) std::fclose(dump);
    streamed += batch->fragments.size();
    const std::size_t rows = streamed + batch->rejected.size();
    std::printf(
        "run %d (%s): rows %zu  seconds %.3f  rows/s %.0f  fragments %zu  rejected %zu  warnings %zu  "
        "cpu %.3f s (mapping thread %.3f s)\n",
        run + 1, batch_mode ? "batch" : "stream", rows, seconds, rows / seconds, streamed, batch->rejected.size(),
        batch->warnings.size(), cpu, own);
    if (show && run == 0) {
      for (const auto& f : shown) std::printf("%s %s %s\n", f.where.c_str(), f.hash.c_str(), f.fields.dump().c_str());
      for (std::size_t i = 0; i < batch->rejected.size() && i < 3; ++i) {
        std::printf("rejected %s: %s\n", batch->rejected[i].where.c_str(), batch->rejected[i].reason.c_str());
      }
    }
  }
  return 0;
}

// Maps a folder of Fiks Arkiv messages through the fiks-arkiv adapter, as a scheduled run would, and prints
// what it produced and how long it took. See bench/fiks_arkiv/run.sh and docs/benchmarks.md.
//
// Usage: bench_fiks_arkiv SCHEMA_DIR FOLDER [strict|lenient|no-xsd] [THREADS]
// THREADS: how many threads read the folder (default 0: as a scheduled run does, the hardware threads, at
// most 4); 1 reads it on the calling thread alone.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "adapters/fiks_arkiv/fiks_arkiv_adapter.hpp"

int main(int argc, char** argv) {
  using namespace veikart;
  using namespace veikart::adapters::fiks_arkiv;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SCHEMA_DIR FOLDER [strict|lenient|no-xsd] [THREADS]\n", argv[0]);
    return 2;
  }
  const std::string mode = argc > 3 ? argv[3] : "lenient";
  const Json settings = {{"name", "bench"},
                         {"type", "fiks-arkiv"},
                         {"schema_dir", argv[1]},
                         {"path", argv[2]},
                         {"mode", mode == "strict" ? "strict" : "lenient"}};
  auto options = parse_options(SourceConfig{"bench", "fiks-arkiv", settings, {}});
  if (!options) {
    std::fprintf(stderr, "%s\n", options.error().message.c_str());
    return 1;
  }
  if (mode == "no-xsd") options->message.schemas = nullptr;  // parse and map only
  if (argc > 4) options->threads = static_cast<unsigned>(std::strtoul(argv[4], nullptr, 10));
  const unsigned threads = options->threads;

  FiksArkivAdapter adapter(std::move(*options));
  Reference reference;
  PullContext ctx{reference, {}};
  const auto start = std::chrono::steady_clock::now();
  auto batch = adapter.read(ctx);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!batch) {
    std::fprintf(stderr, "%s\n", batch.error().message.c_str());
    return 1;
  }
  std::printf("mode=%s threads=%u fragments=%zu rejected=%zu warnings=%zu seconds=%.3f\n", mode.c_str(), threads,
              batch->fragments.size(), batch->rejected.size(), batch->warnings.size(), seconds);
  if (!batch->rejected.empty()) {
    std::printf("first rejection: %s: %s\n", batch->rejected[0].where.c_str(), batch->rejected[0].reason.c_str());
  }
  return batch->rejected.empty() ? 0 : 1;
}

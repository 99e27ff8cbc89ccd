#pragma once
/// @brief Process metrics in the Prometheus text format: requests by route and status, request durations,
/// ingestion runs and records per source.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace veikart {

class Metrics {
 public:
  void observe_request(const std::string& route, int status, double seconds);
  void observe_run(const std::string& source, const std::string& status, int accepted, int rejected, int unchanged,
                   int removed, double seconds);
  void set_connections(std::int64_t open);
  /// The whole exposition, text format 0.0.4.
  std::string render() const;

  static constexpr std::array<double, 10> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> counts{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  struct SourceCounters {
    std::map<std::string, std::uint64_t> runs;  // by status
    std::uint64_t accepted = 0, rejected = 0, unchanged = 0, removed = 0;
    double last_duration = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> durations_;
  std::map<std::string, SourceCounters> sources_;
  std::int64_t connections_ = 0;
};

}  // namespace veikart

#include "gateway/api/metrics.hpp"

#include <sstream>

namespace veikart {
namespace {

// Label values are ours (route templates, source names), but escape anyway so the format stays valid.
std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

void Metrics::observe_request(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  auto& h = durations_[route];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += seconds;
}

void Metrics::observe_run(const std::string& source, const std::string& status, int accepted, int rejected,
                          int unchanged, int removed, double seconds) {
  std::lock_guard lock(mutex_);
  auto& s = sources_[source];
  ++s.runs[status];
  s.accepted += static_cast<std::uint64_t>(accepted);
  s.rejected += static_cast<std::uint64_t>(rejected);
  s.unchanged += static_cast<std::uint64_t>(unchanged);
  s.removed += static_cast<std::uint64_t>(removed);
  s.last_duration = seconds;
}

void Metrics::set_connections(std::int64_t open) {
  std::lock_guard lock(mutex_);
  connections_ = open;
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  out << "# HELP veikart_http_requests_total HTTP requests by route template and status code.\n"
      << "# TYPE veikart_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out << "veikart_http_requests_total{route=\"" << escape(key.first) << "\",status=\"" << key.second << "\"} " << n
        << "\n";
  }
  out << "# HELP veikart_http_request_duration_seconds Time from a complete request to its response.\n"
      << "# TYPE veikart_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : durations_) {
    const std::string r = escape(route);
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      out << "veikart_http_request_duration_seconds_bucket{route=\"" << r << "\",le=\"" << kBuckets[i] << "\"} "
          << h.counts[i] << "\n";
    }
    out << "veikart_http_request_duration_seconds_bucket{route=\"" << r << "\",le=\"+Inf\"} " << h.count << "\n";
    out << "veikart_http_request_duration_seconds_sum{route=\"" << r << "\"} " << h.sum << "\n";
    out << "veikart_http_request_duration_seconds_count{route=\"" << r << "\"} " << h.count << "\n";
  }
  out << "# HELP veikart_ingestion_runs_total Ingestion runs by source and outcome.\n"
      << "# TYPE veikart_ingestion_runs_total counter\n";
  for (const auto& [source, s] : sources_) {
    for (const auto& [status, n] : s.runs) {
      out << "veikart_ingestion_runs_total{source=\"" << escape(source) << "\",status=\"" << status << "\"} " << n
          << "\n";
    }
  }
  out << "# HELP veikart_ingestion_records_total Records seen by ingestion runs, by source and outcome.\n"
      << "# TYPE veikart_ingestion_records_total counter\n";
  for (const auto& [source, s] : sources_) {
    const std::string src = escape(source);
    out << "veikart_ingestion_records_total{source=\"" << src << "\",outcome=\"accepted\"} " << s.accepted << "\n";
    out << "veikart_ingestion_records_total{source=\"" << src << "\",outcome=\"rejected\"} " << s.rejected << "\n";
    out << "veikart_ingestion_records_total{source=\"" << src << "\",outcome=\"unchanged\"} " << s.unchanged << "\n";
    out << "veikart_ingestion_records_total{source=\"" << src << "\",outcome=\"removed\"} " << s.removed << "\n";
  }
  out << "# HELP veikart_ingestion_last_run_duration_seconds Duration of the most recent run per source.\n"
      << "# TYPE veikart_ingestion_last_run_duration_seconds gauge\n";
  for (const auto& [source, s] : sources_) {
    out << "veikart_ingestion_last_run_duration_seconds{source=\"" << escape(source) << "\"} " << s.last_duration
        << "\n";
  }
  out << "# HELP veikart_http_open_connections Connections currently open.\n"
      << "# TYPE veikart_http_open_connections gauge\n"
      << "veikart_http_open_connections " << connections_ << "\n";
  return out.str();
}

}  // namespace veikart

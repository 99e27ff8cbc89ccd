#pragma once
/// @brief The push receiver for KS rollout schedules: `{"items": [RoadmapItem fields...]}` pushed to
/// POST /v1/schedules becomes one fragment per item for the built-in source `ks-schedules`.

#include "gateway/core/adapter.hpp"

namespace veikart::adapters::ks_schedules {

/// The source name the gateway pushes schedules to (and the adapter type's name).
inline constexpr const char* kSourceName = "ks-schedules";

/// Parses application/json `{"items": [...]}`. Each item needs a string `id` (the canonical id, e.g.
/// `ks:digihelse`); the other members are RoadmapItem fields, which the pipeline checks against the fragment
/// schema. Members the gateway owns (provenance, conflicts, version, updated_at, deleted) reject their item.
/// Items are named by pointer ("/items/3").
class KsSchedulesParser final : public PayloadParser {
 public:
  Expected<Batch> parse(std::string_view body, std::string_view media_type, const Reference& reference) override;
};

Expected<std::unique_ptr<SourceAdapter>> make_ks_schedules_adapter(const SourceConfig& config);
Expected<std::unique_ptr<PayloadParser>> make_ks_schedules_parser(const SourceConfig& config);

}  // namespace veikart::adapters::ks_schedules

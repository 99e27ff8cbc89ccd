#pragma once
/// @brief The canonical roadmap model (docs: ../shared/design/model.md) with JSON round-trip.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace veikart {

using Json = nlohmann::json;

enum class ItemKind { national_solution, regional_project, local_project, joint_procurement, competence_programme };
enum class ItemStatus {
  idea,
  assessed,
  prioritised,
  in_development,
  pilot,
  ready,
  rolling_out,
  in_operation,
  paused,
  cancelled
};
enum class OwnerType { ks, network, municipality, county, state, cooperative };
enum class MilestoneKind { start, decision, pilot, rollout_start, rollout_end, end, other };
enum class Precision { day, month, quarter, half, year };
enum class CostCategory { investment, project, operation };
enum class CostPer { municipality, total };
enum class Funding { digifin, state, county, membership, own, other };
enum class BenefitFor { citizens, municipality };
enum class BenefitKind { cost_reduction, avoided_cost, quality, environment, security };

NLOHMANN_JSON_SERIALIZE_ENUM(ItemKind, {{ItemKind::national_solution, "national_solution"},
                                        {ItemKind::regional_project, "regional_project"},
                                        {ItemKind::local_project, "local_project"},
                                        {ItemKind::joint_procurement, "joint_procurement"},
                                        {ItemKind::competence_programme, "competence_programme"}})
NLOHMANN_JSON_SERIALIZE_ENUM(ItemStatus, {{ItemStatus::idea, "idea"},
                                          {ItemStatus::assessed, "assessed"},
                                          {ItemStatus::prioritised, "prioritised"},
                                          {ItemStatus::in_development, "in_development"},
                                          {ItemStatus::pilot, "pilot"},
                                          {ItemStatus::ready, "ready"},
                                          {ItemStatus::rolling_out, "rolling_out"},
                                          {ItemStatus::in_operation, "in_operation"},
                                          {ItemStatus::paused, "paused"},
                                          {ItemStatus::cancelled, "cancelled"}})
NLOHMANN_JSON_SERIALIZE_ENUM(OwnerType, {{OwnerType::ks, "ks"},
                                         {OwnerType::network, "network"},
                                         {OwnerType::municipality, "municipality"},
                                         {OwnerType::county, "county"},
                                         {OwnerType::state, "state"},
                                         {OwnerType::cooperative, "cooperative"}})
NLOHMANN_JSON_SERIALIZE_ENUM(MilestoneKind, {{MilestoneKind::start, "start"},
                                             {MilestoneKind::decision, "decision"},
                                             {MilestoneKind::pilot, "pilot"},
                                             {MilestoneKind::rollout_start, "rollout_start"},
                                             {MilestoneKind::rollout_end, "rollout_end"},
                                             {MilestoneKind::end, "end"},
                                             {MilestoneKind::other, "other"}})
NLOHMANN_JSON_SERIALIZE_ENUM(Precision, {{Precision::day, "day"},
                                         {Precision::month, "month"},
                                         {Precision::quarter, "quarter"},
                                         {Precision::half, "half"},
                                         {Precision::year, "year"}})
NLOHMANN_JSON_SERIALIZE_ENUM(CostCategory, {{CostCategory::investment, "investment"},
                                            {CostCategory::project, "project"},
                                            {CostCategory::operation, "operation"}})
NLOHMANN_JSON_SERIALIZE_ENUM(CostPer, {{CostPer::municipality, "municipality"}, {CostPer::total, "total"}})
NLOHMANN_JSON_SERIALIZE_ENUM(Funding, {{Funding::digifin, "digifin"},
                                       {Funding::state, "state"},
                                       {Funding::county, "county"},
                                       {Funding::membership, "membership"},
                                       {Funding::own, "own"},
                                       {Funding::other, "other"}})
NLOHMANN_JSON_SERIALIZE_ENUM(BenefitFor,
                             {{BenefitFor::citizens, "citizens"}, {BenefitFor::municipality, "municipality"}})
NLOHMANN_JSON_SERIALIZE_ENUM(BenefitKind, {{BenefitKind::cost_reduction, "cost_reduction"},
                                           {BenefitKind::avoided_cost, "avoided_cost"},
                                           {BenefitKind::quality, "quality"},
                                           {BenefitKind::environment, "environment"},
                                           {BenefitKind::security, "security"}})

struct Owner {
  OwnerType type = OwnerType::network;
  std::string id;
  std::string name;
  bool operator==(const Owner&) const = default;
};

struct Priority {
  std::string scheme;  // e.g. rogaland-ab, trondelag-horizon, agder-matrix, kommit
  std::string value;   // the network's own value: A, H1, 17 ...
  int rank = 3;        // 1 (highest) .. 5, comparable across schemes
  bool operator==(const Priority&) const = default;
};

struct Milestone {
  std::string name;
  MilestoneKind kind = MilestoneKind::other;
  std::string date;  // ISO YYYY-MM-DD, first day of the period when imprecise
  Precision precision = Precision::day;
  std::optional<std::string> label;  // the source's own words, e.g. "Q3 2025", "høst 2024"
  bool operator==(const Milestone&) const = default;
};

struct RolloutWave {
  std::string name;
  std::vector<std::string> networks;
  std::vector<std::string> municipalities;
  std::optional<std::string> start;
  std::optional<std::string> end;
  Precision precision = Precision::day;
  bool operator==(const RolloutWave&) const = default;
};

struct Cost {
  int year = 0;
  CostCategory category = CostCategory::investment;
  double amount_nok = 0;
  CostPer per = CostPer::municipality;
  std::optional<Funding> funding;
  bool operator==(const Cost&) const = default;
};

struct Resource {
  std::string role;
  double share = 0;  // of a full-time position, 0..1 (or more for several people)
  std::string per = "municipality";
  bool operator==(const Resource&) const = default;
};

struct Benefit {
  BenefitFor for_ = BenefitFor::municipality;  // "for" in JSON
  BenefitKind kind = BenefitKind::quality;
  std::string description;
  std::optional<double> amount_nok;
  bool operator==(const Benefit&) const = default;
};

struct Requirement {
  std::string capability;
  std::optional<std::string> system_category;
  std::optional<std::string> min_version;
  bool operator==(const Requirement&) const = default;
};

struct Decision {
  std::string case_number;  // e.g. 2023/1234
  std::string title;
  std::optional<std::string> date;
  std::optional<std::string> status;
  std::optional<std::string> source;
  bool operator==(const Decision&) const = default;
};

struct ExternalId {
  std::string system;
  std::string id;
  bool operator==(const ExternalId&) const = default;
};

struct Link {
  std::string rel;
  std::string href;
  std::optional<std::string> title;
  bool operator==(const Link&) const = default;
};

struct ProvenanceEntry {
  std::string source;
  std::string adapter;
  std::string record;
  std::string fetched_at;  // RFC 3339
  std::string hash;        // content hash of the source record (sha256 hex)
  std::vector<std::string> fields;
  bool operator==(const ProvenanceEntry&) const = default;
};

struct ConflictValue {
  std::string source;
  Json value;
  bool operator==(const ConflictValue&) const = default;
};

struct Conflict {
  std::string field;
  std::vector<ConflictValue> values;
  Json chosen;
  bool operator==(const Conflict&) const = default;
};

struct RoadmapItem {
  std::string id;
  std::string title;
  std::optional<std::string> summary;
  ItemKind kind = ItemKind::regional_project;
  ItemStatus status = ItemStatus::idea;
  Owner owner;
  std::vector<std::string> networks;
  std::vector<std::string> municipalities;
  std::vector<std::string> themes;
  std::optional<Priority> priority;
  std::vector<Milestone> milestones;
  std::vector<RolloutWave> rollout_waves;
  std::vector<Cost> costs;
  std::vector<Resource> resources;
  std::vector<Benefit> benefits;
  std::vector<std::string> risks;
  std::vector<Requirement> requirements;
  std::vector<Decision> decisions;
  std::vector<ExternalId> external_ids;
  std::vector<Link> links;
  std::vector<ProvenanceEntry> provenance;
  std::vector<Conflict> conflicts;
  std::string updated_at;
  std::int64_t version = 0;
  bool deleted = false;
  bool operator==(const RoadmapItem&) const = default;
};

void to_json(Json& j, const Owner& v);
void from_json(const Json& j, Owner& v);
void to_json(Json& j, const Priority& v);
void from_json(const Json& j, Priority& v);
void to_json(Json& j, const Milestone& v);
void from_json(const Json& j, Milestone& v);
void to_json(Json& j, const RolloutWave& v);
void from_json(const Json& j, RolloutWave& v);
void to_json(Json& j, const Cost& v);
void from_json(const Json& j, Cost& v);
void to_json(Json& j, const Resource& v);
void from_json(const Json& j, Resource& v);
void to_json(Json& j, const Benefit& v);
void from_json(const Json& j, Benefit& v);
void to_json(Json& j, const Requirement& v);
void from_json(const Json& j, Requirement& v);
void to_json(Json& j, const Decision& v);
void from_json(const Json& j, Decision& v);
void to_json(Json& j, const ExternalId& v);
void from_json(const Json& j, ExternalId& v);
void to_json(Json& j, const Link& v);
void from_json(const Json& j, Link& v);
void to_json(Json& j, const ProvenanceEntry& v);
void from_json(const Json& j, ProvenanceEntry& v);
void to_json(Json& j, const ConflictValue& v);
void from_json(const Json& j, ConflictValue& v);
void to_json(Json& j, const Conflict& v);
void from_json(const Json& j, Conflict& v);
void to_json(Json& j, const RoadmapItem& v);
void from_json(const Json& j, RoadmapItem& v);

/// Fields of a RoadmapItem that sources may provide; the rest (provenance, conflicts, updated_at, version,
/// deleted) are set by the gateway.
const std::vector<std::string>& source_fields();

/// The date range an item touches (milestones and rollout waves), as ISO dates; empty strings when none.
struct DateSpan {
  std::string first;
  std::string last;
};
DateSpan date_span(const RoadmapItem& item);

/// Lowercase hex SHA-256 of the bytes.
std::string sha256_hex(std::string_view bytes);

/// Frees a JSON tree depth first and leaves `json` an empty container (or as it was, when it is no container).
/// nlohmann's destructor first moves every node onto a heap-allocated stack, so that no tree is too deep to
/// destroy; for the shallow trees of records that costs more than the freeing (about 45 % less time for a
/// fragment). Below 32 levels the rest is left to that destructor.
void release_tree(Json& json);

/// Current UTC time as RFC 3339 with second precision, e.g. 2026-11-22T10:00:00Z.
std::string now_rfc3339();
/// A time as RFC 3339 in UTC with second precision.
std::string to_rfc3339(std::chrono::system_clock::time_point t);

}  // namespace veikart

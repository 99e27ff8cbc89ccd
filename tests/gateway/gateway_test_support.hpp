#pragma once
/// @brief Builders shared by the gateway tests: valid item JSON, fragments and a small reference.

#include <string>

#include "gateway/core/adapter.hpp"
#include "gateway/core/reference.hpp"

namespace veikart::testing {

/// A valid canonical item body (without version/updated_at/deleted), as the merger would produce it.
inline Json item_body(const std::string& id, const std::string& title, const std::string& network = "digi-agder") {
  return Json{{"id", id},
              {"title", title},
              {"summary", nullptr},
              {"kind", "regional_project"},
              {"status", "in_development"},
              {"owner", {{"type", "network"}, {"id", network}, {"name", network}}},
              {"networks", {network}},
              {"municipalities", Json::array()},
              {"themes", Json::array()},
              {"priority", nullptr},
              {"milestones", Json::array()},
              {"rollout_waves", Json::array()},
              {"costs", Json::array()},
              {"resources", Json::array()},
              {"benefits", Json::array()},
              {"risks", Json::array()},
              {"requirements", Json::array()},
              {"decisions", Json::array()},
              {"external_ids", Json::array()},
              {"links", Json::array()},
              {"provenance", Json::array()},
              {"conflicts", Json::array()}};
}

/// Fields a source would give for a simple item.
inline Json fragment_fields(const std::string& title, const std::string& network = "digi-agder") {
  return Json{{"title", title},
              {"kind", "regional_project"},
              {"status", "in_development"},
              {"owner", {{"type", "network"}, {"id", network}, {"name", network}}},
              {"networks", {network}}};
}

inline Fragment fragment(const std::string& id, const Json& fields, const std::string& where = "row 2") {
  return Fragment{id, id, where, fields, ""};
}

inline Reference small_reference() {
  Reference ref;
  ref.add_municipality({"4204", "Kristiansand", "42"});
  ref.add_municipality({"4203", "Arendal", "42"});
  ref.add_municipality({"1103", "Stavanger", "11"});
  ref.add_network({"digi-agder", "Digi Agder", {"42"}, {}});
  ref.add_network({"digi-rogaland", "Digi Rogaland", {"11"}, {}});
  ref.add_theme({"e-health", "E-helse", {"Helse"}});
  ref.add_theme({"education", "Oppvekst", {"Skole"}});
  return ref;
}

}  // namespace veikart::testing

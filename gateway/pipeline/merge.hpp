#pragma once
/// @brief Merges the fragments that sources gave for one item into the canonical item, with provenance and
/// conflicts. Pure: no I/O.

#include <vector>

#include "gateway/store/store.hpp"

namespace veikart {

/// Builds the canonical item JSON (without version, updated_at, deleted) from its fragments. Fragments are
/// taken in precedence order (lower first, then source name, then record); for single-valued fields the
/// first one that states a value wins and disagreeing values are listed in `conflicts`; lists are united,
/// keyed per element kind (milestones by kind, costs by year/category/per, decisions by case number, ...).
Json merge_fragments(const std::string& item_id, std::vector<StoredFragment> fragments);

}  // namespace veikart

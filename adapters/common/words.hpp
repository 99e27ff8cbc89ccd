#pragma once
/// @brief Norwegian roadmap vocabulary (status, kind, priority schemes) mapped to the canonical enums.

#include <optional>
#include <string_view>

#include "gateway/core/expected.hpp"
#include "gateway/core/model.hpp"

namespace veikart::adapters {

/// A status word ("Under utvikling", "i drift", "pilotering", or the English enum name) → status.
/// Matched after fold(), so case, accents and punctuation do not matter.
std::optional<ItemStatus> status_from_word(std::string_view word);

/// A kind word ("Nasjonal fellesløsning", "felles anskaffelse", or the English enum name) → kind.
std::optional<ItemKind> kind_from_word(std::string_view word);

/// A funding word ("DigiFin", "stat", "egen" or the English enum name) → funding.
std::optional<Funding> funding_from_word(std::string_view word);

/// Normalises a network's own priority value to a rank 1 (highest) .. 5 so that portfolios compare:
///   rogaland-ab        A → 1, B → 2 ("Kategori A" is accepted too)
///   trondelag-horizon  H1 → 1, H2 → 3, H3 → 5 ("Horisont 2" is accepted too)
///   agder-matrix       total score 0..27 (nine criteria scored 0..3): ≥22 → 1, ≥17 → 2, ≥12 → 3, ≥7 → 4, else 5
///   kommit             the rank 1..5 itself
/// The returned value is the scheme's canonical spelling (A, H1, 17, 3). Unknown schemes and values are errors
/// whose message quotes the value.
Expected<Priority> normalise_priority(std::string_view scheme, std::string_view value);

/// True when normalise_priority knows the scheme.
bool is_priority_scheme(std::string_view scheme);

}  // namespace veikart::adapters

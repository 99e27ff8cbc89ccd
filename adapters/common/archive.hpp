#pragma once
/// @brief Facts about Norwegian archive records shared by the archive adapters (Fiks Arkiv messages, Noark 5):
/// case numbers, the saksstatus code list, ISO dates inside timestamps and keys that already are canonical ids.

#include <optional>
#include <string>
#include <string_view>

namespace veikart::adapters {

/// True for a key that already is a canonical item id ("ks:digihelse"): a lower-case prefix, ':' and a rest
/// without spaces.
bool looks_canonical(std::string_view s);

/// The date of "2024-03-01" or "2016-04-03T15:45:28.4985538+02:00" as YYYY-MM-DD; nullopt otherwise.
std::optional<std::string> iso_date(std::string_view s);

/// "saksaar/sakssekvensnummer", or empty when either is missing.
std::string case_number(const std::string& year, const std::string& sequence);

/// The official description of a saksstatus code (B, A, U, R, S, P, F); nullopt for unknown codes.
std::optional<std::string> case_status_description(std::string_view code);

}  // namespace veikart::adapters

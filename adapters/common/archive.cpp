#include "adapters/common/archive.hpp"

#include <algorithm>
#include <map>

namespace veikart::adapters {

bool looks_canonical(std::string_view s) {
  const std::size_t colon = s.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == s.size()) return false;
  if (s[0] == '-') return false;
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return std::none_of(s.begin() + static_cast<std::ptrdiff_t>(colon) + 1, s.end(),
                      [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; });
}

std::optional<std::string> iso_date(std::string_view s) {
  if (s.size() < 10) return std::nullopt;
  for (std::size_t i = 0; i < 10; ++i) {
    const bool dash = i == 4 || i == 7;
    if (dash ? s[i] != '-' : (s[i] < '0' || s[i] > '9')) return std::nullopt;
  }
  return std::string(s.substr(0, 10));
}

std::string case_number(const std::string& year, const std::string& sequence) {
  return year.empty() || sequence.empty() ? std::string() : year + "/" + sequence;
}

std::optional<std::string> case_status_description(std::string_view code) {
  static const std::map<std::string, std::string, std::less<>> codes = {{"B", "Under behandling"},
                                                                        {"A", "Avsluttet"},
                                                                        {"U", "Utgår"},
                                                                        {"R", "Opprettet av saksbehandler"},
                                                                        {"S", "Avsluttet av saksbehandler"},
                                                                        {"P", "Unntatt prosesstyring"},
                                                                        {"F", "Ferdig fra saksbehandler"}};
  auto it = codes.find(code);
  return it == codes.end() ? std::nullopt : std::optional<std::string>(it->second);
}

}  // namespace veikart::adapters

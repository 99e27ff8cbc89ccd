// Fuzzes the Norwegian amount and share parsers: accepted values must be finite.

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/common/numbers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto amount = veikart::adapters::parse_amount_nok(text); amount && !std::isfinite(*amount)) std::abort();
  if (auto share = veikart::adapters::parse_share(text); share && !std::isfinite(*share)) std::abort();
  return 0;
}

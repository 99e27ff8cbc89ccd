#pragma once
/// @brief Reads Norwegian-written amounts in NOK (1 234 567,50 / kr 1.234.567 / 1,2 mill.) and shares (inntil 50 %).

#include <optional>
#include <string_view>

#include "gateway/core/expected.hpp"

namespace veikart::adapters {

/// Parses an amount in NOK. Spaces (also no-break and narrow no-break) group thousands; "," is the decimal
/// mark and "." groups thousands, except that the last of "," and "." is the decimal mark when both occur
/// and a single "." followed by other than three digits is a decimal mark (12.5). "kr", "NOK" and a trailing
/// ",-" are ignored; "mill."/"millioner"/"MNOK" multiply by 10^6, "mrd"/"milliarder" by 10^9, "tusen" by 10^3.
/// Errors quote the text: "cannot read amount 'ca. mye'".
Expected<double> parse_amount_nok(std::string_view text);

/// The shape of a plain decimal `[-]digits[.digits]` (what a numeric spreadsheet cell holds), or nullopt for
/// any other text, including an empty part on either side of the point.
struct DecimalShape {
  bool negative = false;
  std::size_t int_digits = 0;
  std::size_t frac_digits = 0;  // 0 when there is no point
};
std::optional<DecimalShape> decimal_shape(std::string_view s);

/// Parses a share of a full-time position: "50 %", "inntil 50 %", "50%", "0,5", "0,5 årsverk" → 0.5.
/// Without a percent sign the number is the share itself; a bare number above 10 is refused as ambiguous
/// (likely a percentage written without "%").
Expected<double> parse_share(std::string_view text);

}  // namespace veikart::adapters

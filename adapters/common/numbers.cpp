#include "adapters/common/numbers.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/text.hpp"

namespace veikart::adapters {
namespace {

/// Replaces the Unicode spaces spreadsheets put between digit groups with ASCII spaces.
std::string ascii_spaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto u = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    if (u(i) == 0xC2 && i + 1 < s.size() && u(i + 1) == 0xA0) {  // U+00A0 no-break space
      out.push_back(' ');
      ++i;
    } else if (u(i) == 0xE2 && i + 2 < s.size() && u(i + 1) == 0x80 &&
               (u(i + 2) == 0xAF || (u(i + 2) >= 0x80 && u(i + 2) <= 0x8A))) {  // U+202F, U+2000..U+200A
      out.push_back(' ');
      i += 2;
    } else if (s[i] == '\t') {
      out.push_back(' ');
    } else {
      out.push_back(static_cast<char>(std::tolower(u(i))));
    }
  }
  return out;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

/// Removes one of the words at the front (followed by a space, a dot or the end) and returns whether it did.
bool strip_prefix_word(std::string& s, const std::vector<std::string_view>& words) {
  for (auto w : words) {
    if (!starts_with(s, w)) continue;
    std::size_t n = w.size();
    if (n < s.size() && s[n] != ' ' && s[n] != '.' && (s[n] < '0' || s[n] > '9')) continue;
    if (n < s.size() && s[n] == '.') ++n;
    s = std::string(trim(std::string_view(s).substr(n)));
    return true;
  }
  return false;
}

bool strip_suffix_word(std::string& s, const std::vector<std::string_view>& words) {
  for (auto w : words) {
    std::string_view sv = s;
    std::string_view body = sv;
    if (!sv.empty() && sv.back() == '.' && ends_with(sv.substr(0, sv.size() - 1), w)) {
      body = sv.substr(0, sv.size() - w.size() - 1);
    } else if (ends_with(sv, w)) {
      body = sv.substr(0, sv.size() - w.size());
    } else {
      continue;
    }
    // A word, not the tail of one: digits or a space must come before it ("2mrd", "2 mrd").
    if (!body.empty() && body.back() != ' ' && (body.back() < '0' || body.back() > '9')) continue;
    s = std::string(trim(body));
    return true;
  }
  return false;
}

/// Parses digits with "," and "." marks (spaces already removed) by the rules in the header.
std::optional<double> parse_marked_number(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  std::size_t commas = 0, dots = 0;
  for (char c : s) {
    if (c == ',')
      ++commas;
    else if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      return std::nullopt;
  }
  char decimal = 0;
  if (commas > 0 && dots > 0) {
    decimal = s.find_last_of(",.") == s.rfind(',') ? ',' : '.';
    if ((decimal == ',' ? commas : dots) != 1) return std::nullopt;
  } else if (commas == 1) {
    decimal = ',';
  } else if (dots == 1) {
    std::size_t at = s.find('.');
    decimal = s.size() - at - 1 == 3 ? 0 : '.';
  }
  std::string plain;
  std::size_t last_group_start = 0;
  bool seen_grouping = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == decimal) {
      plain.push_back('.');
    } else if (c == ',' || c == '.') {
      // Thousands groups after the first must have exactly three digits.
      std::size_t next = s.find_first_of(",.", i + 1);
      std::size_t len = (next == std::string_view::npos ? s.size() : next) - i - 1;
      if (len != 3 || (seen_grouping && i - last_group_start != 4) || i == 0) return std::nullopt;
      seen_grouping = true;
      last_group_start = i;
    } else {
      plain.push_back(c);
    }
  }
  if (plain.empty() || plain.front() == '.' || plain.back() == '.') return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(plain.data(), plain.data() + plain.size(), v);
  if (ec != std::errc() || end != plain.data() + plain.size() || !std::isfinite(v)) return std::nullopt;
  return negative ? -v : v;
}

/// Removes the spaces between digit groups; refuses spaces that separate anything else.
std::optional<std::string> join_digit_groups(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != ' ') {
      out.push_back(s[i]);
      continue;
    }
    // Only "1 234": a space between a digit (or sign) and a group of three digits.
    std::size_t j = i;
    while (j < s.size() && s[j] == ' ') ++j;
    if (out.empty() || j + 3 > s.size()) return std::nullopt;
    for (std::size_t k = j; k < j + 3; ++k) {
      if (s[k] < '0' || s[k] > '9') return std::nullopt;
    }
    if (j + 3 < s.size() && s[j + 3] >= '0' && s[j + 3] <= '9') return std::nullopt;
    i = j - 1;
  }
  return out;
}

/// A plain decimal number as a numeric spreadsheet cell gives it ("4866727.21", "-1500"), read directly; nullopt
/// for anything else, which the general rules read (a dot followed by exactly three digits is a thousands mark
/// there, so "1.234" is not plain).
std::optional<double> plain_number(std::string_view s) {
  const auto shape = decimal_shape(s);
  if (!shape || shape->frac_digits == 3) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

std::optional<DecimalShape> decimal_shape(std::string_view s) {
  DecimalShape shape;
  std::size_t i = 0;
  if (!s.empty() && s.front() == '-') {
    shape.negative = true;
    ++i;
  }
  const std::size_t int_from = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  shape.int_digits = i - int_from;
  if (shape.int_digits == 0) return std::nullopt;
  if (i < s.size()) {
    if (s[i] != '.') return std::nullopt;
    const std::size_t frac_from = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    shape.frac_digits = i - frac_from;
    if (i != s.size() || shape.frac_digits == 0) return std::nullopt;
  }
  return shape;
}

Expected<double> parse_amount_nok(std::string_view text) {
  if (auto v = plain_number(trim(text))) return *v;
  const std::string original(trim(text));
  auto fail = [&] { return Error{"cannot read amount '" + original + "'"}; };
  std::string s(trim(ascii_spaces(original)));
  if (s.empty()) return fail();
  // Currency marks and "whole kroner" dashes in any order: "kr 1.234.567", "1.234.567 kr", "500 000,-".
  for (bool changed = true; changed;) {
    changed = false;
    if (ends_with(s, ",-") || ends_with(s, ".-")) {
      s = std::string(trim(std::string_view(s).substr(0, s.size() - 2)));
      changed = true;
    }
    static const std::vector<std::string_view> currency_prefixes = {"nok", "kr", "ca", "cirka"};
    static const std::vector<std::string_view> currency_suffixes = {"nok", "kr"};
    changed = strip_prefix_word(s, currency_prefixes) || changed;
    changed = strip_suffix_word(s, currency_suffixes) || changed;
  }
  static const std::vector<std::string_view> billions = {"milliarder", "milliard", "mrd"};
  static const std::vector<std::string_view> millions = {"millioner", "million", "mill", "mnok", "mln"};
  static const std::vector<std::string_view> thousands = {"tusen"};
  double factor = 1;
  if (strip_suffix_word(s, billions)) {
    factor = 1e9;
  } else if (strip_suffix_word(s, millions)) {
    factor = 1e6;
  } else if (strip_suffix_word(s, thousands)) {
    factor = 1e3;
  }
  if (ends_with(s, ",-")) s = std::string(trim(std::string_view(s).substr(0, s.size() - 2)));
  auto joined = join_digit_groups(s);
  if (!joined) return fail();
  auto v = parse_marked_number(*joined);
  if (!v) return fail();
  // Rounds away binary noise of the factor (1,2 mill. = 1200000, not 1199999.9999998).
  double amount = *v * factor;
  if (factor > 1) amount = std::round(amount * 100) / 100;
  return amount;
}

Expected<double> parse_share(std::string_view text) {
  const std::string original(trim(text));
  auto fail = [&] { return Error{"cannot read share '" + original + "'"}; };
  std::string s(trim(ascii_spaces(original)));
  bool percent = false;
  // Words around the number in any order: "inntil 50 %", "ca. 0,5 årsverk", "50 % stilling", "50 prosent".
  strip_prefix_word(s, {"inntil", "opptil", "maksimalt", "maks", "cirka", "ca", "omtrent", "minst"});
  for (bool changed = true; changed;) {
    changed = false;
    if (!s.empty() && s.back() == '%') {
      percent = true;
      s = std::string(trim(std::string_view(s).substr(0, s.size() - 1)));
      changed = true;
    }
    if (strip_suffix_word(s, {"prosent"})) {
      percent = true;
      changed = true;
    }
    changed = strip_suffix_word(s, {"stillingsressurs", "stilling", "\xC3\xA5rsverk", "\xC3\x85rsverk", "arsverk"}) ||
              changed;
  }
  auto joined = join_digit_groups(s);
  if (!joined) return fail();
  auto v = parse_marked_number(*joined);
  if (!v || *v < 0) return fail();
  if (percent) return *v / 100.0;
  if (*v > 10) return Error{"cannot read share '" + original + "': write a percentage with '%'"};
  return *v;
}

}  // namespace veikart::adapters

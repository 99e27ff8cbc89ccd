#include "adapters/common/dates.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <optional>
#include <vector>

#include "gateway/core/text.hpp"

namespace veikart::adapters {
namespace {

constexpr int min_year = 1900;
constexpr int max_year = 2199;
// Day numbers a CSV export of a date column holds for 1954..2119; smaller or larger integers are more likely
// amounts or ids than dates.
constexpr int min_serial = 20'000;
constexpr int max_serial = 80'000;

/// Days since 1970-01-01 of a proleptic Gregorian date, and back (the well-known era-based conversion).
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

void civil_from_days(long long z, long long& y, unsigned& m, unsigned& d) {
  z += 719468;
  const long long era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<long long>(yoe) + era * 400 + (m <= 2);
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr std::array<int, 12> days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : days[static_cast<std::size_t>(month - 1)];
}

std::string iso(int year, int month, int day) {
  if (year >= 0 && year <= 9999 && month >= 0 && month <= 99 && day >= 0 && day <= 99) {
    // Every date this file makes; a workbook's date column comes through here once per cell.
    std::string s = "0000-00-00";
    for (int i = 3; i >= 0; --i, year /= 10) s[static_cast<std::size_t>(i)] = static_cast<char>('0' + year % 10);
    s[5] = static_cast<char>('0' + month / 10);
    s[6] = static_cast<char>('0' + month % 10);
    s[8] = static_cast<char>('0' + day / 10);
    s[9] = static_cast<char>('0' + day % 10);
    return s;
  }
  char buf[40];  // room for any int triple, so -O2 cannot warn of truncation
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int to_int(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

Error cannot_read(std::string_view label) { return Error{"cannot read date '" + std::string(label) + "'"}; }

/// Digit groups and the single separators between them, e.g. "15.04.2021" → {15, 04, 2021} and {'.', '.'}.
struct NumericParts {
  std::vector<std::string_view> groups;
  std::vector<char> separators;
};

std::optional<NumericParts> numeric_parts(std::string_view s) {
  NumericParts parts;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return std::nullopt;
    parts.groups.push_back(s.substr(start, i - start));
    if (i == s.size()) break;
    char sep = s[i];
    if (sep != '.' && sep != '/' && sep != '-') return std::nullopt;
    parts.separators.push_back(sep);
    ++i;
    if (i == s.size()) return std::nullopt;
  }
  return parts;
}

/// Numeric forms; nullopt when the text is not numeric at all, an error when it is but names no date.
std::optional<Expected<ParsedDate>> parse_numeric(std::string_view label) {
  auto parts = numeric_parts(label);
  if (!parts) return std::nullopt;
  const auto& g = parts->groups;
  const auto& sep = parts->separators;
  int year = 0, month = 1, day = 1;
  Precision precision = Precision::day;
  if (g.size() == 3 && sep[0] == sep[1] && g[0].size() <= 2 && g[1].size() <= 2 && g[2].size() == 4) {
    day = to_int(g[0]);
    month = to_int(g[1]);
    year = to_int(g[2]);
  } else if (g.size() == 3 && sep[0] == '-' && sep[1] == '-' && g[0].size() == 4 && g[1].size() <= 2 &&
             g[2].size() <= 2) {
    year = to_int(g[0]);
    month = to_int(g[1]);
    day = to_int(g[2]);
  } else if (g.size() == 2 && sep[0] != '-' && g[0].size() <= 2 && g[1].size() == 4) {
    month = to_int(g[0]);
    year = to_int(g[1]);
    precision = Precision::month;
  } else if (g.size() == 2 && sep[0] == '-' && g[0].size() == 4 && g[1].size() <= 2) {
    year = to_int(g[0]);
    month = to_int(g[1]);
    precision = Precision::month;
  } else if (g.size() == 1 && g[0].size() == 4) {
    year = to_int(g[0]);
    precision = Precision::year;
  } else if (g.size() == 1 && g[0].size() == 5 && to_int(g[0]) >= min_serial && to_int(g[0]) <= max_serial) {
    return Expected<ParsedDate>(ParsedDate{*excel_serial_date(to_int(g[0])), Precision::day, std::string(label)});
  } else {
    return Expected<ParsedDate>(cannot_read(label));
  }
  if (year < min_year || year > max_year || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) {
    return Expected<ParsedDate>(Error{"no such date '" + std::string(label) + "'"});
  }
  return Expected<ParsedDate>(ParsedDate{iso(year, month, day), precision, std::string(label)});
}

/// Splits folded text into runs of letters and runs of digits: "q3 2025" → q, 3, 2025.
std::vector<std::string> word_tokens(std::string_view folded) {
  std::vector<std::string> tokens;
  std::string current;
  int kind = 0;  // 0 none, 1 letters, 2 digits
  for (char c : folded) {
    int k = (c >= '0' && c <= '9') ? 2 : (c == ' ' ? 0 : 1);
    if (k != kind && !current.empty()) {
      tokens.push_back(current);
      current.clear();
    }
    kind = k;
    if (k != 0) current.push_back(c);
  }
  if (!current.empty()) tokens.push_back(current);
  return tokens;
}

std::optional<int> month_number(std::string_view word) {
  struct Name {
    std::string_view name;
    int month;
  };
  static constexpr std::array<Name, 24> names = {{
      {"januar", 1},   {"jan", 1},    {"februar", 2},   {"feb", 2},       {"mars", 3},      {"mar", 3},
      {"april", 4},    {"apr", 4},    {"mai", 5},       {"juni", 6},      {"jun", 6},       {"juli", 7},
      {"jul", 7},      {"august", 8}, {"aug", 8},       {"september", 9}, {"sep", 9},       {"sept", 9},
      {"oktober", 10}, {"okt", 10},   {"november", 11}, {"nov", 11},      {"desember", 12}, {"des", 12},
  }};
  for (const auto& n : names) {
    if (n.name == word) return n.month;
  }
  return std::nullopt;
}

bool is_quarter_word(std::string_view w) { return w == "q" || w == "kv" || w == "kvartal" || w == "kvt"; }
bool is_half_word(std::string_view w) { return w == "h" || w == "halvar" || w == "halvaar" || w == "halvaret"; }

/// Forms with words: month names, quarters, halves, seasons.
Expected<ParsedDate> parse_words(std::string_view label) {
  // Punctuation becomes a space so that "apr.2021" and "3.kv.2025" split into words.
  std::string spaced(label);
  for (char& c : spaced) {
    if (c == '.' || c == ',' || c == '/' || c == '-' || c == ':') c = ' ';
  }
  const std::vector<std::string> t = word_tokens(fold(spaced));
  auto year_of = [](const std::string& s) -> std::optional<int> {
    if (s.size() != 4 || !all_digits(s)) return std::nullopt;
    return to_int(s);
  };
  auto small_of = [](const std::string& s, int max) -> std::optional<int> {
    if (s.size() > 1 || !all_digits(s)) return std::nullopt;
    int v = to_int(s);
    if (v < 1 || v > max) return std::nullopt;
    return v;
  };
  std::optional<int> year;
  int month = 1;
  Precision precision = Precision::year;
  if (t.size() == 2) {
    // "april 2021", "høst 2024", "2025 høst"
    const std::string& word = year_of(t[0]) ? t[1] : t[0];
    year = year_of(t[0]) ? year_of(t[0]) : year_of(t[1]);
    if (auto m = month_number(word)) {
      month = *m;
      precision = Precision::month;
    } else if (word == "var" || word == "varen") {
      precision = Precision::half;
    } else if (word == "host" || word == "hosten") {
      month = 7;
      precision = Precision::half;
    } else {
      year.reset();
    }
  } else if (t.size() == 3) {
    // "q3 2025", "3 kvartal 2025", "h2 2025", "1 halvår 2025", "2025 q3"
    std::size_t year_at = year_of(t[2]) ? 2 : 0;
    year = year_of(t[year_at]);
    const std::string& a = t[year_at == 2 ? 0 : 1];
    const std::string& b = t[year_at == 2 ? 1 : 2];
    auto pick = [&](auto is_word, int max) -> std::optional<int> {
      if (is_word(a)) return small_of(b, max);
      if (is_word(b)) return small_of(a, max);
      return std::nullopt;
    };
    if (auto q = pick(is_quarter_word, 4)) {
      month = 3 * (*q - 1) + 1;
      precision = Precision::quarter;
    } else if (auto h = pick(is_half_word, 2)) {
      month = *h == 1 ? 1 : 7;
      precision = Precision::half;
    } else {
      year.reset();
    }
  }
  if (!year) return cannot_read(label);
  if (*year < min_year || *year > max_year) return Error{"no such date '" + std::string(label) + "'"};
  return ParsedDate{iso(*year, month, 1), precision, std::string(label)};
}

}  // namespace

std::optional<std::string> excel_serial_date(long long day, bool date1904) {
  long long epoch = 0;
  if (date1904) {
    if (day < 0) return std::nullopt;
    epoch = days_from_civil(1904, 1, 1);
  } else {
    if (day < 1) return std::nullopt;
    // Before the phantom 29 February 1900 day 1 is 1900-01-01; from day 61 on the count is one day ahead.
    epoch = day < 61 ? days_from_civil(1899, 12, 31) : days_from_civil(1899, 12, 30);
  }
  if (day > 3'000'000) return std::nullopt;
  long long y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(epoch + day, y, m, d);
  if (y > 9999) return std::nullopt;
  return iso(static_cast<int>(y), static_cast<int>(m), static_cast<int>(d));
}

Expected<ParsedDate> parse_date(std::string_view text) {
  std::string_view label = trim(text);
  if (label.empty()) return Error{"empty date"};
  if (auto numeric = parse_numeric(label)) return std::move(*numeric);
  return parse_words(label);
}

}  // namespace veikart::adapters

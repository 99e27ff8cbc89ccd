#include "gateway/core/text.hpp"

#include <array>
#include <cstdint>

namespace veikart {
namespace {

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Windows-1252 0x80..0x9F; 0 marks the five undefined positions.
constexpr std::array<char16_t, 32> kCp1252High = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                                  0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
                                                  0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                                  0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

// Decodes one code point from valid UTF-8; returns the number of bytes consumed (1 on a bad byte).
std::size_t decode(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]) & 0x3F; };
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  if ((b0 & 0xE0) == 0xC0 && i + 1 < s.size()) {
    cp = ((b0 & 0x1F) << 6) | cont(1);
    return 2;
  }
  if ((b0 & 0xF0) == 0xE0 && i + 2 < s.size()) {
    cp = ((b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2);
    return 3;
  }
  if ((b0 & 0xF8) == 0xF0 && i + 3 < s.size()) {
    cp = ((b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3);
    return 4;
  }
  cp = 0xFFFD;
  return 1;
}

// Folds one code point to its matching form; returns nullptr to drop it, or the ASCII replacement.
const char* fold_code_point(char32_t cp, char& single) {
  switch (cp) {
    case U'æ':
    case U'Æ':
      return "ae";
    case U'ø':
    case U'Ø':
    case U'ö':
    case U'Ö':
    case U'ó':
    case U'Ó':
    case U'ò':
    case U'ô':
      return "o";
    case U'å':
    case U'Å':
    case U'ä':
    case U'Ä':
    case U'á':
    case U'à':
    case U'â':
    case U'Á':
      return "a";
    case U'é':
    case U'É':
    case U'è':
    case U'ê':
    case U'ë':
      return "e";
    case U'ü':
    case U'Ü':
    case U'ú':
    case U'ù':
    case U'û':
      return "u";
    case U'í':
    case U'ì':
    case U'î':
    case U'ï':
      return "i";
    case U'ç':
      return "c";
    case U'ñ':
      return "n";
    case U'š':
    case U'Š':
      return "s";
    case U'ž':
    case U'Ž':
      return "z";
    case U'č':
    case U'Č':
      return "c";
    case U'đ':
    case U'Đ':
      return "d";
    case U'ŋ':
    case U'Ŋ':
      return "n";
    case U'ŧ':
    case U'Ŧ':
      return "t";
    default:
      break;
  }
  if (cp < 0x80) {
    const char c = static_cast<char>(cp);
    if (c >= 'A' && c <= 'Z') {
      single = static_cast<char>(c - 'A' + 'a');
      return &single;
    }
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      single = c;
      return &single;
    }
    single = ' ';  // punctuation and white space separate words
    return &single;
  }
  if (cp == 0xA0 || cp == 0x2009 || cp == 0x202F || cp == 0x2013 || cp == 0x2014) {
    single = ' ';
    return &single;
  }
  return nullptr;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

}  // namespace

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    char32_t min = 0;
    char32_t cp = 0;
    if ((b0 & 0xE0) == 0xC0) {
      len = 2, min = 0x80, cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3, min = 0x800, cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4, min = 0x10000, cp = b0 & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::string cp1252_to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (char ch : bytes) {
    const auto b = static_cast<unsigned char>(ch);
    if (b < 0x80) {
      out.push_back(ch);
    } else if (b < 0xA0) {
      const char16_t cp = kCp1252High[b - 0x80];
      append_utf8(out, cp == 0 ? 0xFFFD : cp);
    } else {
      append_utf8(out, b);
    }
  }
  return out;
}

std::string_view strip_utf8_bom(std::string_view bytes) {
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  return bytes;
}

std::string fold(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  bool pending_space = false;
  for (std::size_t i = 0; i < utf8.size();) {
    char32_t cp = 0;
    i += decode(utf8, i, cp);
    char single = 0;
    const char* rep = fold_code_point(cp, single);
    if (rep == nullptr) continue;
    if (rep == &single && single == ' ') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    if (rep == &single) {
      out.push_back(single);
    } else {
      out.append(rep);
    }
  }
  return out;
}

std::string_view trim(std::string_view s) {
  auto nbsp_at = [&](std::size_t i) { return i + 1 < s.size() && s[i] == '\xC2' && s[i + 1] == '\xA0'; };
  while (!s.empty()) {
    if (is_space(s.front())) {
      s.remove_prefix(1);
    } else if (nbsp_at(0)) {
      s.remove_prefix(2);
    } else {
      break;
    }
  }
  while (!s.empty()) {
    if (is_space(s.back())) {
      s.remove_suffix(1);
    } else if (s.size() >= 2 && nbsp_at(s.size() - 2)) {
      s.remove_suffix(2);
    } else {
      break;
    }
  }
  return s;
}

std::vector<std::string> split_list(std::string_view s, std::string_view delimiters) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || delimiters.find(s[i]) != std::string_view::npos) {
      const auto part = trim(s.substr(start, i - start));
      if (!part.empty()) parts.emplace_back(part);
      start = i + 1;
    }
  }
  return parts;
}

std::string escape_pointer_token(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string slugify(std::string_view utf8) {
  std::string folded = fold(utf8);
  for (char& c : folded) {
    if (c == ' ') c = '-';
  }
  return folded;
}

}  // namespace veikart

namespace veikart {

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace veikart

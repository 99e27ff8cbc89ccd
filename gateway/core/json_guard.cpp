#include "gateway/core/json_guard.hpp"

#include <string>

namespace veikart {

Expected<Json> parse_untrusted_json(std::string_view text, std::size_t max_depth) {
  // A linear scan outside strings: cheap, and it runs before anything recursive sees the document.
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return Error{"JSON nested deeper than " + std::to_string(max_depth) + " levels at byte " + std::to_string(i),
                     400};
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {  // parse errors, and numbers out of range ("1e999") as out_of_range
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." → the part after the tag
    const auto close = what.find("] ");
    return Error{"not valid JSON: " + (close == std::string::npos ? what : what.substr(close + 2)), 400};
  }
}

}  // namespace veikart

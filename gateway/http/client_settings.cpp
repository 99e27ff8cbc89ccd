#include "gateway/http/client_settings.hpp"

#include <cctype>

namespace veikart {
namespace {

std::optional<std::chrono::milliseconds> parse_ms(const Json& value) {
  if (!value.is_string()) return std::nullopt;
  const std::string s = value.get<std::string>();
  std::size_t digits = 0;
  while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
  if (digits == 0 || digits > 9) return std::nullopt;
  const long long n = std::stoll(s.substr(0, digits));
  const std::string unit = s.substr(digits);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "s") return std::chrono::seconds(n);
  if (unit == "m") return std::chrono::minutes(n);
  return std::nullopt;
}

}  // namespace

bool pulls_over_http(const SourceConfig& source) {
  return source.settings.is_object() && source.settings.contains("url");
}

Expected<HttpClientOptions> http_client_options(const SourceConfig& source) {
  HttpClientOptions options;
  if (!source.settings.is_object() || !source.settings.contains("http")) return options;
  const Json& h = source.settings["http"];
  const std::string who = "source '" + source.name + "': http.";
  if (!h.is_object()) return Error{"source '" + source.name + "': http must be an object"};
  for (auto [key, target] :
       {std::pair{"connect_timeout", &options.connect_timeout}, std::pair{"read_timeout", &options.read_timeout},
        std::pair{"total_timeout", &options.total_timeout}}) {
    if (!h.contains(key)) continue;
    auto ms = parse_ms(h[key]);
    if (!ms || ms->count() <= 0) return Error{who + key + " must be a positive duration like 500ms, 30s or 5m"};
    *target = *ms;
  }
  if (h.contains("max_bytes")) {
    if (!h["max_bytes"].is_number_integer() || h["max_bytes"].get<long long>() < 1) {
      return Error{who + "max_bytes must be a positive integer"};
    }
    options.max_body_bytes = h["max_bytes"].get<std::size_t>();
  }
  if (h.contains("ca_file")) {
    if (!h["ca_file"].is_string()) return Error{who + "ca_file must be a file name"};
    options.ca_file = source.resolve(h["ca_file"].get<std::string>()).string();
  }
  return options;
}

}  // namespace veikart

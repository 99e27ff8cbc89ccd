#include "gateway/core/fetch.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <string>

namespace veikart {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool in_v4(std::uint32_t a, std::uint32_t net, int bits) {
  const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return (a & mask) == (net & mask);
}

bool public_v4(std::uint32_t a) {
  struct Range {
    std::uint32_t net;
    int bits;
  };
  static constexpr std::array<Range, 16> kNotPublic{{
      {0x00000000, 8},   // "this" network
      {0x0A000000, 8},   // private
      {0x64400000, 10},  // carrier-grade NAT
      {0x7F000000, 8},   // loopback
      {0xA9FE0000, 16},  // link-local (cloud metadata lives here)
      {0xAC100000, 12},  // private
      {0xC0000000, 24},  // IETF protocol assignments
      {0xC0000200, 24},  // documentation
      {0xC0586300, 24},  // 6to4 relay anycast
      {0xC0A80000, 16},  // private
      {0xC6120000, 15},  // benchmarking
      {0xC6336400, 24},  // documentation
      {0xCB007100, 24},  // documentation
      {0xE0000000, 4},   // multicast
      {0xF0000000, 4},   // reserved, broadcast
      {0xFFFFFFFF, 32},
  }};
  return std::none_of(kNotPublic.begin(), kNotPublic.end(), [&](const Range& r) { return in_v4(a, r.net, r.bits); });
}

bool public_address(const boost::asio::ip::address& address) {
  if (address.is_v4()) return public_v4(address.to_v4().to_uint());
  const auto bytes = address.to_v6().to_bytes();
  if (address.to_v6().is_v4_mapped()) {
    return public_v4((std::uint32_t{bytes[12]} << 24) | (std::uint32_t{bytes[13]} << 16) |
                     (std::uint32_t{bytes[14]} << 8) | bytes[15]);
  }
  if ((bytes[0] & 0xE0) != 0x20) return false;  // only global unicast 2000::/3
  if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0D && bytes[3] == 0xB8) return false;  // docs
  if (bytes[0] == 0x20 && bytes[1] == 0x02) return false;  // 6to4 may wrap private v4
  if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x00 && bytes[3] == 0x00) return false;  // Teredo
  return true;
}

}  // namespace

std::string FetchResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return value;
  return {};
}

std::string Url::origin() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + port;
}

Expected<Url> parse_url(std::string_view text) {
  const auto fail = [&](std::string_view why) {
    return Error{"invalid URL '" + std::string(text) + "': " + std::string(why)};
  };
  for (char c : text)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return fail("contains a space or control character");
  const std::size_t colon = text.find("://");
  if (colon == std::string_view::npos) return fail("not absolute");
  Url url;
  url.scheme = lower(text.substr(0, colon));
  if (url.scheme != "http" && url.scheme != "https") return fail("scheme must be http or https");
  std::string_view rest = text.substr(colon + 3);
  if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) return fail("fragments are not allowed");
  const std::size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  url.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (url.target.front() == '?') url.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) return fail("user information in URLs is not allowed");
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("unclosed IPv6 literal");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("bad authority");
      port = after.substr(1);
    }
  } else {
    const std::size_t p = authority.rfind(':');
    url.host = lower(authority.substr(0, p));
    if (p != std::string_view::npos) port = authority.substr(p + 1);
  }
  if (url.host.empty()) return fail("no host");
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return fail("bad port");
    const int n = std::stoi(std::string(port));
    if (n < 1 || n > 65535) return fail("port out of range");
    url.port = std::to_string(n);
  } else {
    url.port = url.scheme == "https" ? "443" : "80";
  }
  return url;
}

Expected<std::string> resolve_url(std::string_view base, std::string_view reference) {
  if (reference.find("://") != std::string_view::npos) {
    auto parsed = parse_url(reference);
    if (!parsed) return parsed.error();
    return std::string(reference);
  }
  auto b = parse_url(base);
  if (!b) return b.error();
  if (reference.substr(0, 2) == "//") return resolve_url(base, b->scheme + ":" + std::string(reference));
  const std::string host = b->host.find(':') != std::string::npos ? "[" + b->host + "]" : b->host;
  const bool default_port = (b->scheme == "https" && b->port == "443") || (b->scheme == "http" && b->port == "80");
  const std::string prefix = b->scheme + "://" + host + (default_port ? "" : ":" + b->port);
  if (reference.empty()) return prefix + b->target;
  if (reference.front() == '/') return prefix + std::string(reference);
  const std::string base_path = b->target.substr(0, b->target.find('?'));
  if (reference.front() == '?') return prefix + base_path + std::string(reference);
  return prefix + base_path.substr(0, base_path.rfind('/') + 1) + std::string(reference);
}

bool is_public_address(std::string_view address) {
  boost::system::error_code ec;
  const auto parsed = boost::asio::ip::make_address(std::string(address), ec);
  return !ec && public_address(parsed);
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value.size() <= 9 && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::chrono::seconds(std::stoll(std::string(value)));
  }
  std::tm tm{};  // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"
  const std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  return at <= now ? std::chrono::seconds(0) : std::chrono::duration_cast<std::chrono::seconds>(at - now);
}

}  // namespace veikart

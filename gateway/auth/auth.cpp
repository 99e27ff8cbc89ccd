#include "gateway/auth/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

#include "gateway/core/crypto.hpp"
#include "gateway/core/model.hpp"
#include "gateway/core/text.hpp"

namespace veikart {
namespace {

std::array<std::uint8_t, 32> sha256(std::string_view data) {
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 || len != out.size()) {
    throw std::runtime_error("SHA-256 failed");
  }
  return out;
}

}  // namespace

std::optional<Role> role_from_name(std::string_view name) {
  if (name == "reader") return Role::reader;
  if (name == "publisher") return Role::publisher;
  if (name == "inventory") return Role::inventory;
  if (name == "admin") return Role::admin;
  return std::nullopt;
}

bool Client::has(Role role) const { return std::find(roles.begin(), roles.end(), role) != roles.end(); }

bool Client::covers(std::string_view kommunenummer) const {
  for (const auto& scope : municipalities) {
    if (scope.size() == 3 && scope[2] == '*') {
      if (kommunenummer.substr(0, 2) == std::string_view(scope).substr(0, 2)) return true;
    } else if (scope == kommunenummer) {
      return true;
    }
  }
  return false;
}

Authenticator::Authenticator(std::vector<Client> clients) : clients_(std::move(clients)) {}

Identity Authenticator::identify(const HttpRequest& request) const {
  const std::string header = request.header("authorization");
  if (header.empty()) return {};
  const std::string_view value = trim(header);
  const auto space = value.find(' ');
  if (space == std::string_view::npos || fold(value.substr(0, space)) != "bearer") {
    return {Identity::Kind::invalid, nullptr, "expected 'Authorization: Bearer <API key>'"};
  }
  const std::string_view key = trim(value.substr(space + 1));
  if (key.empty()) return {Identity::Kind::invalid, nullptr, "the bearer token is empty"};
  const auto presented = sha256(key);
  const Client* found = nullptr;
  for (const auto& client : clients_) {
    // Every client is compared, match or not, with a constant-time comparison.
    const bool same = CRYPTO_memcmp(presented.data(), client.key_sha256.data(), presented.size()) == 0;
    if (same && found == nullptr) found = &client;
  }
  if (found == nullptr) return {Identity::Kind::invalid, nullptr, "unknown API key"};
  return {Identity::Kind::client, found, {}};
}

std::optional<std::array<std::uint8_t, 32>> parse_sha256_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  std::array<std::uint8_t, 32> out{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

NewKey generate_key() {
  NewKey k;
  k.key = "vk_" + base64url_encode(random_bytes(32));
  k.key_sha256 = sha256_hex(k.key);
  return k;
}

bool is_loopback_address(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0;
}

}  // namespace veikart

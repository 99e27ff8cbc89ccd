#pragma once
/// @brief API clients and roles: who a request comes from (by hashed API key) and what it may do.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/http/http_types.hpp"

namespace veikart {

enum class Role { reader, publisher, inventory, admin };

/// Parses "reader", "publisher", "inventory", "admin".
std::optional<Role> role_from_name(std::string_view name);

struct Client {
  std::string name;
  std::array<std::uint8_t, 32> key_sha256{};  // SHA-256 of the API key; the key itself is never kept
  std::vector<Role> roles;
  std::vector<std::string> municipalities;  // kommunenummer or county prefixes like "42*" (inventory scope)

  bool has(Role role) const;
  /// True when the client's scope covers the municipality (a 4-digit kommunenummer).
  bool covers(std::string_view kommunenummer) const;
};

/// Who sent a request.
struct Identity {
  enum class Kind { anonymous, client, invalid } kind = Kind::anonymous;
  const Client* client = nullptr;  // for Kind::client
  std::string problem;             // for Kind::invalid: why the credentials were not accepted
};

class Authenticator {
 public:
  explicit Authenticator(std::vector<Client> clients = {});

  bool has_clients() const { return !clients_.empty(); }
  /// Reads `Authorization: Bearer <key>`. The key's hash is compared with every client's in constant time, so
  /// response times do not reveal how much of a hash matched or which client was tried.
  Identity identify(const HttpRequest& request) const;

 private:
  std::vector<Client> clients_;
};

/// Parses 64 lower- or upper-case hex digits.
std::optional<std::array<std::uint8_t, 32>> parse_sha256_hex(std::string_view hex);

/// A new random API key ("vk_" + 43 base64url characters, 256 bits) and its lower-case hex SHA-256.
struct NewKey {
  std::string key;
  std::string key_sha256;
};
NewKey generate_key();

/// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback.
bool is_loopback_address(const std::string& address);

}  // namespace veikart

#pragma once
/// @brief RSA key pairs and RS256 verification for the fake token endpoint and the tests: what an issuer like
/// Maskinporten does with a client's assertion, reduced to the checks that matter here.

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "gateway/core/expected.hpp"
#include "gateway/core/model.hpp"

namespace veikart::fake {

struct KeyPair {
  std::string private_pem;  // PKCS#8
  std::string public_pem;   // SubjectPublicKeyInfo
};

/// A fresh RSA key pair (2048 bits unless told otherwise).
KeyPair generate_key_pair(int bits = 2048);

/// Reads <dir>/<name>.pem and <dir>/<name>.pub.pem, creating both (private key mode 0600) when missing.
Expected<KeyPair> load_or_create_key_pair(const std::filesystem::path& dir, const std::string& name);

/// Checks an RS256 JWT against a public key: three base64url parts, header alg RS256, a valid signature.
/// Returns {"header": {...}, "claims": {...}} or why it is refused.
Expected<Json> verify_rs256(std::string_view token, std::string_view public_pem);

}  // namespace veikart::fake

#pragma once
/// @brief RS256 JSON Web Tokens signed with OpenSSL, for the Maskinporten-style JWT bearer grant Fiks APIs use.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/core/expected.hpp"
#include "gateway/core/model.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace veikart::adapters::fiks_rest {

/// base64url without padding (RFC 7515 §2).
std::string base64url(std::string_view bytes);

/// 16 random bytes as a UUID (version 4), for `jti`.
std::string random_uuid();

/// An RSA private key that signs tokens with RS256 (RSASSA-PKCS1-v1_5 with SHA-256).
class JwtSigner {
 public:
  /// Reads a PEM private key (PKCS#8 or traditional RSA); the error never contains key material.
  static Expected<JwtSigner> from_pem(std::string_view pem);
  /// header.claims.signature, with "alg": "RS256" and "typ": "JWT" added to the header.
  Expected<std::string> sign(Json header, const Json& claims) const;

 private:
  std::shared_ptr<EVP_PKEY> key_;
};

/// What goes into the grant's assertion.
struct AssertionClaims {
  std::string issuer;                  // iss: the client id
  std::string audience;                // aud: the token endpoint's issuer
  std::string scope;                   // space-separated scopes
  std::string kid;                     // header kid: which registered key signed
  std::string consumer_org;            // optional: acting for another organisation
  std::chrono::seconds lifetime{120};  // exp - iat; Maskinporten allows at most 120 s
};

/// A signed assertion with iat = now, exp = now + lifetime and a fresh jti.
Expected<std::string> make_assertion(const JwtSigner& signer, const AssertionClaims& claims,
                                     std::chrono::system_clock::time_point now);

}  // namespace veikart::adapters::fiks_rest

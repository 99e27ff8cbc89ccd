#include "adapters/fiks_rest/jwt.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstdio>

#include "gateway/core/crypto.hpp"

namespace veikart::adapters::fiks_rest {

std::string base64url(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out += alphabet[(v >> shift) & 63];
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (left == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (left == 2) out += alphabet[(v >> 6) & 63];
  }
  return out;
}

std::string random_uuid() {
  const std::string raw = random_bytes(16);
  unsigned char b[16];
  std::copy(raw.begin(), raw.end(), b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

Expected<JwtSigner> JwtSigner::from_pem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!bio) return Error{"cannot read the private key"};
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) return Error{"the key file holds no PEM private key (or it is encrypted)"};
  JwtSigner signer;
  signer.key_.reset(key, EVP_PKEY_free);
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return Error{"the private key is not an RSA key (RS256 needs RSA)"};
  if (EVP_PKEY_get_bits(key) < 2048) return Error{"the RSA key is shorter than 2048 bits"};
  return signer;
}

Expected<std::string> JwtSigner::sign(Json header, const Json& claims) const {
  header["alg"] = "RS256";
  header["typ"] = "JWT";
  const std::string input = base64url(header.dump()) + "." + base64url(claims.dump());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()), input.size()) !=
          1) {
    return Error{"cannot sign the token assertion"};
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return Error{"cannot sign the token assertion"};
  }
  signature.resize(length);
  return input + "." + base64url(signature);
}

Expected<std::string> make_assertion(const JwtSigner& signer, const AssertionClaims& c,
                                     std::chrono::system_clock::time_point now) {
  const long long iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  Json claims = {{"iss", c.issuer},  {"aud", c.audience},   {"iat", iat}, {"exp", iat + c.lifetime.count()},
                 {"scope", c.scope}, {"jti", random_uuid()}};
  if (!c.consumer_org.empty()) claims["consumer_org"] = c.consumer_org;
  Json header = Json::object();
  if (!c.kid.empty()) header["kid"] = c.kid;
  return signer.sign(std::move(header), claims);
}

}  // namespace veikart::adapters::fiks_rest

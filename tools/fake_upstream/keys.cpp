#include "tools/fake_upstream/keys.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace veikart::fake {
namespace {

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

std::string drain(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::optional<std::string> unbase64url(std::string_view text) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-')
      v = 62;
    else if (c == '_')
      v = 63;
    else
      return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

KeyPair generate_key_pair(int bits) {
  Key key(EVP_RSA_gen(static_cast<unsigned>(bits)), EVP_PKEY_free);
  if (!key) throw std::runtime_error("cannot generate an RSA key");
  Bio priv(BIO_new(BIO_s_mem()), BIO_free);
  Bio pub(BIO_new(BIO_s_mem()), BIO_free);
  if (!priv || !pub || PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) {
    throw std::runtime_error("cannot write the RSA key as PEM");
  }
  return {drain(priv.get()), drain(pub.get())};
}

Expected<KeyPair> load_or_create_key_pair(const std::filesystem::path& dir, const std::string& name) {
  const auto priv = dir / (name + ".pem");
  const auto pub = dir / (name + ".pub.pem");
  if (std::filesystem::exists(priv) && std::filesystem::exists(pub)) return KeyPair{slurp(priv), slurp(pub)};
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{"cannot create " + dir.string() + ": " + ec.message()};
  KeyPair pair = generate_key_pair();
  {
    std::ofstream out(priv, std::ios::binary | std::ios::trunc);
    out << pair.private_pem;
    if (!out) return Error{"cannot write " + priv.string()};
  }
  std::filesystem::permissions(priv, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace, ec);
  std::ofstream out(pub, std::ios::binary | std::ios::trunc);
  out << pair.public_pem;
  if (!out) return Error{"cannot write " + pub.string()};
  return pair;
}

Expected<Json> verify_rs256(std::string_view token, std::string_view public_pem) {
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return Error{"not a JWT (three dot-separated parts)"};
  }
  auto header_raw = unbase64url(token.substr(0, dot1));
  auto claims_raw = unbase64url(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = unbase64url(token.substr(dot2 + 1));
  if (!header_raw || !claims_raw || !signature) return Error{"a JWT part is not base64url"};
  Json header, claims;
  try {
    header = Json::parse(*header_raw);
    claims = Json::parse(*claims_raw);
  } catch (const std::exception&) {
    return Error{"a JWT part is not JSON"};
  }
  if (header.value("alg", "") != "RS256") return Error{"alg must be RS256"};
  Bio bio(BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size())), BIO_free);
  Key key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!key) return Error{"the public key cannot be read"};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const std::string_view input = token.substr(0, dot2);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature->data()), signature->size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return Error{"the signature does not verify"};
  }
  return Json{{"header", header}, {"claims", claims}};
}

}  // namespace veikart::fake

#pragma once
/// @brief Small cryptographic helpers on OpenSSL: randomness and HMAC.

#include <cstddef>
#include <string>
#include <string_view>

namespace veikart {

/// `n` bytes from OpenSSL's CSPRNG; throws std::runtime_error when none are available.
std::string random_bytes(std::size_t n);
/// A new request id for X-Request-Id and the logs: 32 random hex digits.
std::string new_request_id();

/// Raw (binary) HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// Compares two byte strings in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace veikart

#pragma once
/// @brief Text helpers shared by adapters and reference data: encodings and forgiving name matching.

#include <string>
#include <string_view>
#include <vector>

namespace veikart {

/// True when the bytes are well-formed UTF-8 (no overlongs, no surrogates).
bool is_valid_utf8(std::string_view bytes);

/// Converts Windows-1252 bytes to UTF-8 (undefined code points become U+FFFD).
std::string cp1252_to_utf8(std::string_view bytes);

/// Removes a leading UTF-8 byte order mark, if any.
std::string_view strip_utf8_bom(std::string_view bytes);

/// A matching key for names and header words: lower case, accents folded (é→e, ø→o, å→a, æ→ae),
/// punctuation dropped, white space collapsed to one space, trimmed. "Innføring " and "INNFORING" match.
std::string fold(std::string_view utf8);

/// ASCII letters to lower case; other bytes unchanged (media types, header names).
std::string ascii_lower(std::string_view s);

/// Trims ASCII white space (and non-breaking spaces) at both ends.
std::string_view trim(std::string_view s);

/// Splits on any of the delimiter characters, trimming parts and dropping empty ones.
std::vector<std::string> split_list(std::string_view s, std::string_view delimiters);

/// Escapes one JSON Pointer reference token (RFC 6901): '~' → "~0", '/' → "~1".
std::string escape_pointer_token(std::string_view token);

/// A lower-case ASCII slug for ids: "Felles sak/arkiv Trøndelag" → "felles-sak-arkiv-trondelag".
std::string slugify(std::string_view utf8);

}  // namespace veikart

#pragma once
/// @brief Defences around libxml2: one-time set-up, a loader that refuses all but schema files, prolog checks.

#include <filesystem>
#include <string>
#include <string_view>

#include "gateway/core/expected.hpp"

namespace veikart::adapters::fiks_arkiv {

/// Initialises libxml2 once per process and installs an external entity loader that refuses every URL
/// except files below a folder registered with allow_schema_folder. Safe to call from any thread.
void init_libxml();

/// Points this thread's libxml2 error output back at the silent default (after a reader collected its own).
void init_libxml_errors();

/// Lets the loader read files below `folder` (XSD imports and includes). Idempotent.
void allow_schema_folder(const std::filesystem::path& folder);

/// How the bytes of a message are encoded, as far as the prolog check needs to know.
enum class XmlEncoding { utf8_or_ascii_compatible, utf16le, utf16be };

/// Looks at the bytes before the root element without parsing them: refuses encodings other than
/// ASCII-compatible ones and UTF-16 (UCS-4, EBCDIC), and any DOCTYPE, since an internal subset may declare
/// entities (billion laughs, external entities). The value is the detected encoding.
/// With `root`, also reads the root element's start tag when it is plain (ASCII names, namespace declarations
/// without references or line breaks): its local name and namespace, so that the caller needs no second parse
/// to choose a schema. `root->found` stays false when the tag is anything else; the full parse then decides.
struct RootTag {
  bool found = false;
  std::string name;  // local name
  std::string ns;    // namespace URI, empty for none
};
Expected<XmlEncoding> check_prolog(std::string_view bytes, RootTag* root = nullptr);

}  // namespace veikart::adapters::fiks_arkiv

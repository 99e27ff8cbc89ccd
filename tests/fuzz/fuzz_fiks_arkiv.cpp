// Fuzzes the Fiks Arkiv message reader: hardened parsing, XSD validation (when the official schemas are found)
// and the mapping. Every input must end as fragments or one rejection, never a crash, hang or leak.

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string_view>

#include "adapters/fiks_arkiv/message.hpp"
#include "adapters/fiks_arkiv/schema_set.hpp"

namespace {

/// VEIKART_FIKS_ARKIV_SCHEMA_DIR, else ../shared beside the clone as found from this file; without either
/// the fuzzer runs without XSD validation and still exercises parsing and mapping.
veikart::adapters::fiks_arkiv::SchemaSet* schemas() {
  static std::shared_ptr<veikart::adapters::fiks_arkiv::SchemaSet> set = [] {
    std::filesystem::path dir;
    if (const char* env = std::getenv("VEIKART_FIKS_ARKIV_SCHEMA_DIR")) {
      dir = env;
    } else {
      dir = std::filesystem::path(__FILE__).parent_path() / "../../../shared/formats/fiks-arkiv/Schema/V1";
    }
    auto opened = veikart::adapters::fiks_arkiv::SchemaSet::open(dir);
    return opened ? *opened : nullptr;
  }();
  return set.get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace veikart::adapters::fiks_arkiv;
  if (size == 0) return 0;
  // The first byte picks the mode and whether the limits are tight; the rest is the message.
  const std::uint8_t selector = data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  MessageOptions options;
  options.source_name = "fuzz";
  options.archive_system = "fuzz-arkiv";
  options.mode = (selector & 1) ? Mode::strict : Mode::lenient;
  options.schemas = (selector & 2) ? nullptr : schemas();
  if (selector & 4) {
    options.max_depth = 8;
    options.max_nodes = 200;
    options.max_warnings = 3;
  }
  const MessageResult result = read_message(bytes, options, "fuzz.xml");
  if (result.fragments.empty() == !result.rejected.has_value()) std::abort();
  for (const auto& f : result.fragments) {
    if (!f.attach_only || f.id.empty() || f.record.empty()) std::abort();
    if (!f.fields.contains("decisions") || f.fields["decisions"].size() != 1) std::abort();
    if (f.fields["decisions"][0]["case_number"].get<std::string>().empty()) std::abort();
  }
  if (result.warnings.size() > options.max_warnings + 4) std::abort();
  return 0;
}

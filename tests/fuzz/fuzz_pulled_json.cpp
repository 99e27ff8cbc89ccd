// Fuzzes the mapping of pulled JSON: a Fiks-style roadmap page (fiks-rest) and Noark 5 case files and links
// (noark5). Every input either maps or is rejected by record; a mapped record always has an id and fields.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/fiks_rest/fiks_rest_adapter.hpp"
#include "adapters/noark5/noark5_adapter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace veikart;
  const Json doc = Json::parse(std::string_view(reinterpret_cast<const char*>(data), size), nullptr, false);
  if (doc.is_discarded()) return 0;
  static const Reference reference = [] {
    Reference r;
    r.add_municipality({"4204", "Kristiansand", "42"});
    r.add_network({"digi-agder", "Digi Agder", {"42"}, {}});
    r.add_theme({"e-health", "E-helse", {"Helse"}});
    return r;
  }();
  Batch batch;
  const adapters::fiks_rest::FiksRestOptions fiks;
  if (doc.is_object() && doc.contains("losninger") && doc["losninger"].is_array()) {
    adapters::fiks_rest::map_page(doc, reference, fiks, "page 1", batch);
  }
  adapters::noark5::Noark5Options noark;
  noark.source_name = noark.archive_system = "arkiv";
  noark.unlinked_as_items = size % 2 == 0;
  (void)adapters::noark5::links_of(doc);
  if (doc.is_object() && doc.contains("results") && doc["results"].is_array()) {
    for (const auto& c : doc["results"]) adapters::noark5::map_case(c, noark, "page 1", batch);
  }
  for (const auto& f : batch.fragments) {
    if (f.id.empty() || f.record.empty() || !f.fields.is_object()) std::abort();
  }
  return 0;
}

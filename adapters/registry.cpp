#include "adapters/registry.hpp"

#include "adapters/spreadsheet/spreadsheet_adapter.hpp"
#include "veikart_embedded.hpp"

namespace veikart::adapters {

void register_all(AdapterRegistry& registry) {
  registry.add({"spreadsheet", embedded::source_spreadsheet_schema_json(), spreadsheet::make_spreadsheet_adapter});
}

}  // namespace veikart::adapters

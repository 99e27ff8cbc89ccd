#include "adapters/registry.hpp"

#include "adapters/fiks_arkiv/fiks_arkiv_adapter.hpp"
#include "adapters/fiks_rest/fiks_rest_adapter.hpp"
#include "adapters/inventory/inventory_parser.hpp"
#include "adapters/ks_schedules/ks_schedules_adapter.hpp"
#include "adapters/noark5/noark5_adapter.hpp"
#include "adapters/spreadsheet/spreadsheet_adapter.hpp"
#include "veikart_embedded.hpp"

namespace veikart::adapters {

void register_all(AdapterRegistry& registry) {
  registry.add({"spreadsheet", embedded::source_spreadsheet_schema_json(), spreadsheet::make_spreadsheet_adapter});
  registry.add({"fiks-arkiv", embedded::source_fiks_arkiv_schema_json(), fiks_arkiv::make_fiks_arkiv_adapter,
                fiks_arkiv::make_fiks_arkiv_parser});
  registry.add({"fiks-rest", embedded::source_fiks_rest_schema_json(), fiks_rest::make_fiks_rest_adapter});
  registry.add({"noark5", embedded::source_noark5_schema_json(), noark5::make_noark5_adapter});
  registry.add({ks_schedules::kSourceName, embedded::source_ks_schedules_schema_json(),
                ks_schedules::make_ks_schedules_adapter, ks_schedules::make_ks_schedules_parser});
  registry.set_inventory_parser(inventory::make_inventory_parser());
}

}  // namespace veikart::adapters

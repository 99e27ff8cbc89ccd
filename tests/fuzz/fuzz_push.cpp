// Fuzzes the push receivers: inventory bodies (JSON and CSV) through the inventory parser and the record check,
// and KS schedule bodies through their parser. Each must return a value or an error, never crash or hang.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/inventory/inventory_parser.hpp"
#include "adapters/ks_schedules/ks_schedules_adapter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const veikart::Reference reference = [] {
    veikart::Reference r;
    r.add_municipality({"4204", "Kristiansand", "42"});
    r.add_municipality({"1103", "Stavanger", "11"});
    return r;
  }();
  // The first byte picks the receiver, the rest is the body.
  const std::uint8_t selector = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  if (selector % 3 == 2) {
    veikart::adapters::ks_schedules::KsSchedulesParser parser;
    auto batch = parser.parse(body, "application/json", reference);
    if (batch) {
      for (const auto& f : batch->fragments) {
        if (f.id.empty() || f.fields.contains("id")) std::abort();
      }
    }
    return 0;
  }
  const veikart::adapters::inventory::InventoryBodyParser parser;
  auto batch = parser.parse(body, selector % 3 == 0 ? "application/json" : "text/csv");
  if (!batch) return 0;
  for (const auto& entry : batch->records) {
    std::vector<veikart::Issue> problems;
    auto record = veikart::check_system_record(entry.record, reference, problems);
    if (record.ok() != problems.empty()) std::abort();
  }
  return 0;
}

#pragma once
/// @brief The push receiver for system inventories: a JSON array of SystemRecords or a CSV file with a header
/// row naming the SystemRecord fields, turned into candidate records for the gateway to validate.

#include <memory>

#include "gateway/core/system_record.hpp"

namespace veikart::adapters::inventory {

/// application/json (an array of objects) or text/csv (header row; `capabilities` cells list values separated
/// by '|', ',' or spaces). JSON records are named by pointer ("/3"), CSV records by line ("4").
class InventoryBodyParser final : public InventoryParser {
 public:
  Expected<InventoryBatch> parse(std::string_view body, std::string_view media_type) const override;
};

std::shared_ptr<const InventoryParser> make_inventory_parser();

}  // namespace veikart::adapters::inventory

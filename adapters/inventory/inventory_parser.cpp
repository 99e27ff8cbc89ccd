#include "adapters/inventory/inventory_parser.hpp"

#include <algorithm>
#include <set>

#include "adapters/common/csv.hpp"
#include "gateway/core/json_guard.hpp"
#include "gateway/core/text.hpp"

namespace veikart::adapters::inventory {
namespace {

const std::vector<std::string> kColumns = {"municipality", "category", "product",      "vendor",      "vendor_orgnr",
                                           "version",      "hosting",  "contract_end", "capabilities"};
const std::vector<std::string> kRequired = {"municipality", "category", "product", "hosting"};

std::string media_type_of(std::string_view header) {
  const auto semi = header.find(';');
  return ascii_lower(trim(header.substr(0, semi)));
}

Expected<InventoryBatch> parse_json(std::string_view body) {
  auto doc = parse_untrusted_json(body);
  if (!doc) return doc.error();
  if (!doc->is_array()) return Error{"expected a JSON array of system records", 400};
  InventoryBatch batch;
  batch.where_key = "pointer";
  for (std::size_t i = 0; i < doc->size(); ++i) {
    const std::string where = "/" + std::to_string(i);
    Json& record = (*doc)[i];
    if (!record.is_object()) {
      batch.rejected.push_back({where, "expected an object"});
      continue;
    }
    batch.records.push_back({where, std::move(record)});
  }
  return batch;
}

bool blank(const CsvRow& row) {
  return std::all_of(row.cells.begin(), row.cells.end(), [](const std::string& c) { return trim(c).empty(); });
}

std::vector<std::string> split_capabilities(std::string_view cell) {
  std::vector<std::string> out;
  std::string current;
  for (const char c : cell) {
    if (c == '|' || c == ',' || c == ';' || c == ' ' || c == '\t') {
      if (!current.empty()) out.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty()) out.push_back(std::move(current));
  return out;
}

Expected<InventoryBatch> parse_csv(std::string_view body) {
  auto table = read_csv(body);
  if (!table) return Error{"not a readable CSV file: " + table.error().message, 400};
  InventoryBatch batch;
  batch.where_key = "row";
  auto row = table->rows.begin();
  while (row != table->rows.end() && blank(*row)) ++row;
  if (row == table->rows.end()) return Error{"the CSV file is empty; expected a header row", 400};
  std::vector<std::string> columns;
  std::set<std::string> seen;
  for (const auto& cell : row->cells) {
    const std::string folded = fold(cell);
    const auto known_column =
        std::find_if(kColumns.begin(), kColumns.end(), [&](const std::string& k) { return fold(k) == folded; });
    if (known_column == kColumns.end()) {
      std::string known;
      for (const auto& k : kColumns) known += (known.empty() ? "" : ", ") + k;
      return Error{"line " + std::to_string(row->line) + ": unknown column '" + std::string(trim(cell)) +
                       "' (the header names SystemRecord fields: " + known + ")",
                   400};
    }
    const std::string& name = *known_column;
    if (!seen.insert(name).second) {
      return Error{"line " + std::to_string(row->line) + ": column '" + name + "' appears twice", 400};
    }
    columns.push_back(name);
  }
  for (const auto& required : kRequired) {
    if (!seen.count(required)) return Error{"the header row has no column '" + required + "'", 400};
  }
  for (++row; row != table->rows.end(); ++row) {
    if (blank(*row)) continue;
    const std::string where = std::to_string(row->line);
    if (row->cells.size() > columns.size()) {
      batch.rejected.push_back({where, "has " + std::to_string(row->cells.size()) + " cells; the header names " +
                                           std::to_string(columns.size()) + " columns"});
      continue;
    }
    Json record = Json::object();
    for (std::size_t i = 0; i < row->cells.size(); ++i) {
      const std::string value(trim(row->cells[i]));
      if (value.empty()) continue;
      if (columns[i] == "capabilities") {
        record["capabilities"] = split_capabilities(value);
      } else {
        record[columns[i]] = value;
      }
    }
    batch.records.push_back({where, std::move(record)});
  }
  return batch;
}

}  // namespace

Expected<InventoryBatch> InventoryBodyParser::parse(std::string_view body, std::string_view media_type) const {
  const std::string type = media_type_of(media_type);
  if (type == "application/json" || (type.starts_with("application/") && type.ends_with("+json"))) {
    return parse_json(body);
  }
  if (type == "text/csv") return parse_csv(body);
  return Error{"expected Content-Type application/json or text/csv, got '" + std::string(media_type) + "'", 415};
}

std::shared_ptr<const InventoryParser> make_inventory_parser() { return std::make_shared<InventoryBodyParser>(); }

}  // namespace veikart::adapters::inventory

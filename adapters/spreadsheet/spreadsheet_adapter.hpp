#pragma once
/// @brief The `spreadsheet` source: portfolio overviews kept as CSV, XLSX or ODS files by network secretariats.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/common/csv.hpp"
#include "adapters/spreadsheet/workbook.hpp"
#include "gateway/core/adapter.hpp"

namespace veikart::adapters::spreadsheet {

struct MilestoneColumn {
  std::string column;
  MilestoneKind kind = MilestoneKind::other;
  std::string name;  // defaults to the column word
};

struct CostColumn {
  std::string column;
  CostCategory category = CostCategory::investment;
  CostPer per = CostPer::municipality;
  std::optional<Funding> funding;
  std::optional<int> year;                 // a fixed budget year
  std::optional<std::string> year_column;  // or the header of a column holding it
};

struct ResourceColumn {
  std::string column;
  std::string role;
  std::string per = "municipality";
};

struct ExternalIdColumn {
  std::string column;
  std::string system;
};

/// Canonical values applied to every row whose cells do not give them.
struct Defaults {
  std::optional<ItemKind> kind;
  std::optional<ItemStatus> status;
  std::optional<Owner> owner;
  std::optional<std::vector<std::string>> networks;
  std::optional<std::vector<std::string>> themes;
  std::optional<std::vector<std::string>> municipalities;
};

struct SpreadsheetOptions {
  std::string source_name;
  std::filesystem::path path;  // absolute: a .csv, .xlsx or .ods file or a folder of them
  CsvEncoding encoding = CsvEncoding::automatic;
  char delimiter = 0;                     // 0 = auto
  std::optional<std::size_t> header_row;  // 1-based line (row of a sheet); nullopt = auto
  SheetChoice sheet;                      // for workbooks; default the first sheet
  std::string id_prefix;
  std::optional<std::string> priority_scheme;
  Defaults defaults;
  /// Simple fields (id, same_as, title, summary, status, kind, networks, municipalities, themes, priority,
  /// owner, risks, link) → header words, in the order they are tried.
  std::map<std::string, std::vector<std::string>> mapping;
  std::vector<MilestoneColumn> milestones;
  std::vector<CostColumn> costs;
  std::vector<ResourceColumn> resources;
  std::vector<ExternalIdColumn> external_ids;
};

/// The simple mapping keys parse_options accepts.
const std::vector<std::string>& simple_mapping_fields();

/// Reads a source's config (already checked against schemas/source-spreadsheet.schema.json) into options;
/// also checks what the schema cannot say (e.g. mapping.priority needs priority_scheme).
Expected<SpreadsheetOptions> parse_options(const SourceConfig& config);

/// Maps the rows of one table to fragments. `file_label`, when not empty, prefixes every `where`
/// ("portefolje.csv row 7", "plan.xlsx sheet Portefølje row 7"). With `column_letters` a reason about a cell
/// names its sheet column too ("column 'Oppstart' (C)"). An error means no header row was found.
Expected<Batch> map_table(const std::vector<CsvRow>& rows, const SpreadsheetOptions& options,
                          const Reference& reference, std::string_view file_label = {}, bool column_letters = false);

class SpreadsheetAdapter final : public BlockingSourceAdapter {
 public:
  explicit SpreadsheetAdapter(SpreadsheetOptions options) : options_(std::move(options)) {}
  Expected<Batch> read(PullContext& ctx) override;

 private:
  SpreadsheetOptions options_;
};

/// The registry's factory for `type: spreadsheet`.
Expected<std::unique_ptr<SourceAdapter>> make_spreadsheet_adapter(const SourceConfig& config);

}  // namespace veikart::adapters::spreadsheet

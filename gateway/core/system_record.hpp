#pragma once
/// @brief What IT cooperatives report about the systems their municipalities run (SystemRecord), and the
/// parser contract for pushed inventories: an `InventoryParser` turns a body (JSON, CSV, ...) into candidate
/// records; the gateway validates them (schemas/system-record.schema.json plus reference checks) and stores them.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/adapter.hpp"

namespace veikart {

/// One system a municipality runs, as its IT cooperative reports it.
struct SystemRecord {
  std::string municipality;  // 4-digit kommunenummer
  std::string category;      // one of system_categories()
  std::string product;
  std::optional<std::string> vendor;
  std::optional<std::string> vendor_orgnr;  // 9-digit Norwegian organisation number (mod 11 check digit)
  std::optional<std::string> version;
  std::string hosting;                      // cloud | onprem | cooperative
  std::optional<std::string> contract_end;  // YYYY-MM-DD
  std::vector<std::string> capabilities;    // e.g. fiks-arkiv, fiks-io, svarut
  std::string reported_by;                  // set by the gateway: the pushing client's name
  std::string reported_at;                  // set by the gateway: RFC 3339
};

void to_json(Json& j, const SystemRecord& r);

/// The documented system categories (sak-arkiv, okonomi, hr, barnevern, helse-epj, oppvekst, byggesak,
/// kart-geodata, ...), sorted.
const std::vector<std::string>& system_categories();

/// True for a 9-digit organisation number whose last digit is the mod 11 check digit of the first eight
/// (weights 3 2 7 6 5 4 3 2).
bool valid_orgnr(std::string_view orgnr);

/// True for an existing calendar date written YYYY-MM-DD.
bool valid_iso_date(std::string_view date);

/// Checks one candidate record (a JSON object as an InventoryParser produced it) against the system-record
/// schema and the reference data. On success returns the typed record (reported_by/_at still empty);
/// otherwise every reason, each with a JSON pointer relative to the record ("/municipality").
Expected<SystemRecord> check_system_record(const Json& candidate, const Reference& reference,
                                           std::vector<Issue>& problems);

/// A candidate record and where it is in the pushed body ("/3" for JSON, "row 4" for CSV).
struct InventoryEntry {
  std::string where;
  Json record;
};

struct InventoryBatch {
  std::vector<InventoryEntry> records;
  std::vector<Issue> rejected;        // records the parser could not even read, with where and why
  std::string where_key = "pointer";  // how `where` is named in answers: "pointer" (JSON) or "row" (CSV)
};

/// Parses a pushed inventory body. An Error means the body as a whole is unusable (status 415 for a media type
/// it does not read, otherwise 400); a single bad record goes into `rejected`.
class InventoryParser {
 public:
  virtual ~InventoryParser() = default;
  virtual Expected<InventoryBatch> parse(std::string_view body, std::string_view media_type) const = 0;
};

}  // namespace veikart

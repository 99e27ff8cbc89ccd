#include "gateway/core/system_record.hpp"

#include "gateway/core/schema.hpp"
#include "veikart_embedded.hpp"

namespace veikart {
namespace {

const JsonSchema& system_record_schema() {
  static const JsonSchema schema(embedded::system_record_schema_json());
  return schema;
}

std::optional<std::string> optional_string(const Json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<std::string>();
}

}  // namespace

void to_json(Json& j, const SystemRecord& r) {
  j = Json{{"municipality", r.municipality},
           {"category", r.category},
           {"product", r.product},
           {"vendor", r.vendor ? Json(*r.vendor) : Json()},
           {"vendor_orgnr", r.vendor_orgnr ? Json(*r.vendor_orgnr) : Json()},
           {"version", r.version ? Json(*r.version) : Json()},
           {"hosting", r.hosting},
           {"contract_end", r.contract_end ? Json(*r.contract_end) : Json()},
           {"capabilities", r.capabilities},
           {"reported_by", r.reported_by},
           {"reported_at", r.reported_at}};
}

const std::vector<std::string>& system_categories() {
  // Kept in step with the enum in schemas/system-record.schema.json (a test checks they agree).
  static const std::vector<std::string> categories = {"barnevern",
                                                      "byggesak",
                                                      "dokumentasjon-pleie",
                                                      "eiendomsskatt",
                                                      "helse-epj",
                                                      "hr",
                                                      "innbyggerdialog",
                                                      "kart-geodata",
                                                      "kultur",
                                                      "lonn",
                                                      "nav-sosial",
                                                      "okonomi",
                                                      "oppvekst",
                                                      "politisk-saksbehandling",
                                                      "sak-arkiv",
                                                      "skole",
                                                      "teknisk-drift",
                                                      "tilskudd",
                                                      "vann-avlop"};
  return categories;
}

bool valid_orgnr(std::string_view orgnr) {
  if (orgnr.size() != 9) return false;
  static constexpr int kWeights[] = {3, 2, 7, 6, 5, 4, 3, 2};
  int sum = 0;
  for (std::size_t i = 0; i < 9; ++i) {
    if (orgnr[i] < '0' || orgnr[i] > '9') return false;
    if (i < 8) sum += (orgnr[i] - '0') * kWeights[i];
  }
  const int rest = sum % 11;
  if (rest == 1) return false;  // no valid check digit exists for such a number
  const int check = rest == 0 ? 0 : 11 - rest;
  return orgnr[8] - '0' == check;
}

bool valid_iso_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  auto number = [&](std::size_t from, std::size_t n) {
    int v = 0;
    for (std::size_t i = from; i < from + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const int y = number(0, 4);
  const int m = number(5, 2);
  const int d = number(8, 2);
  if (m < 1 || m > 12 || d < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

Expected<SystemRecord> check_system_record(const Json& candidate, const Reference& reference,
                                           std::vector<Issue>& problems) {
  problems = system_record_schema().validate(candidate);
  if (!problems.empty()) return Error{"does not match the system-record schema"};
  const std::string municipality = candidate["municipality"].get<std::string>();
  if (reference.municipality(municipality) == nullptr) {
    problems.push_back({"/municipality", "unknown kommunenummer '" + municipality + "'"});
  }
  const auto orgnr = optional_string(candidate, "vendor_orgnr");
  if (orgnr && !valid_orgnr(*orgnr)) {
    problems.push_back({"/vendor_orgnr", "'" + *orgnr + "' is not a valid organisation number (mod 11 check digit)"});
  }
  const auto contract_end = optional_string(candidate, "contract_end");
  if (contract_end && !valid_iso_date(*contract_end)) {
    problems.push_back({"/contract_end", "'" + *contract_end + "' is not a calendar date (YYYY-MM-DD)"});
  }
  if (!problems.empty()) return Error{"fails the reference checks"};
  SystemRecord r;
  r.municipality = municipality;
  r.category = candidate["category"].get<std::string>();
  r.product = candidate["product"].get<std::string>();
  r.vendor = optional_string(candidate, "vendor");
  r.vendor_orgnr = orgnr;
  r.version = optional_string(candidate, "version");
  r.hosting = candidate["hosting"].get<std::string>();
  r.contract_end = contract_end;
  if (candidate.contains("capabilities")) r.capabilities = candidate["capabilities"].get<std::vector<std::string>>();
  return r;
}

}  // namespace veikart

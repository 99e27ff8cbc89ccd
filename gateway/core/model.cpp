#include "gateway/core/model.hpp"
#include "gateway/core/text.hpp"

#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <type_traits>

namespace veikart {
namespace {

// Error messages start with a JSON pointer relative to the value being read ("/date: ..."), so that
// array readers can prefix their own position and the final message names the whole path
// ("/milestones/0/date: ...") — nlohmann's own messages name no field without JSON_DIAGNOSTICS.

std::string type_name(const Json& j) { return j.type_name(); }

std::string field_path(std::string_view key) { return "/" + escape_pointer_token(key); }

[[noreturn]] void throw_type(const Json& j, std::string_view key, std::string_view expected) {
  throw Json::type_error::create(302, field_path(key) + ": expected " + std::string(expected) + ", got " + type_name(j),
                                 nullptr);
}

// nlohmann's what() is "[json.exception.<kind>.<id>] <message>"; keep only the message when rethrowing.
std::string strip_nlohmann_prefix(const char* what) {
  std::string_view w(what);
  if (!w.empty() && w.front() == '[') {
    if (auto end = w.find("] "); end != std::string_view::npos) return std::string(w.substr(end + 2));
  }
  return std::string(w);
}

// A message that starts with a pointer continues the prefix; any other is about the prefixed value itself.
std::string join_path(const std::string& prefix, const std::string& message) {
  if (!message.empty() && message.front() == '/') return prefix + message;
  return prefix + ": " + message;
}

// Must be called from inside a catch block: rethrows the active exception with `prefix` prepended to its
// path, keeping its type so callers can still tell a type error from a missing field or a bad enum.
[[noreturn]] void rethrow_under(const std::string& prefix) {
  try {
    throw;
  } catch (const Json::type_error& e) {
    throw Json::type_error::create(e.id, join_path(prefix, strip_nlohmann_prefix(e.what())), nullptr);
  } catch (const Json::out_of_range& e) {
    throw Json::out_of_range::create(e.id, join_path(prefix, strip_nlohmann_prefix(e.what())), nullptr);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(join_path(prefix, e.what()));
  }
}

void require_object(const Json& j) {
  if (!j.is_object()) throw Json::type_error::create(302, "expected object, got " + type_name(j), nullptr);
}

const Json& required(const Json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end()) throw Json::out_of_range::create(403, field_path(key) + ": required field is missing", nullptr);
  return *it;
}

// Absent and null both mean "not given" for optional members.
const Json* optional_value(const Json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string as_string(const Json& v, std::string_view key) {
  if (!v.is_string()) throw_type(v, key, "string");
  return v.get<std::string>();
}

// nlohmann's arithmetic conversions accept booleans and truncate floats; the contract wants those rejected.
template <class Int>
Int as_integer(const Json& v, std::string_view key) {
  if (!v.is_number_integer()) throw_type(v, key, "integer");
  if (v.is_number_unsigned()) {
    auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<Int>::max())) throw_type(v, key, "integer in range");
    return static_cast<Int>(u);
  }
  auto s = v.get<std::int64_t>();
  if (s < static_cast<std::int64_t>(std::numeric_limits<Int>::min()) ||
      s > static_cast<std::int64_t>(std::numeric_limits<Int>::max())) {
    throw_type(v, key, "integer in range");
  }
  return static_cast<Int>(s);
}

double as_number(const Json& v, std::string_view key) {
  if (!v.is_number()) throw_type(v, key, "number");
  return v.get<double>();
}

bool as_bool(const Json& v, std::string_view key) {
  if (!v.is_boolean()) throw_type(v, key, "boolean");
  return v.get<bool>();
}

// NLOHMANN_JSON_SERIALIZE_ENUM maps unknown strings to the first enumerator and gives no list of names. The
// enums are dense from 0 and every enumerator is mapped, so the names are found by serialising 0, 1, ...
// until an out-of-range value falls back to the first name.
template <class E>
std::vector<std::string> enum_names() {
  std::vector<std::string> names;
  for (int i = 0;; ++i) {
    Json j = static_cast<E>(i);
    std::string name = j.get<std::string>();
    if (i > 0 && name == names.front()) break;
    names.push_back(std::move(name));
  }
  return names;
}

template <class E>
E as_enum(const Json& v, std::string_view key) {
  if (!v.is_string()) throw_type(v, key, "string");
  const auto& s = v.get_ref<const std::string&>();
  E e = v.get<E>();
  // A round trip that changes the string means nlohmann fell back to the first enumerator.
  if (Json(e).get_ref<const std::string&>() != s) {
    std::string allowed;
    for (const auto& n : enum_names<E>()) allowed += (allowed.empty() ? "" : ", ") + n;
    throw std::invalid_argument(field_path(key) + ": unknown value \"" + s + "\" (allowed: " + allowed + ")");
  }
  return e;
}

template <class T>
T as_object(const Json& v, std::string_view key) {
  try {
    return v.get<T>();
  } catch (...) {
    rethrow_under(field_path(key));
  }
}

std::vector<std::string> as_string_array(const Json& v, std::string_view key) {
  if (!v.is_array()) throw_type(v, key, "array");
  std::vector<std::string> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    try {
      out.push_back(as_string(v[i], std::to_string(i)));
    } catch (...) {
      rethrow_under(field_path(key));
    }
  }
  return out;
}

template <class T>
std::vector<T> as_object_array(const Json& v, std::string_view key) {
  if (!v.is_array()) throw_type(v, key, "array");
  std::vector<T> out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    try {
      out.push_back(v[i].get<T>());
    } catch (...) {
      rethrow_under(field_path(key) + "/" + std::to_string(i));
    }
  }
  return out;
}

std::vector<std::string> string_array_or_empty(const Json& j, std::string_view key) {
  auto it = j.find(key);
  return it == j.end() ? std::vector<std::string>{} : as_string_array(*it, key);
}

template <class T>
std::vector<T> object_array_or_empty(const Json& j, std::string_view key) {
  auto it = j.find(key);
  return it == j.end() ? std::vector<T>{} : as_object_array<T>(*it, key);
}

std::optional<std::string> optional_string(const Json& j, std::string_view key) {
  const Json* v = optional_value(j, key);
  return v ? std::optional<std::string>(as_string(*v, key)) : std::nullopt;
}

template <class T>
Json optional_to_json(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

// ---- dates for date_span ----

struct Ymd {
  int y = 0;
  int m = 0;
  int d = 0;
};

std::optional<Ymd> parse_iso_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto digits = [&](std::size_t from, std::size_t n) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = from; i < from + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  auto y = digits(0, 4);
  auto m = digits(5, 2);
  auto d = digits(8, 2);
  if (!y || !m || !d || *m < 1 || *m > 12 || *d < 1 || *d > 31) return std::nullopt;
  return Ymd{*y, *m, *d};
}

int days_in_month(int y, int m) {
  static constexpr std::array<int, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[static_cast<std::size_t>(m - 1)];
}

std::string format_date(const Ymd& d) {
  std::array<char, 40> buf{};  // room for any int triple, so -O2 cannot warn of truncation
  std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02d", d.y, d.m, d.d);
  return buf.data();
}

// The last day of the period an imprecise date stands for (its date is the first day of that period).
std::string end_of_period(const Ymd& d, Precision p) {
  int last_month = d.m;
  switch (p) {
    case Precision::day:
      return format_date(d);
    case Precision::month:
      break;
    case Precision::quarter:
      last_month = ((d.m - 1) / 3) * 3 + 3;
      break;
    case Precision::half:
      last_month = d.m <= 6 ? 6 : 12;
      break;
    case Precision::year:
      last_month = 12;
      break;
  }
  return format_date({d.y, last_month, days_in_month(d.y, last_month)});
}

}  // namespace

// ---- Owner ----

void to_json(Json& j, const Owner& v) { j = Json{{"type", v.type}, {"id", v.id}, {"name", v.name}}; }

void from_json(const Json& j, Owner& v) {
  require_object(j);
  v.type = as_enum<OwnerType>(required(j, "type"), "type");
  v.id = as_string(required(j, "id"), "id");
  v.name = as_string(required(j, "name"), "name");
}

// ---- Priority ----

void to_json(Json& j, const Priority& v) { j = Json{{"scheme", v.scheme}, {"value", v.value}, {"rank", v.rank}}; }

void from_json(const Json& j, Priority& v) {
  require_object(j);
  v.scheme = as_string(required(j, "scheme"), "scheme");
  v.value = as_string(required(j, "value"), "value");
  v.rank = as_integer<int>(required(j, "rank"), "rank");
}

// ---- Milestone ----

void to_json(Json& j, const Milestone& v) {
  j = Json{{"name", v.name},
           {"kind", v.kind},
           {"date", v.date},
           {"precision", v.precision},
           {"label", optional_to_json(v.label)}};
}

void from_json(const Json& j, Milestone& v) {
  require_object(j);
  v.name = as_string(required(j, "name"), "name");
  v.kind = as_enum<MilestoneKind>(required(j, "kind"), "kind");
  v.date = as_string(required(j, "date"), "date");
  v.precision = as_enum<Precision>(required(j, "precision"), "precision");
  v.label = optional_string(j, "label");
}

// ---- RolloutWave ----

void to_json(Json& j, const RolloutWave& v) {
  j = Json{{"name", v.name},
           {"networks", v.networks},
           {"municipalities", v.municipalities},
           {"start", optional_to_json(v.start)},
           {"end", optional_to_json(v.end)},
           {"precision", v.precision}};
}

void from_json(const Json& j, RolloutWave& v) {
  require_object(j);
  v.name = as_string(required(j, "name"), "name");
  v.networks = string_array_or_empty(j, "networks");
  v.municipalities = string_array_or_empty(j, "municipalities");
  v.start = optional_string(j, "start");
  v.end = optional_string(j, "end");
  v.precision = as_enum<Precision>(required(j, "precision"), "precision");
}

// ---- Cost ----

void to_json(Json& j, const Cost& v) {
  j = Json{{"year", v.year},
           {"category", v.category},
           {"amount_nok", v.amount_nok},
           {"per", v.per},
           {"funding", optional_to_json(v.funding)}};
}

void from_json(const Json& j, Cost& v) {
  require_object(j);
  v.year = as_integer<int>(required(j, "year"), "year");
  v.category = as_enum<CostCategory>(required(j, "category"), "category");
  v.amount_nok = as_number(required(j, "amount_nok"), "amount_nok");
  v.per = as_enum<CostPer>(required(j, "per"), "per");
  const Json* funding = optional_value(j, "funding");
  v.funding = funding ? std::optional<Funding>(as_enum<Funding>(*funding, "funding")) : std::nullopt;
}

// ---- Resource ----

void to_json(Json& j, const Resource& v) { j = Json{{"role", v.role}, {"share", v.share}, {"per", v.per}}; }

void from_json(const Json& j, Resource& v) {
  require_object(j);
  v.role = as_string(required(j, "role"), "role");
  v.share = as_number(required(j, "share"), "share");
  v.per = as_string(required(j, "per"), "per");
}

// ---- Benefit ----

void to_json(Json& j, const Benefit& v) {
  j = Json{{"for", v.for_},
           {"kind", v.kind},
           {"description", v.description},
           {"amount_nok", optional_to_json(v.amount_nok)}};
}

void from_json(const Json& j, Benefit& v) {
  require_object(j);
  v.for_ = as_enum<BenefitFor>(required(j, "for"), "for");
  v.kind = as_enum<BenefitKind>(required(j, "kind"), "kind");
  v.description = as_string(required(j, "description"), "description");
  const Json* amount = optional_value(j, "amount_nok");
  v.amount_nok = amount ? std::optional<double>(as_number(*amount, "amount_nok")) : std::nullopt;
}

// ---- Requirement ----

void to_json(Json& j, const Requirement& v) {
  j = Json{{"capability", v.capability},
           {"system_category", optional_to_json(v.system_category)},
           {"min_version", optional_to_json(v.min_version)}};
}

void from_json(const Json& j, Requirement& v) {
  require_object(j);
  v.capability = as_string(required(j, "capability"), "capability");
  v.system_category = optional_string(j, "system_category");
  v.min_version = optional_string(j, "min_version");
}

// ---- Decision ----

void to_json(Json& j, const Decision& v) {
  j = Json{{"case_number", v.case_number},
           {"title", v.title},
           {"date", optional_to_json(v.date)},
           {"status", optional_to_json(v.status)},
           {"source", optional_to_json(v.source)}};
}

void from_json(const Json& j, Decision& v) {
  require_object(j);
  v.case_number = as_string(required(j, "case_number"), "case_number");
  v.title = as_string(required(j, "title"), "title");
  v.date = optional_string(j, "date");
  v.status = optional_string(j, "status");
  v.source = optional_string(j, "source");
}

// ---- ExternalId ----

void to_json(Json& j, const ExternalId& v) { j = Json{{"system", v.system}, {"id", v.id}}; }

void from_json(const Json& j, ExternalId& v) {
  require_object(j);
  v.system = as_string(required(j, "system"), "system");
  v.id = as_string(required(j, "id"), "id");
}

// ---- Link ----

void to_json(Json& j, const Link& v) {
  j = Json{{"rel", v.rel}, {"href", v.href}, {"title", optional_to_json(v.title)}};
}

void from_json(const Json& j, Link& v) {
  require_object(j);
  v.rel = as_string(required(j, "rel"), "rel");
  v.href = as_string(required(j, "href"), "href");
  v.title = optional_string(j, "title");
}

// ---- ProvenanceEntry ----

void to_json(Json& j, const ProvenanceEntry& v) {
  j = Json{{"source", v.source},         {"adapter", v.adapter}, {"record", v.record},
           {"fetched_at", v.fetched_at}, {"hash", v.hash},       {"fields", v.fields}};
}

void from_json(const Json& j, ProvenanceEntry& v) {
  require_object(j);
  v.source = as_string(required(j, "source"), "source");
  v.adapter = as_string(required(j, "adapter"), "adapter");
  v.record = as_string(required(j, "record"), "record");
  v.fetched_at = as_string(required(j, "fetched_at"), "fetched_at");
  v.hash = as_string(required(j, "hash"), "hash");
  v.fields = string_array_or_empty(j, "fields");
}

// ---- Conflicts ----

void to_json(Json& j, const ConflictValue& v) { j = Json{{"source", v.source}, {"value", v.value}}; }

void from_json(const Json& j, ConflictValue& v) {
  require_object(j);
  v.source = as_string(required(j, "source"), "source");
  v.value = required(j, "value");
}

void to_json(Json& j, const Conflict& v) { j = Json{{"field", v.field}, {"values", v.values}, {"chosen", v.chosen}}; }

void from_json(const Json& j, Conflict& v) {
  require_object(j);
  v.field = as_string(required(j, "field"), "field");
  v.values = object_array_or_empty<ConflictValue>(j, "values");
  v.chosen = required(j, "chosen");
}

// ---- RoadmapItem ----

void to_json(Json& j, const RoadmapItem& v) {
  j = Json::object();
  j["id"] = v.id;
  j["title"] = v.title;
  j["summary"] = optional_to_json(v.summary);
  j["kind"] = v.kind;
  j["status"] = v.status;
  j["owner"] = v.owner;
  j["networks"] = v.networks;
  j["municipalities"] = v.municipalities;
  j["themes"] = v.themes;
  j["priority"] = optional_to_json(v.priority);
  j["milestones"] = v.milestones;
  j["rollout_waves"] = v.rollout_waves;
  j["costs"] = v.costs;
  j["resources"] = v.resources;
  j["benefits"] = v.benefits;
  j["risks"] = v.risks;
  j["requirements"] = v.requirements;
  j["decisions"] = v.decisions;
  j["external_ids"] = v.external_ids;
  j["links"] = v.links;
  j["provenance"] = v.provenance;
  j["conflicts"] = v.conflicts;
  j["updated_at"] = v.updated_at;
  j["version"] = v.version;
  j["deleted"] = v.deleted;
}

void from_json(const Json& j, RoadmapItem& v) {
  require_object(j);
  RoadmapItem out;
  out.id = as_string(required(j, "id"), "id");
  out.title = as_string(required(j, "title"), "title");
  out.summary = optional_string(j, "summary");
  out.kind = as_enum<ItemKind>(required(j, "kind"), "kind");
  out.status = as_enum<ItemStatus>(required(j, "status"), "status");
  out.owner = as_object<Owner>(required(j, "owner"), "owner");
  out.networks = string_array_or_empty(j, "networks");
  out.municipalities = string_array_or_empty(j, "municipalities");
  out.themes = string_array_or_empty(j, "themes");
  if (const Json* p = optional_value(j, "priority")) out.priority = as_object<Priority>(*p, "priority");
  out.milestones = object_array_or_empty<Milestone>(j, "milestones");
  out.rollout_waves = object_array_or_empty<RolloutWave>(j, "rollout_waves");
  out.costs = object_array_or_empty<Cost>(j, "costs");
  out.resources = object_array_or_empty<Resource>(j, "resources");
  out.benefits = object_array_or_empty<Benefit>(j, "benefits");
  out.risks = string_array_or_empty(j, "risks");
  out.requirements = object_array_or_empty<Requirement>(j, "requirements");
  out.decisions = object_array_or_empty<Decision>(j, "decisions");
  out.external_ids = object_array_or_empty<ExternalId>(j, "external_ids");
  out.links = object_array_or_empty<Link>(j, "links");
  out.provenance = object_array_or_empty<ProvenanceEntry>(j, "provenance");
  out.conflicts = object_array_or_empty<Conflict>(j, "conflicts");
  if (auto it = j.find("updated_at"); it != j.end()) out.updated_at = as_string(*it, "updated_at");
  if (auto it = j.find("version"); it != j.end()) out.version = as_integer<std::int64_t>(*it, "version");
  if (auto it = j.find("deleted"); it != j.end()) out.deleted = as_bool(*it, "deleted");
  // Assigned only when everything parsed, so a throwing read leaves the target untouched.
  v = std::move(out);
}

const std::vector<std::string>& source_fields() {
  static const std::vector<std::string> fields{
      "id",           "title",     "summary",      "kind",          "status", "owner",     "networks", "municipalities",
      "themes",       "priority",  "milestones",   "rollout_waves", "costs",  "resources", "benefits", "risks",
      "requirements", "decisions", "external_ids", "links"};
  return fields;
}

DateSpan date_span(const RoadmapItem& item) {
  DateSpan span;
  auto consider = [&span](const std::optional<std::string>& date, Precision precision) {
    if (!date) return;
    auto ymd = parse_iso_date(*date);
    if (!ymd) return;  // invalid dates are the schema's business; a span built on them would mislead
    std::string first = format_date(*ymd);
    std::string last = end_of_period(*ymd, precision);
    // ISO dates order lexicographically.
    if (span.first.empty() || first < span.first) span.first = first;
    if (span.last.empty() || last > span.last) span.last = last;
  };
  for (const auto& m : item.milestones) consider(m.date, m.precision);
  for (const auto& w : item.rollout_waves) {
    consider(w.start, w.precision);
    consider(w.end, w.precision);
  }
  return span;
}

namespace {

void release_tree(Json& json, int depth) {
  if (json.is_object()) {
    auto& object = json.get_ref<Json::object_t&>();
    if (depth < 32) {
      for (auto& [key, value] : object) {
        if (value.is_structured()) release_tree(value, depth + 1);
      }
    }
    object.clear();
  } else if (json.is_array()) {
    auto& array = json.get_ref<Json::array_t&>();
    if (depth < 32) {
      for (auto& value : array) {
        if (value.is_structured()) release_tree(value, depth + 1);
      }
    }
    array.clear();
  }
}

}  // namespace

void release_tree(Json& json) { release_tree(json, 0); }

std::string sha256_hex(std::string_view bytes) {
  // EVP_Digest fetches the algorithm and makes a context on every call; an ingestion run hashes every record,
  // so each thread keeps one of each.
  struct Digest {
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Digest() {
      EVP_MD_CTX_free(ctx);
      EVP_MD_free(md);
    }
  };
  thread_local Digest d;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (d.md == nullptr || d.ctx == nullptr || EVP_DigestInit_ex(d.ctx, d.md, nullptr) != 1 ||
      EVP_DigestUpdate(d.ctx, bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(d.ctx, digest.data(), &length) != 1) {
    throw std::runtime_error("SHA-256 digest failed");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0x0f];
  }
  return out;
}

std::string to_rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&tt, &utc);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf.data();
}

std::string now_rfc3339() { return to_rfc3339(std::chrono::system_clock::now()); }

}  // namespace veikart

#include "adapters/spreadsheet/spreadsheet_adapter.hpp"

#include "adapters/common/files.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <deque>
#include <fstream>
#include <functional>
#include <set>

#include <boost/unordered/unordered_flat_map.hpp>

#include "adapters/common/dates.hpp"
#include "adapters/common/numbers.hpp"
#include "adapters/common/words.hpp"
#include "adapters/spreadsheet/ods_reader.hpp"
#include "adapters/spreadsheet/xlsx_reader.hpp"
#include "gateway/core/text.hpp"

namespace veikart::adapters::spreadsheet {
namespace {

namespace fs = std::filesystem;

/// Larger files are refused outright: portfolio sheets are kilobytes, and a read holds the whole file.
constexpr std::uintmax_t max_file_bytes = 64u << 20;
/// Workbooks are compressed, so the same cap on the file allows far more cells; the readers' own limits
/// (workbook.hpp) bound what it may inflate to.
constexpr std::uintmax_t max_workbook_bytes = 64u << 20;

enum class FileKind { csv, xlsx, ods, other };

FileKind file_kind(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".csv") return FileKind::csv;
  if (ext == ".xlsx") return FileKind::xlsx;
  if (ext == ".ods") return FileKind::ods;
  return FileKind::other;
}

/// Quoted text in messages is cut so that one huge cell cannot flood the issue list.
std::string shorten(std::string_view s, std::size_t max = 80) {
  if (s.size() <= max) return std::string(s);
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return std::string(s.substr(0, cut)) + "...";
}

std::string quote(std::string_view s) { return "'" + shorten(s) + "'"; }

/// Reads an enum from its JSON name; the serialiser silently maps unknown names to the first value,
/// so the round trip tells known from unknown.
template <class E>
std::optional<E> enum_from_json(const Json& j) {
  if (!j.is_string()) return std::nullopt;
  E e = j.get<E>();
  if (Json(e) != j) return std::nullopt;
  return e;
}

std::vector<std::string> string_or_list(const Json& j) {
  std::vector<std::string> out;
  if (j.is_string()) {
    out.push_back(j.get<std::string>());
  } else if (j.is_array()) {
    for (const auto& v : j) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  }
  return out;
}

std::string municipality_number(const Json& j) {
  if (j.is_number_integer()) {
    std::string s = std::to_string(j.get<long long>());
    while (s.size() < 4) s.insert(s.begin(), '0');
    return s;
  }
  return j.is_string() ? std::string(trim(j.get<std::string>())) : std::string();
}

bool is_canonical_id(std::string_view s) {
  std::size_t colon = s.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == s.size()) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return std::none_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n'; });
}

/// One header column a field reads from.
struct Column {
  std::size_t index = 0;
  std::string header;  // the header cell as written, for messages
};

/// Splits on any of the single-character delimiters or on the multi-character words.
std::vector<std::string> split_parts(std::string_view s, std::string_view chars,
                                     const std::vector<std::string_view>& words) {
  std::vector<std::string> out;
  std::string current;
  for (std::size_t i = 0; i < s.size();) {
    bool split = chars.find(s[i]) != std::string_view::npos;
    std::size_t skip = 1;
    for (auto w : words) {
      if (!split && s.substr(i, w.size()) == w) {
        split = true;
        skip = w.size();
      }
    }
    if (split) {
      if (!trim(current).empty()) out.emplace_back(trim(current));
      current.clear();
      i += skip;
    } else {
      current.push_back(s[i]);
      ++i;
    }
  }
  if (!trim(current).empty()) out.emplace_back(trim(current));
  return out;
}

/// Resolves a list cell against reference data. Names may themselves hold list separators ("Digi Møre og
/// Romsdal", "Plan, bygg og geodata"), so a part is looked up whole before it is split any further.
using Finder = std::function<std::optional<std::vector<std::string>>(std::string_view)>;

void resolve_list(std::string_view part, std::size_t level, const Finder& find, std::vector<std::string>& found,
                  std::vector<std::string>& unknown) {
  if (auto ids = find(part)) {
    found.insert(found.end(), ids->begin(), ids->end());
    return;
  }
  struct Level {
    std::string_view chars;
    std::vector<std::string_view> words;
  };
  static const std::vector<Level> levels = {{";\n", {}}, {",", {}}, {"/", {}}, {"", {" og ", " Og ", " OG ", " & "}}};
  for (std::size_t l = level; l < levels.size(); ++l) {
    auto pieces = split_parts(part, levels[l].chars, levels[l].words);
    if (pieces.size() > 1) {
      for (const auto& p : pieces) resolve_list(p, l + 1, find, found, unknown);
      return;
    }
  }
  unknown.emplace_back(trim(part));
}

void append_unique(std::vector<std::string>& to, const std::vector<std::string>& from) {
  for (const auto& v : from) {
    if (std::find(to.begin(), to.end(), v) == to.end()) to.push_back(v);
  }
}

Json owner_json(const Owner& o) { return Json{{"type", o.type}, {"id", o.id}, {"name", o.name}}; }

/// The simple mapping fields, in the order of simple_mapping_fields().
enum class Field : std::size_t {
  id,
  same_as,
  title,
  summary,
  status,
  kind,
  networks,
  municipalities,
  themes,
  priority,
  owner,
  risks,
  link,
};
constexpr std::size_t field_count = static_cast<std::size_t>(Field::link) + 1;

/// The first year of each kind of milestone in a row (indexed by MilestoneKind).
using MilestoneYears = std::array<std::optional<int>, static_cast<std::size_t>(MilestoneKind::other) + 1>;

/// A cost column's fixed values as JSON.
struct CostWords {
  Json category, funding, per;
};

/// Everything map_table needs about the header: which column each configured field reads.
struct Layout {
  std::size_t header_line = 0;
  bool column_letters = false;  // workbooks: messages name the sheet column as well
  // The defaults as JSON, built once, not per row.
  Json default_owner;
  Json default_networks, default_municipalities, default_themes;
  /// Per simple field (indexed by Field): the columns it reads, in the order tried; empty when not mapped.
  std::array<std::vector<Column>, field_count> simple;
  std::vector<std::vector<Column>> milestones;
  std::vector<std::vector<Column>> costs;
  std::vector<std::vector<Column>> cost_years;
  std::vector<CostWords> cost_words;
  std::vector<std::vector<Column>> resources;
  std::vector<std::vector<Column>> external_ids;
};

std::vector<std::string> all_header_words(const SpreadsheetOptions& o) {
  std::vector<std::string> words;
  for (const auto& [field, list] : o.mapping) words.insert(words.end(), list.begin(), list.end());
  for (const auto& m : o.milestones) words.push_back(m.column);
  for (const auto& c : o.costs) {
    words.push_back(c.column);
    if (c.year_column) words.push_back(*c.year_column);
  }
  for (const auto& r : o.resources) words.push_back(r.column);
  for (const auto& e : o.external_ids) words.push_back(e.column);
  return words;
}

/// Columns for the words, in the words' order (the first non-empty cell among them wins per row).
std::vector<Column> find_columns(const CsvRow& header, const std::vector<std::string>& words) {
  std::vector<Column> out;
  for (const auto& w : words) {
    const std::string key = fold(w);
    for (std::size_t i = 0; i < header.cells.size(); ++i) {
      if (fold(header.cells[i]) != key || key.empty()) continue;
      bool seen = std::any_of(out.begin(), out.end(), [&](const Column& c) { return c.index == i; });
      if (!seen) out.push_back(Column{i, std::string(trim(header.cells[i]))});
      break;
    }
  }
  return out;
}

std::string words_list(const std::vector<std::string>& words) {
  std::string s;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) s += i + 1 == words.size() ? " or " : ", ";
    s += quote(words[i]);
  }
  return s;
}

/// A cell value found for a field: the column it is in and its trimmed text (a view into the row).
struct CellValue {
  const Column* column;
  std::string_view text;
};

/// A list cell resolved against reference data.
struct ListLookup {
  std::vector<std::string> found;
  std::vector<std::string> unknown;
  bool all_without_networks = false;
  Json json;  // `found` as a JSON array, built once per distinct cell text
};

/// Resolves a list cell to ids in order of first mention, without repeats.
ListLookup lookup_ids(std::string_view text, const Finder& find) {
  ListLookup r;
  std::vector<std::string> found;
  resolve_list(text, 0, find, found, r.unknown);
  append_unique(r.found, found);
  r.json = r.found;
  return r;
}

struct TextHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

/// Per table: what a cell's text resolves to, memoised by the text. A 100,000-row portfolio repeats a few
/// hundred distinct municipality lists, themes, dates and priorities, and each lookup folds and splits its
/// text. Each cache stops growing at `max_entries` (then it computes without storing).
struct Lookups {
  static constexpr std::size_t max_entries = 20'000;
  /// Open addressing, as the lookups run for every row. A reference `get` returns stays valid until the next
  /// insertion into the same cache.
  template <class V>
  using Cache = boost::unordered_flat_map<std::string, V, TextHash, std::equal_to<>>;
  /// List cells are written many ways ("Sola, Karmøy", "Karmøy og Sola", ...) that resolve to far fewer lists,
  /// so each text keeps only the number of its result and equal results are stored once. References stay valid.
  struct ListCache {
    Cache<std::uint32_t> by_text;
    Cache<std::uint32_t> by_content;
    std::deque<ListLookup> results;
  };
  ListCache networks, municipalities, themes;
  Cache<Expected<ParsedDate>> dates;
  Cache<Expected<Json>> priorities;  // the priority object
  Cache<Json> statuses, kinds;       // the canonical word, or null for an unknown one
  /// Per milestone column: the milestone object a cell's text makes, with its year.
  struct MilestoneCell {
    Expected<ParsedDate> date = Error{};
    int year = 0;
    Json json;
  };
  std::vector<Cache<MilestoneCell>> milestones;
  std::string key;  // scratch for composite keys

  template <class V, class F>
  static const V& get(Cache<V>& cache, std::string_view key, V& scratch, F&& compute) {
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    if (cache.size() >= max_entries) {
      scratch = compute();
      return scratch;
    }
    return cache.emplace(std::string(key), compute()).first->second;
  }

  template <class F>
  static const ListLookup& get(ListCache& cache, std::string_view key, ListLookup& scratch, F&& compute) {
    if (auto it = cache.by_text.find(key); it != cache.by_text.end()) return cache.results[it->second];
    if (cache.by_text.size() >= max_entries) {
      scratch = compute();
      return scratch;
    }
    ListLookup result = compute();
    std::string content;
    for (const auto& v : result.found) (content += v) += '\x1f';
    content += '\x1e';
    for (const auto& v : result.unknown) (content += v) += '\x1f';
    content += result.all_without_networks ? '1' : '0';
    auto [it, added] =
        cache.by_content.try_emplace(std::move(content), static_cast<std::uint32_t>(cache.results.size()));
    if (added) cache.results.push_back(std::move(result));
    cache.by_text.emplace(std::string(key), it->second);
    return cache.results[it->second];
  }
};

/// The fields a fragment may have, in key order.
enum class Key : std::size_t {
  costs,
  external_ids,
  kind,
  links,
  milestones,
  municipalities,
  networks,
  owner,
  priority,
  resources,
  risks,
  status,
  summary,
  themes,
  title,
};
constexpr std::size_t key_count = static_cast<std::size_t>(Key::title) + 1;

/// A fragment's fields, set in any order and put into the JSON object in key order at the end, so that each
/// goes to the end of the object's tree instead of being looked up in it.
class FieldSlots {
 public:
  Json& operator[](Key key) {
    const auto k = static_cast<std::size_t>(key);
    set_[k] = true;
    return values_[k];
  }
  Json take() {
    static constexpr std::array<std::string_view, key_count> names = {
        "costs",    "external_ids", "kind",  "links",  "milestones", "municipalities", "networks", "owner",
        "priority", "resources",    "risks", "status", "summary",    "themes",         "title"};
    Json object = Json::object();
    auto& o = object.get_ref<Json::object_t&>();
    for (std::size_t k = 0; k < key_count; ++k) {
      if (set_[k]) o.emplace_hint(o.end(), std::string(names[k]), std::move(values_[k]));
    }
    return object;
  }

 private:
  std::array<Json, key_count> values_;
  std::array<bool, key_count> set_{};
};

/// Maps one data row; collects every reason to reject it so that one pass tells the user all problems.
class RowMapper {
 public:
  RowMapper(const CsvRow& row, const Layout& layout, Lookups& lookups, const SpreadsheetOptions& options,
            const Reference& reference, std::string where, std::vector<Issue>& warnings)
      : row_(row),
        layout_(layout),
        lookups_(lookups),
        options_(options),
        reference_(reference),
        where_(std::move(where)),
        warnings_(warnings) {}

  /// The fragment, or nullopt after adding the reasons to `reasons()`.
  std::optional<Fragment> map() {
    Fragment f;
    FieldSlots fields;

    auto id_cell = value(Field::id);
    auto title = value(Field::title);
    if (title) {
      fields[Key::title] = title->text;
    } else {
      reject("missing title" + looked_in(Field::title));
    }
    if (auto summary = value(Field::summary)) fields[Key::summary] = summary->text;

    map_status(fields);
    map_kind(fields);
    map_owner(fields);
    const std::vector<std::string>& networks = map_networks(fields);
    map_municipalities(fields, networks);
    map_themes(fields);
    map_priority(fields);
    const MilestoneYears milestone_years = map_milestones(fields);
    map_costs(fields, milestone_years);
    map_resources(fields);
    map_risks(fields);
    map_links(fields);

    Json external = Json::array();
    for (std::size_t i = 0; i < options_.external_ids.size(); ++i) {
      if (auto v = first_value(layout_.external_ids[i])) {
        external.push_back(Json{{"system", options_.external_ids[i].system}, {"id", v->text}});
      }
    }

    std::string own_id;
    if (id_cell) {
      own_id = std::string(id_cell->text);
    } else if (title) {
      own_id = slugify(title->text);
      if (own_id.empty()) reject(in_column(title->column) + "cannot make an id from the title");
    }
    f.record = id_cell ? std::string(id_cell->text) : where_;
    // Only an id cell is a stable key; a row number shifts whenever rows are added above.
    if (id_cell) known_record_ = id_cell->text;
    f.id = options_.id_prefix + ":" + own_id;
    if (auto same = value(Field::same_as)) {
      if (is_canonical_id(same->text)) {
        f.id = same->text;
        external.insert(external.begin(), Json{{"system", options_.id_prefix}, {"id", own_id}});
      } else {
        reject(in_column(same->column) + quote(same->text) + " is not a canonical id (like ks:digihelse)");
      }
    }
    if (!external.empty()) fields[Key::external_ids] = std::move(external);
    f.fields = fields.take();

    std::string& joined = lookups_.key;  // scratch, reused from row to row
    joined.clear();
    for (std::size_t i = 0; i < row_.cells.size(); ++i) {
      if (i > 0) joined.push_back('\x1f');  // unit separator: "a;b" + "c" differs from "a" + "b;c"
      joined += row_.cells[i];
    }
    f.hash = sha256_hex(joined);
    if (!reasons_.empty()) return std::nullopt;
    f.where = std::move(where_);  // the last use: warnings were added above
    return f;
  }

  const std::vector<std::string>& reasons() const { return reasons_; }
  /// The record key of a rejected row when its id cell could be read, so its last good version is kept.
  const std::string& known_record() const { return known_record_; }

 private:
  std::string_view cell(std::size_t index) const {
    return index < row_.cells.size() ? trim(row_.cells[index]) : std::string_view();
  }

  std::optional<CellValue> first_value(const std::vector<Column>& columns) const {
    for (const auto& c : columns) {
      std::string_view v = cell(c.index);
      if (!v.empty()) return CellValue{&c, v};
    }
    return std::nullopt;
  }

  std::optional<CellValue> value(Field field) const {
    return first_value(layout_.simple[static_cast<std::size_t>(field)]);
  }

  std::string looked_in(Field field) const {
    const std::vector<Column>& columns = layout_.simple[static_cast<std::size_t>(field)];
    if (columns.empty()) return {};
    std::vector<std::string> headers;
    for (const auto& c : columns) headers.push_back(c.header);
    return " (column " + words_list(headers) + " is empty)";
  }

  void reject(std::string reason) { reasons_.push_back(std::move(reason)); }
  void warn(std::string reason) { warnings_.push_back(Issue{where_, std::move(reason)}); }

  std::string column_name(const Column* c) const {
    std::string s = "column " + quote(c->header);
    if (layout_.column_letters) s += " (" + column_letters(c->index) + ")";
    return s;
  }
  std::string in_column(const Column* c) const { return column_name(c) + ": "; }

  /// A vocabulary cell (status, kind) as its canonical word, memoised in `cache`; false when the word is unknown.
  template <class FromWord>
  bool put_word(Lookups::Cache<Json>& cache, const CellValue& v, FromWord from_word, Json& to) {
    Json scratch;
    const Json& word = Lookups::get(cache, v.text, scratch, [&] {
      auto known = from_word(v.text);
      return known ? Json(*known) : Json();
    });
    if (word.is_null()) return false;
    to = word;
    return true;
  }

  void map_status(FieldSlots& fields) {
    if (auto v = value(Field::status)) {
      if (!put_word(lookups_.statuses, *v, status_from_word, fields[Key::status])) {
        reject(in_column(v->column) + "unknown status " + quote(v->text));
      }
    } else if (options_.defaults.status) {
      fields[Key::status] = *options_.defaults.status;
    } else {
      reject("missing status" + looked_in(Field::status) + " and no default status");
    }
  }

  void map_kind(FieldSlots& fields) {
    if (auto v = value(Field::kind)) {
      if (!put_word(lookups_.kinds, *v, kind_from_word, fields[Key::kind])) {
        reject(in_column(v->column) + "unknown kind " + quote(v->text));
      }
    } else if (options_.defaults.kind) {
      fields[Key::kind] = *options_.defaults.kind;
    }
  }

  void map_owner(FieldSlots& fields) {
    auto v = value(Field::owner);
    if (!v) {
      if (options_.defaults.owner) fields[Key::owner] = layout_.default_owner;
      return;
    }
    if (fold(v->text) == "ks") {
      fields[Key::owner] = owner_json(Owner{OwnerType::ks, "ks", "KS"});
    } else if (const Network* n = reference_.find_network(v->text)) {
      fields[Key::owner] = owner_json(Owner{OwnerType::network, n->id, n->name});
    } else if (const Municipality* m = reference_.find_municipality(v->text)) {
      fields[Key::owner] = owner_json(Owner{OwnerType::municipality, m->number, m->name});
    } else {
      reject(in_column(v->column) + "unknown owner " + quote(v->text) + " (expected KS, a network or a municipality)");
    }
  }

  /// The row's network ids (valid while the mapper lives).
  const std::vector<std::string>& map_networks(FieldSlots& fields) {
    static const std::vector<std::string> none;
    if (auto v = value(Field::networks)) {
      const ListLookup& l = Lookups::get(lookups_.networks, v->text, network_scratch_, [&] {
        return lookup_ids(v->text, [&](std::string_view s) -> std::optional<std::vector<std::string>> {
          if (const Network* n = reference_.find_network(s)) return std::vector<std::string>{n->id};
          return std::nullopt;
        });
      });
      for (const auto& u : l.unknown) reject(in_column(v->column) + "unknown network " + quote(u));
      fields[Key::networks] = l.json;
      return l.found;
    }
    if (options_.defaults.networks) {
      fields[Key::networks] = layout_.default_networks;
      return *options_.defaults.networks;
    }
    return none;
  }

  void map_municipalities(FieldSlots& fields, const std::vector<std::string>& networks) {
    auto v = value(Field::municipalities);
    if (!v) {
      if (options_.defaults.municipalities) fields[Key::municipalities] = layout_.default_municipalities;
      return;
    }
    // "alle" depends on the row's networks, so they are part of the key.
    std::string& key = lookups_.key;
    key.assign(v->text);
    for (const auto& n : networks) (key += '\x1f') += n;
    const ListLookup& l = Lookups::get(lookups_.municipalities, key, list_scratch_, [&] {
      ListLookup r;
      Finder find = [&](std::string_view s) -> std::optional<std::vector<std::string>> {
        const std::string folded = fold(s);
        if (folded == "alle" || folded == "alle kommuner" || folded == "alle kommunene" || folded == "alle kommunane") {
          std::vector<std::string> all;
          for (const auto& n : networks) append_unique(all, reference_.municipalities_of(n));
          if (networks.empty()) r.all_without_networks = true;
          return all;
        }
        // Excel drops the leading zero of 0301; find_municipality also takes "1103 Stavanger".
        std::string text(trim(s));
        if (text.size() == 3 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
          text.insert(text.begin(), '0');
        }
        if (const Municipality* m = reference_.find_municipality(text)) return std::vector<std::string>{m->number};
        return std::nullopt;
      };
      resolve_list(v->text, 0, find, r.found, r.unknown);
      std::sort(r.found.begin(), r.found.end());
      r.found.erase(std::unique(r.found.begin(), r.found.end()), r.found.end());
      r.json = r.found;
      return r;
    });
    for (const auto& u : l.unknown) reject(in_column(v->column) + "unknown municipality " + quote(u));
    if (l.all_without_networks)
      reject(in_column(v->column) + quote(v->text) + " needs the row's networks, and it has none");
    fields[Key::municipalities] = l.json;
  }

  void map_themes(FieldSlots& fields) {
    auto v = value(Field::themes);
    if (!v) {
      if (options_.defaults.themes) fields[Key::themes] = layout_.default_themes;
      return;
    }
    const ListLookup& l = Lookups::get(lookups_.themes, v->text, list_scratch_, [&] {
      return lookup_ids(v->text, [&](std::string_view s) -> std::optional<std::vector<std::string>> {
        if (const Theme* t = reference_.find_theme(s)) return std::vector<std::string>{t->id};
        return std::nullopt;
      });
    });
    for (const auto& u : l.unknown) warn(in_column(v->column) + "unknown theme " + quote(u) + " dropped");
    if (!l.found.empty() || l.unknown.empty()) fields[Key::themes] = l.json;
  }

  void map_priority(FieldSlots& fields) {
    auto v = value(Field::priority);
    if (!v) return;
    // parse_options guarantees a scheme whenever the priority column is mapped.
    Expected<Json> scratch = Error{};
    const Expected<Json>& p = Lookups::get(lookups_.priorities, v->text, scratch, [&]() -> Expected<Json> {
      auto parsed = normalise_priority(options_.priority_scheme.value_or(""), v->text);
      if (!parsed) return parsed.error();
      return Json{{"scheme", parsed->scheme}, {"value", parsed->value}, {"rank", parsed->rank}};
    });
    if (!p) {
      reject(in_column(v->column) + p.error().message);
      return;
    }
    fields[Key::priority] = *p;
  }

  /// parse_date, memoised by the cell's text.
  const Expected<ParsedDate>& date_of(std::string_view text, Expected<ParsedDate>& scratch) {
    return Lookups::get(lookups_.dates, text, scratch, [&] { return parse_date(text); });
  }

  MilestoneYears map_milestones(FieldSlots& fields) {
    MilestoneYears years;  // first year seen per kind, for costs without a year
    Json list = Json::array();
    list.get_ref<Json::array_t&>().reserve(options_.milestones.size());
    for (std::size_t i = 0; i < options_.milestones.size(); ++i) {
      const MilestoneColumn& m = options_.milestones[i];
      auto v = first_value(layout_.milestones[i]);
      if (!v) continue;
      Lookups::MilestoneCell scratch;
      const Lookups::MilestoneCell& cell = Lookups::get(lookups_.milestones[i], v->text, scratch, [&] {
        Lookups::MilestoneCell c;
        c.date = parse_date(v->text);
        if (c.date) {
          c.year = std::stoi(c.date->date.substr(0, 4));
          c.json = Json{{"name", m.name},
                        {"kind", m.kind},
                        {"date", c.date->date},
                        {"precision", c.date->precision},
                        {"label", c.date->label}};
        }
        return c;
      });
      if (!cell.date) {
        reject(in_column(v->column) + cell.date.error().message);
        continue;
      }
      auto& year = years[static_cast<std::size_t>(m.kind)];
      if (!year) year = cell.year;
      list.push_back(cell.json);
    }
    if (!list.empty()) fields[Key::milestones] = std::move(list);
    return years;
  }

  void map_costs(FieldSlots& fields, const MilestoneYears& milestone_years) {
    Json list = Json::array();
    list.get_ref<Json::array_t&>().reserve(options_.costs.size());
    for (std::size_t i = 0; i < options_.costs.size(); ++i) {
      const CostColumn& c = options_.costs[i];
      auto v = first_value(layout_.costs[i]);
      if (!v) continue;
      auto amount = parse_amount_nok(v->text);
      if (!amount) {
        reject(in_column(v->column) + amount.error().message);
        continue;
      }
      std::optional<int> year = c.year;
      if (!year) {
        if (auto y = first_value(layout_.cost_years[i])) {
          Expected<ParsedDate> scratch = Error{};
          const Expected<ParsedDate>& d = date_of(y->text, scratch);
          if (d && d->precision == Precision::year) {
            year = std::stoi(d->date.substr(0, 4));
          } else {
            reject(in_column(y->column) + "cannot read year " + quote(y->text));
            continue;
          }
        }
      }
      if (!year) {
        for (MilestoneKind k : {MilestoneKind::rollout_start, MilestoneKind::start}) {
          if (!year) year = milestone_years[static_cast<std::size_t>(k)];
        }
      }
      if (!year) {
        warn(in_column(v->column) + "no budget year for " + quote(v->text) +
             " (no year column value and no rollout or start date); cost dropped");
        continue;
      }
      // Keys in order, each put at the end of the object; the words are made once per column.
      const CostWords& words = layout_.cost_words[i];
      Json& cost = list.emplace_back(Json::object());
      auto& o = cost.get_ref<Json::object_t&>();
      o.emplace_hint(o.end(), "amount_nok", *amount);
      o.emplace_hint(o.end(), "category", words.category);
      o.emplace_hint(o.end(), "funding", words.funding);
      o.emplace_hint(o.end(), "per", words.per);
      o.emplace_hint(o.end(), "year", *year);
    }
    if (!list.empty()) fields[Key::costs] = std::move(list);
  }

  void map_resources(FieldSlots& fields) {
    Json list = Json::array();
    for (std::size_t i = 0; i < options_.resources.size(); ++i) {
      const ResourceColumn& r = options_.resources[i];
      auto v = first_value(layout_.resources[i]);
      if (!v) continue;
      auto share = parse_share(v->text);
      if (!share) {
        reject(in_column(v->column) + share.error().message);
        continue;
      }
      list.push_back(Json{{"role", r.role}, {"share", *share}, {"per", r.per}});
    }
    if (!list.empty()) fields[Key::resources] = std::move(list);
  }

  void map_risks(FieldSlots& fields) {
    auto v = value(Field::risks);
    if (!v) return;
    std::vector<std::string> risks;
    for (auto& part : split_list(v->text, ";\n")) {
      // Bullets typed into a cell are layout, not part of the risk.
      std::string_view s = part;
      while (!s.empty() && (s.front() == '-' || s.front() == '*')) s = trim(s.substr(1));
      if (s.substr(0, 3) == "\xE2\x80\xA2") s = trim(s.substr(3));  // U+2022 bullet
      if (!s.empty()) risks.emplace_back(s);
    }
    if (!risks.empty()) fields[Key::risks] = risks;
  }

  void map_links(FieldSlots& fields) {
    auto v = value(Field::link);
    if (!v) return;
    Json links = Json::array();
    for (const auto& href : split_list(v->text, " \n\t;")) {
      if (href.rfind("http://", 0) != 0 && href.rfind("https://", 0) != 0) {
        reject(in_column(v->column) + "link " + quote(href) + " does not start with http:// or https://");
        continue;
      }
      links.push_back(Json{{"rel", "related"}, {"href", href}, {"title", nullptr}});
    }
    if (!links.empty()) fields[Key::links] = std::move(links);
  }

  const CsvRow& row_;
  const Layout& layout_;
  Lookups& lookups_;
  const SpreadsheetOptions& options_;
  const Reference& reference_;
  std::string where_;
  std::vector<Issue>& warnings_;
  std::vector<std::string> reasons_;
  std::string known_record_;
  ListLookup list_scratch_;     // a lookup past the caches' size
  ListLookup network_scratch_;  // the same for the networks, which map_networks returns for the row
};

std::string join_reasons(const std::vector<std::string>& reasons) {
  std::string s;
  for (const auto& r : reasons) {
    if (!s.empty()) s += "; ";
    s += r;
  }
  return s;
}

/// Where mapped fragments go. Keeps the first fragment per id over every table of a read (later ones are
/// rejected so that a snapshot never holds one id twice), then appends it to the batch or hands it to the
/// sink. Only the ids and where they were first seen are kept, not the fragments.
class FragmentOutput {
 public:
  FragmentOutput(Batch& batch, FragmentSink* sink) : batch_(batch), sink_(sink) {}

  /// Starts a table whose rows are "<prefix>row N".
  void table(std::string prefix) { prefixes_.push_back(std::move(prefix)); }
  const std::string& prefix() const { return prefixes_.back(); }
  Batch& batch() { return batch_; }

  void add(Fragment&& f, std::size_t line) {
    auto [it, inserted] = first_.try_emplace(
        f.id, Place{static_cast<std::uint32_t>(prefixes_.size() - 1), static_cast<std::uint32_t>(line)});
    if (!inserted) {
      batch_.rejected.push_back(Issue{f.where, "duplicate id " + quote(f.id) + " (first at " +
                                                   prefixes_[it->second.table] + "row " +
                                                   std::to_string(it->second.line) + ")"});
      return;
    }
    if (sink_ != nullptr) {
      (*sink_)(std::move(f));
    } else {
      batch_.fragments.push_back(std::move(f));
    }
  }

 private:
  struct Place {
    std::uint32_t table;
    std::uint32_t line;
  };
  Batch& batch_;
  FragmentSink* sink_;
  std::vector<std::string> prefixes_;
  // Open addressing: a large read looks up every id once, and a node-based map's cache misses dominated that.
  boost::unordered_flat_map<std::string, Place, TextHash, std::equal_to<>> first_;
};

/// Checks the defaults' reference ids and fills in owner names, so every row gets canonical values.
Expected<SpreadsheetOptions> resolve_defaults(const SpreadsheetOptions& options, const Reference& reference) {
  SpreadsheetOptions o = options;
  if (o.defaults.networks) {
    for (auto& id : *o.defaults.networks) {
      const Network* n = reference.find_network(id);
      if (!n) return Error{"defaults.networks: unknown network " + quote(id)};
      id = n->id;
    }
  }
  if (o.defaults.themes) {
    for (auto& id : *o.defaults.themes) {
      const Theme* t = reference.find_theme(id);
      if (!t) return Error{"defaults.themes: unknown theme " + quote(id)};
      id = t->id;
    }
  }
  if (o.defaults.municipalities) {
    for (auto& number : *o.defaults.municipalities) {
      const Municipality* m = reference.find_municipality(number);
      if (!m) return Error{"defaults.municipalities: unknown municipality " + quote(number)};
      number = m->number;
    }
  }
  if (o.defaults.owner && o.defaults.owner->name.empty()) {
    Owner& owner = *o.defaults.owner;
    if (owner.type == OwnerType::network) {
      if (const Network* n = reference.find_network(owner.id)) owner.name = n->name;
    } else if (owner.type == OwnerType::municipality) {
      if (const Municipality* m = reference.find_municipality(owner.id)) owner.name = m->name;
    } else if (owner.type == OwnerType::ks) {
      owner.name = "KS";
    }
    if (owner.name.empty()) owner.name = owner.id;
  }
  return o;
}

}  // namespace

const std::vector<std::string>& simple_mapping_fields() {
  static const std::vector<std::string> fields = {"id",       "same_as",        "title",  "summary",  "status", "kind",
                                                  "networks", "municipalities", "themes", "priority", "owner",  "risks",
                                                  "link"};
  return fields;
}

Expected<SpreadsheetOptions> parse_options(const SourceConfig& config) {
  const std::string who = "source '" + config.name + "': ";
  try {
    const Json& s = config.settings;
    if (!s.is_object()) return Error{who + "the settings are not an object"};
    SpreadsheetOptions o;
    o.source_name = config.name;

    if (!s.contains("path") || !s["path"].is_string()) return Error{who + "path is required"};
    o.path = config.resolve(s["path"].get<std::string>());

    const std::string encoding = s.value("encoding", "auto");
    if (encoding == "auto")
      o.encoding = CsvEncoding::automatic;
    else if (encoding == "utf-8")
      o.encoding = CsvEncoding::utf8;
    else if (encoding == "windows-1252")
      o.encoding = CsvEncoding::windows_1252;
    else
      return Error{who + "encoding must be auto, utf-8 or windows-1252, not " + quote(encoding)};

    const std::string delimiter = s.value("delimiter", "auto");
    if (delimiter == "auto")
      o.delimiter = 0;
    else if (delimiter == ";" || delimiter == "," || delimiter == "\t")
      o.delimiter = delimiter[0];
    else
      return Error{who + "delimiter must be auto, \";\", \",\" or \"\\t\""};

    if (s.contains("header_row")) {
      const Json& h = s["header_row"];
      if (h.is_number_integer() && h.get<long long>() >= 1) {
        o.header_row = static_cast<std::size_t>(h.get<long long>());
      } else if (!(h.is_string() && h.get<std::string>() == "auto")) {
        return Error{who + "header_row must be auto or a row number from 1"};
      }
    }

    if (s.contains("sheet")) {
      const Json& sheet = s["sheet"];
      if (sheet.is_number_integer() && sheet.get<long long>() >= 1) {
        o.sheet.index = static_cast<std::size_t>(sheet.get<long long>());
      } else if (sheet.is_string() && !trim(sheet.get<std::string>()).empty()) {
        o.sheet.name = sheet.get<std::string>();
      } else {
        return Error{who + "sheet must be a sheet name or a sheet number from 1"};
      }
    }

    if (!s.contains("id_prefix") || !s["id_prefix"].is_string() || s["id_prefix"].get<std::string>().empty()) {
      return Error{who + "id_prefix is required"};
    }
    o.id_prefix = s["id_prefix"].get<std::string>();

    if (s.contains("priority_scheme")) {
      std::string scheme = s["priority_scheme"].get<std::string>();
      if (!is_priority_scheme(scheme)) return Error{who + "unknown priority_scheme " + quote(scheme)};
      o.priority_scheme = scheme;
    }

    if (s.contains("defaults")) {
      const Json& d = s["defaults"];
      if (d.contains("kind")) {
        o.defaults.kind = enum_from_json<ItemKind>(d["kind"]);
        if (!o.defaults.kind) return Error{who + "defaults.kind: unknown kind " + d["kind"].dump()};
      }
      if (d.contains("status")) {
        o.defaults.status = enum_from_json<ItemStatus>(d["status"]);
        if (!o.defaults.status) return Error{who + "defaults.status: unknown status " + d["status"].dump()};
      }
      if (d.contains("owner")) {
        const Json& ow = d["owner"];
        auto type = enum_from_json<OwnerType>(ow.value("type", Json()));
        if (!type) return Error{who + "defaults.owner.type: unknown owner type"};
        o.defaults.owner = Owner{*type, ow.value("id", ""), ow.value("name", "")};
      }
      if (d.contains("networks")) o.defaults.networks = string_or_list(d["networks"]);
      if (d.contains("themes")) o.defaults.themes = string_or_list(d["themes"]);
      if (d.contains("municipalities")) {
        std::vector<std::string> numbers;
        for (const auto& m : d["municipalities"]) numbers.push_back(municipality_number(m));
        o.defaults.municipalities = std::move(numbers);
      }
    }

    if (!s.contains("mapping") || !s["mapping"].is_object()) return Error{who + "mapping is required"};
    const Json& m = s["mapping"];
    for (const auto& field : simple_mapping_fields()) {
      if (m.contains(field)) o.mapping[field] = string_or_list(m[field]);
    }
    if (!o.mapping.contains("title") || o.mapping["title"].empty()) return Error{who + "mapping.title is required"};
    if (o.mapping.contains("priority") && !o.priority_scheme) {
      return Error{who + "mapping.priority needs priority_scheme"};
    }
    for (const auto& e : m.value("milestones", Json::array())) {
      MilestoneColumn c;
      c.column = e.at("column").get<std::string>();
      auto kind = enum_from_json<MilestoneKind>(e.value("kind", Json("other")));
      if (!kind) return Error{who + "mapping.milestones: unknown kind " + e["kind"].dump()};
      c.kind = *kind;
      c.name = e.value("name", c.column);
      o.milestones.push_back(std::move(c));
    }
    for (const auto& e : m.value("costs", Json::array())) {
      CostColumn c;
      c.column = e.at("column").get<std::string>();
      auto category = enum_from_json<CostCategory>(e.at("category"));
      if (!category) return Error{who + "mapping.costs: unknown category " + e["category"].dump()};
      c.category = *category;
      auto per = enum_from_json<CostPer>(e.value("per", Json("municipality")));
      if (!per) return Error{who + "mapping.costs: unknown per " + e["per"].dump()};
      c.per = *per;
      if (e.contains("funding")) {
        c.funding = enum_from_json<Funding>(e["funding"]);
        if (!c.funding) return Error{who + "mapping.costs: unknown funding " + e["funding"].dump()};
      }
      if (e.contains("year")) c.year = e["year"].get<int>();
      if (e.contains("year_column")) c.year_column = e["year_column"].get<std::string>();
      if (c.year && c.year_column) return Error{who + "mapping.costs: give year or year_column, not both"};
      o.costs.push_back(std::move(c));
    }
    for (const auto& e : m.value("resources", Json::array())) {
      o.resources.push_back(ResourceColumn{e.at("column").get<std::string>(), e.at("role").get<std::string>(),
                                           e.value("per", "municipality")});
    }
    for (const auto& e : m.value("external_ids", Json::array())) {
      o.external_ids.push_back(ExternalIdColumn{e.at("column").get<std::string>(), e.at("system").get<std::string>()});
    }
    return o;
  } catch (const Json::exception& e) {
    return Error{who + "invalid settings: " + e.what()};
  }
}

namespace {

/// Maps a table's rows, given one at a time by `next` (nullptr at the end; the row may be reused by the next
/// call), into `out`. An error means no header row was found.
std::optional<Error> map_rows(const std::function<const CsvRow*()>& next, const SpreadsheetOptions& raw_options,
                              const Reference& reference, std::string_view file_label, bool column_letters,
                              FragmentOutput& out) {
  auto resolved = resolve_defaults(raw_options, reference);
  if (!resolved) return resolved.error();
  const SpreadsheetOptions& options = *resolved;
  out.table(file_label.empty() ? std::string() : std::string(file_label) + " ");
  const std::string& prefix = out.prefix();
  Batch& batch = out.batch();
  auto where = [&](std::size_t line) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, line).ptr;
    std::string w;
    w.reserve(prefix.size() + 4 + static_cast<std::size_t>(end - digits));
    w.append(prefix).append("row ").append(digits, end);
    return w;
  };

  // Find the header row.
  const std::vector<std::string> words = all_header_words(options);
  std::set<std::string> keys;
  for (const auto& w : words) keys.insert(fold(w));
  const std::size_t needed = std::min<std::size_t>(2, keys.size());
  CsvRow header;
  bool found = false;
  while (const CsvRow* row = next()) {
    if (options.header_row) {
      found = row->line == *options.header_row;
    } else {
      std::set<std::string> matched;
      for (const auto& c : row->cells) {
        std::string k = fold(c);
        if (keys.contains(k)) matched.insert(k);
      }
      found = !matched.empty() && matched.size() >= needed;
    }
    if (found) {
      header = *row;
      break;
    }
  }
  if (!found) {
    if (options.header_row) {
      return Error{prefix + "no row starts on line " + std::to_string(*options.header_row) + " (header_row)"};
    }
    return Error{
        prefix + "no header row: no row names two of the configured columns " +
        words_list(std::vector<std::string>(words.begin(), words.begin() + std::min<std::size_t>(words.size(), 8))) +
        (words.size() > 8 ? " ..." : "")};
  }

  Layout layout;
  layout.header_line = header.line;
  layout.column_letters = column_letters;
  if (options.defaults.owner) layout.default_owner = owner_json(*options.defaults.owner);
  if (options.defaults.networks) layout.default_networks = *options.defaults.networks;
  if (options.defaults.municipalities) layout.default_municipalities = *options.defaults.municipalities;
  if (options.defaults.themes) layout.default_themes = *options.defaults.themes;
  auto columns_for = [&](const std::string& what, const std::vector<std::string>& list) {
    auto columns = find_columns(header, list);
    if (columns.empty()) {
      batch.warnings.push_back(Issue{where(header.line), "no column " + words_list(list) + " for " + what});
    }
    return columns;
  };
  const std::vector<std::string>& fields = simple_mapping_fields();
  for (const auto& [field, list] : options.mapping) {
    // parse_options takes only the simple fields into `mapping`.
    const auto i = static_cast<std::size_t>(std::find(fields.begin(), fields.end(), field) - fields.begin());
    if (i < field_count) layout.simple[i] = columns_for(field, list);
  }
  for (const auto& m : options.milestones)
    layout.milestones.push_back(columns_for("milestone " + quote(m.name), {m.column}));
  for (const auto& c : options.costs) {
    layout.cost_words.push_back(CostWords{c.category, c.funding ? Json(*c.funding) : Json(nullptr), c.per});
    layout.costs.push_back(columns_for("costs", {c.column}));
    layout.cost_years.push_back(c.year_column ? columns_for("the budget year of " + quote(c.column), {*c.year_column})
                                              : std::vector<Column>{});
  }
  for (const auto& r : options.resources) layout.resources.push_back(columns_for("resources", {r.column}));
  for (const auto& e : options.external_ids) layout.external_ids.push_back(columns_for("external_ids", {e.column}));

  Lookups lookups;
  lookups.milestones.resize(options.milestones.size());
  while (const CsvRow* next_row = next()) {
    const CsvRow& row = *next_row;
    std::size_t non_empty = 0;
    std::string_view only;
    for (const auto& c : row.cells) {
      if (!trim(c).empty()) {
        ++non_empty;
        only = trim(c);
      }
    }
    if (non_empty == 0) continue;
    if (non_empty == 1) {
      batch.warnings.push_back(Issue{where(row.line), "skipped a row with one cell only: " + quote(only)});
      continue;
    }
    RowMapper mapper(row, layout, lookups, options, reference, where(row.line), batch.warnings);
    if (auto fragment = mapper.map()) {
      out.add(std::move(*fragment), row.line);
    } else {
      batch.rejected.push_back(Issue{where(row.line), join_reasons(mapper.reasons()), mapper.known_record()});
    }
  }
  return std::nullopt;
}

std::function<const CsvRow*()> rows_of(const std::vector<CsvRow>& rows) {
  return [&rows, i = std::size_t{0}]() mutable { return i < rows.size() ? &rows[i++] : nullptr; };
}

}  // namespace

Expected<Batch> map_table(const std::vector<CsvRow>& rows, const SpreadsheetOptions& options,
                          const Reference& reference, std::string_view file_label, bool column_letters) {
  Batch batch;
  batch.snapshot = true;
  FragmentOutput out(batch, nullptr);
  if (auto error = map_rows(rows_of(rows), options, reference, file_label, column_letters, out)) return *error;
  return batch;
}

Expected<Batch> SpreadsheetAdapter::read(PullContext& ctx) {
  const std::vector<fs::path> inputs = ctx.paths.empty() ? std::vector<fs::path>{options_.path} : ctx.paths;
  auto listed = list_input_files(
      inputs, [](const fs::path& f) { return file_kind(f) != FileKind::other; }, ".csv, .xlsx or .ods");
  if (!listed) return listed.error();
  const std::vector<fs::path>& files = listed->files;
  const bool labelled = inputs.size() > 1 || listed->from_folder;

  CsvOptions csv;
  csv.encoding = options_.encoding;
  csv.delimiter = options_.delimiter;
  Batch batch;
  batch.snapshot = true;
  FragmentOutput out(batch, ctx.sink);
  for (const auto& file : files) {
    const std::string name = file.filename().string();
    const FileKind kind = file_kind(file);
    const bool workbook = kind == FileKind::xlsx || kind == FileKind::ods;
    const std::uintmax_t cap = workbook ? max_workbook_bytes : max_file_bytes;
    std::error_code ec;
    auto size = fs::file_size(file, ec);
    if (ec) return Error{"cannot read '" + file.string() + "': " + ec.message()};
    if (size > cap) return Error{"'" + file.string() + "' is larger than " + std::to_string(cap >> 20) + " MiB"};
    std::ifstream in(file, std::ios::binary);
    if (!in.is_open()) return Error{"cannot open '" + file.string() + "'"};
    std::string bytes(static_cast<std::size_t>(size), '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(size));
    if (static_cast<std::uintmax_t>(in.gcount()) != size) return Error{"cannot read '" + file.string() + "'"};

    std::optional<Error> error;
    if (kind == FileKind::xlsx) {
      // Large sheets are parsed on a worker thread while this one maps (see XlsxRowReader).
      auto sheet = XlsxRowReader::open(bytes, options_.sheet);
      if (!sheet) return Error{name + ": " + sheet.error().message};
      XlsxRowReader& rows = **sheet;
      const std::string label = (labelled ? name + " " : std::string()) + "sheet " + rows.sheet_name();
      error = map_rows([&rows] { return rows.next(); }, options_, ctx.reference, label, true, out);
      if (rows.error()) error = rows.error();  // a read that ended early explains a missing header too
    } else if (kind == FileKind::ods) {
      auto sheet = read_ods(bytes, options_.sheet);
      if (!sheet) return Error{name + ": " + sheet.error().message};
      bytes = std::string();
      const std::string label = (labelled ? name + " " : std::string()) + "sheet " + sheet->name;
      error = map_rows(rows_of(sheet->rows), options_, ctx.reference, label, true, out);
    } else {
      // Anything that is not a workbook is read as CSV, as before: a single configured file may be named
      // .txt or have no extension at all.
      auto table = read_csv(bytes, csv);
      if (!table) return Error{name + ": " + table.error().message};
      error = map_rows(rows_of(table->rows), options_, ctx.reference, labelled ? name : std::string_view{}, false, out);
    }
    if (error) return Error{labelled ? error->message : name + ": " + error->message};
  }
  return batch;
}

Expected<std::unique_ptr<SourceAdapter>> make_spreadsheet_adapter(const SourceConfig& config) {
  auto options = parse_options(config);
  if (!options) return options.error();
  return std::unique_ptr<SourceAdapter>(std::make_unique<SpreadsheetAdapter>(std::move(*options)));
}

}  // namespace veikart::adapters::spreadsheet

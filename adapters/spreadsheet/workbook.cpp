#include "adapters/spreadsheet/workbook.hpp"

#include "adapters/common/numbers.hpp"

#include <libxml/parser.h>
#include <libxml/xmlreader.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <mutex>
#include <utility>

#include "gateway/core/text.hpp"

namespace veikart::adapters::spreadsheet {
namespace {

std::string quote(std::string_view s) { return "'" + std::string(s.substr(0, 80)) + (s.size() > 80 ? "...'" : "'"); }

std::string names_list(const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t i = 0; i < names.size() && i < 20; ++i) s += (i > 0 ? ", " : "") + quote(names[i]);
  if (names.size() > 20) s += ", ...";
  return s;
}

Error doctype_refused() { return Error{"a DOCTYPE is not allowed (entity declarations are refused)"}; }

/// libxml2 wants its globals set up once before threads use it.
void init_libxml() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

/// What a hostile document may not make libxml2 do: fetch from the network, substitute entities, load DTDs.
/// NOCDATA turns CDATA into plain text so that callers see one kind of text node.
constexpr int xml_options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_COMPACT;

/// Watches the bytes before the root element for "<!DOCTYPE", so that a document type (where entity bombs
/// are declared) is refused before libxml2 parses its declarations. The reader's own DOCTYPE check stays as
/// a second line, e.g. for UTF-16 documents this byte-level scan does not follow.
class PrologGuard {
 public:
  /// False once a DOCTYPE is seen.
  bool feed(std::string_view bytes) {
    for (char c : bytes) {
      if (done_) return true;
      switch (state_) {
        case State::text:
          if (c == '<') state_ = State::open;
          break;
        case State::open:
          if (c == '?') {
            state_ = State::instruction;
          } else if (c == '!') {
            state_ = State::bang;
            word_.clear();
          } else {
            done_ = true;  // the root element: the prolog is over
          }
          break;
        case State::instruction:
          if (previous_ == '?' && c == '>') state_ = State::text;
          break;
        case State::bang:
          word_.push_back(c);
          if (word_ == "--") {
            state_ = State::comment;
          } else if (word_ == "DOCTYPE") {
            return false;
          } else if (std::string_view("DOCTYPE").substr(0, word_.size()) != word_ && word_ != "-") {
            done_ = true;  // something libxml2 will refuse on its own
          }
          break;
        case State::comment:
          if (c == '>' && previous_ == '-' && before_previous_ == '-') state_ = State::text;
          break;
      }
      before_previous_ = previous_;
      previous_ = c;
    }
    return true;
  }

 private:
  enum class State { text, open, instruction, bang, comment };
  State state_ = State::text;
  bool done_ = false;
  char previous_ = 0, before_previous_ = 0;
  std::string word_;
};

/// Reads a zip entry for libxml2, refusing a DOCTYPE on the way; the first failure is kept in `error` (the zip
/// reader's own reason is better than libxml2's "I/O error").
int read_guarded(ZipEntryReader& entry, PrologGuard& guard, std::optional<Error>& error, char* buffer, int length) {
  if (length <= 0) return 0;
  auto n = entry.read(buffer, static_cast<std::size_t>(length));
  if (!n) {
    if (!error) error = n.error();
    return -1;
  }
  if (!guard.feed(std::string_view(buffer, *n))) {
    if (!error) error = doctype_refused();
    return -1;
  }
  return static_cast<int>(*n);
}

}  // namespace

std::string column_letters(std::size_t zero_based) {
  std::string s;
  std::size_t n = zero_based + 1;
  while (n > 0) {
    s.insert(s.begin(), static_cast<char>('A' + (n - 1) % 26));
    n = (n - 1) / 26;
  }
  return s;
}

void format_number(double value, std::string& out) {
  out.clear();
  if (!std::isfinite(value)) return;
  // Round to the 15 significant digits a spreadsheet keeps (0.1 + 0.2 shows as 0.3), then print the
  // shortest fixed-point form that reads back as that value.
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general, 15);
  double rounded = value;
  std::from_chars(buf, r.ptr, rounded);
  if (rounded == 0) rounded = 0;  // no "-0"
  r = std::to_chars(buf, buf + sizeof buf, rounded, std::chars_format::fixed);
  out.assign(buf, r.ptr);
}

namespace {

/// Whether format_number would print `s` unchanged: [-]digits[.digits], at most 15 digits in all (so the double
/// read from it prints back as the same digits), no leading zero before another digit, no trailing zero after
/// the point, and not a negative zero.
bool is_formatted_number(std::string_view s) {
  const auto shape = decimal_shape(s);
  if (!shape) return false;
  const std::size_t int_from = shape->negative ? 1 : 0;
  if (shape->int_digits > 1 && s[int_from] == '0') return false;
  if (shape->frac_digits > 0 && s.back() == '0') return false;
  if (shape->frac_digits == 0 && shape->negative && s[int_from] == '0') return false;  // "-0" prints as "0"
  return shape->int_digits + shape->frac_digits <= 15;
}

}  // namespace

void format_number(std::string_view written, double value, std::string& out) {
  if (is_formatted_number(written)) {
    out.assign(written);
  } else {
    format_number(value, out);
  }
}

Expected<std::size_t> choose_sheet(const std::vector<std::string>& names, const SheetChoice& choice) {
  if (names.empty()) return Error{"the workbook has no sheets"};
  if (choice.index) {
    if (*choice.index >= 1 && *choice.index <= names.size()) return *choice.index - 1;
    return Error{"no sheet number " + std::to_string(*choice.index) + " (the workbook has " +
                 std::to_string(names.size()) + ": " + names_list(names) + ")"};
  }
  if (choice.name) {
    const std::string key = fold(*choice.name);
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (fold(names[i]) == key) return i;
    }
    return Error{"no sheet " + quote(*choice.name) + " (the workbook has " + names_list(names) + ")"};
  }
  return std::size_t{0};
}

std::optional<std::uint64_t> parse_count(std::string_view s) {
  // Called for every cell reference of a sheet: the common untrimmed case skips trim's call.
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (s.empty() || !digit(s.front()) || !digit(s.back())) s = trim(s);
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!digit(c)) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// ---- SheetRows ----

namespace {

void put_varint(std::string& out, std::size_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

std::size_t get_varint(const char*& p) {
  std::size_t v = 0;
  int shift = 0;
  while (static_cast<unsigned char>(*p) & 0x80) {
    v |= static_cast<std::size_t>(static_cast<unsigned char>(*p++) & 0x7F) << shift;
    shift += 7;
  }
  v |= static_cast<std::size_t>(static_cast<unsigned char>(*p++)) << shift;
  return v;
}

/// Far more than the limits let a sheet hold; keeps every offset within 32 bits.
constexpr std::size_t max_encoded_bytes = 1u << 30;

}  // namespace

SheetRows::Row SheetRows::append(std::uint64_t line, const std::string* cells, std::size_t count) {
  const std::size_t offset = data_.size();
  for (std::size_t i = 0; i < count; ++i) {
    put_varint(data_, cells[i].size());
    data_ += cells[i];
  }
  return Row{line, static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(data_.size() - offset)};
}

void SheetRows::read(std::size_t i, CsvRow& into) const {
  const Row& r = rows_[i];
  into.line = static_cast<std::size_t>(r.line);
  const char* p = data_.data() + r.offset;
  const char* end = p + r.size;
  std::size_t k = 0;
  while (p < end) {
    const std::size_t n = get_varint(p);
    if (k == into.cells.size()) into.cells.emplace_back();
    into.cells[k++].assign(p, n);
    p += n;
  }
  into.cells.resize(k);
}

std::vector<CsvRow> SheetRows::to_vector() const {
  std::vector<CsvRow> out(rows_.size());
  for (std::size_t i = 0; i < rows_.size(); ++i) read(i, out[i]);
  return out;
}

// ---- SheetBuilder ----

bool SheetBuilder::fail(std::string message) {
  if (!error_) error_ = Error{std::move(message)};
  return false;
}

void SheetBuilder::store_current() {
  if (!has_current_) return;
  rows_.rows_.push_back(rows_.append(current_.line, current_.cells.data(), used_));
  has_current_ = false;
}

SheetRows SheetBuilder::take_rows(SheetRows reuse) {
  store_current();
  SheetRows taken = std::move(rows_);
  rows_ = std::move(reuse);
  rows_.clear();
  return taken;
}

bool SheetBuilder::start_row(std::uint64_t row) {
  if (has_current_ && current_.line == row) return true;
  if (row == 0 || row > limits_.max_rows) {
    return fail("row " + std::to_string(row) + " is outside the sheet (1 to " + std::to_string(limits_.max_rows) + ")");
  }
  store_current();
  if (rows_.data_.size() > max_encoded_bytes) return fail("the sheet holds too much text");
  // Out-of-order rows (and a row continued after others) are rare: writers emit rows in order. They are
  // sorted and joined once in finish().
  if (started_ && row <= last_line_) sorted_ = false;
  started_ = true;
  current_.line = static_cast<std::size_t>(row);
  used_ = 0;
  has_current_ = true;
  last_line_ = std::max(last_line_, row);
  return true;
}

bool SheetBuilder::put(CsvRow& row, std::size_t& used, std::uint64_t column, std::string_view value) {
  if (column == 0 || column > limits_.max_columns) {
    return fail("row " + std::to_string(row.line) + ": column " + std::to_string(column) +
                " is outside the sheet (1 to " + std::to_string(limits_.max_columns) + ")");
  }
  const auto col = static_cast<std::size_t>(column);
  if (col > used) {
    cells_ += col - used;
    if (cells_ > limits_.max_cells) {
      return fail("the sheet holds more than " + std::to_string(limits_.max_cells) + " cells");
    }
    if (row.cells.size() < col) row.cells.resize(col);
    for (std::size_t i = used; i + 1 < col; ++i) row.cells[i].clear();
    used = col;
  }
  text_bytes_ += value.size();
  if (text_bytes_ > limits_.max_text_bytes) {
    return fail("the sheet holds more than " + std::to_string(limits_.max_text_bytes >> 20) + " MiB of text");
  }
  row.cells[col - 1].assign(value.data(), value.size());
  return true;
}

bool SheetBuilder::set(std::uint64_t row, std::uint64_t column, std::string_view value) {
  if (error_) return false;
  if (value.empty()) return true;
  return start_row(row) && put(current_, used_, column, value);
}

bool SheetBuilder::repeat_row(std::uint64_t row, std::uint64_t count) {
  if (error_) return false;
  if (has_current_ && current_.line == row) store_current();
  if (has_current_ || rows_.rows_.empty() || rows_.rows_.back().line != row) return true;  // nothing was set in it
  const SheetRows::Row source = rows_.rows_.back();
  CsvRow cells;
  rows_.read(rows_.size() - 1, cells);
  std::size_t bytes = 0;
  for (const auto& c : cells.cells) bytes += c.size();
  // Repeated rows share the source row's encoding.
  for (std::uint64_t i = 1; i <= count; ++i) {
    if (row + i > limits_.max_rows) {
      return fail("row " + std::to_string(row + i) + " is outside the sheet (1 to " + std::to_string(limits_.max_rows) +
                  ")");
    }
    cells_ += cells.cells.size();
    if (cells_ > limits_.max_cells)
      return fail("the sheet holds more than " + std::to_string(limits_.max_cells) + " cells");
    text_bytes_ += bytes;
    if (text_bytes_ > limits_.max_text_bytes) {
      return fail("the sheet holds more than " + std::to_string(limits_.max_text_bytes >> 20) + " MiB of text");
    }
    if (row + i <= last_line_) sorted_ = false;
    rows_.rows_.push_back(SheetRows::Row{row + i, source.offset, source.size});
  }
  last_line_ = std::max(last_line_, row + count);
  return true;
}

bool SheetBuilder::add_merge(std::uint64_t first_row, std::uint64_t first_column, std::uint64_t last_row,
                             std::uint64_t last_column) {
  if (error_) return false;
  if (first_row == 0 || first_column == 0 || last_row < first_row || last_column < first_column) return true;
  if (first_row == last_row && first_column == last_column) return true;
  if (merges_.size() >= limits_.max_merges) {
    return fail("the sheet has more than " + std::to_string(limits_.max_merges) + " merged ranges");
  }
  merges_.push_back(Merge{first_row, first_column, last_row, last_column});
  return true;
}

Expected<std::vector<CsvRow>> SheetBuilder::finish() {
  auto rows = finish_rows();
  if (!rows) return rows.error();
  return rows->to_vector();
}

Expected<SheetRows> SheetBuilder::finish_rows() {
  if (error_) return *error_;
  store_current();
  auto by_line = [](const SheetRows::Row& a, const SheetRows::Row& b) { return a.line < b.line; };
  if (!sorted_) {
    std::vector<CsvRow> all = rows_.to_vector();
    std::stable_sort(all.begin(), all.end(), [](const CsvRow& a, const CsvRow& b) { return a.line < b.line; });
    std::vector<CsvRow> joined;
    for (auto& r : all) {
      if (!joined.empty() && joined.back().line == r.line) {
        auto& into = joined.back().cells;
        if (into.size() < r.cells.size()) into.resize(r.cells.size());
        for (std::size_t i = 0; i < r.cells.size(); ++i) {
          if (!r.cells[i].empty()) into[i] = std::move(r.cells[i]);
        }
      } else {
        joined.push_back(std::move(r));
      }
    }
    SheetRows sorted;
    for (const auto& r : joined) sorted.rows_.push_back(sorted.append(r.line, r.cells.data(), r.cells.size()));
    rows_ = std::move(sorted);
    sorted_ = true;
  }
  if (!merges_.empty()) {
    // Merged ranges only fill rows that hold something and columns the sheet uses: a title merged across
    // A1:XFD1 must not become sixteen thousand cells, and a merge over empty rows adds no rows.
    CsvRow row;
    std::size_t extent = 0;
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      rows_.read(i, row);
      extent = std::max(extent, row.cells.size());
    }
    std::size_t fills = 0;
    auto& rows = rows_.rows_;
    for (const Merge& m : merges_) {
      auto top = std::lower_bound(rows.begin(), rows.end(), SheetRows::Row{m.first_row, 0, 0}, by_line);
      if (top == rows.end() || top->line != m.first_row) continue;
      rows_.read(static_cast<std::size_t>(top - rows.begin()), row);
      if (m.first_column > row.cells.size() || row.cells[m.first_column - 1].empty()) continue;
      const std::string value = row.cells[m.first_column - 1];
      const std::uint64_t last_column = std::min<std::uint64_t>(m.last_column, extent);
      for (auto it = top; it != rows.end() && it->line <= m.last_row; ++it) {
        rows_.read(static_cast<std::size_t>(it - rows.begin()), row);
        std::size_t used = row.cells.size();
        for (std::uint64_t c = m.first_column; c <= last_column; ++c) {
          if (it == top && c == m.first_column) continue;
          if (++fills > limits_.max_cells) {
            return Error{"merged ranges fill more than " + std::to_string(limits_.max_cells) + " cells"};
          }
          if (!put(row, used, c, value)) return *error_;
        }
        *it = rows_.append(it->line, row.cells.data(), used);
        if (rows_.data_.size() > max_encoded_bytes) return Error{"merged ranges fill too much text"};
      }
    }
  }
  return std::move(rows_);
}

// ---- XmlStream ----

struct XmlStream::State {
  xmlTextReaderPtr reader = nullptr;
  std::optional<ZipEntryReader> entry;
  std::string part;
  std::optional<Error> error;
  std::optional<Error> io_error;  // the zip reader's own reason, better than libxml2's "I/O error"
  bool pending = false;           // skip() already moved the reader
  int pending_result = 0;
  PrologGuard guard;

  ~State() {
    if (reader != nullptr) xmlFreeTextReader(reader);
  }

  static int read_entry(void* context, char* buffer, int len) {
    auto* self = static_cast<State*>(context);
    return read_guarded(*self->entry, self->guard, self->io_error, buffer, len);
  }

  static void on_error(void* context, xmlErrorPtr e) {
    auto* self = static_cast<State*>(context);
    if (self->error || e == nullptr || e->level < XML_ERR_ERROR) return;
    std::string message = e->message != nullptr ? e->message : "malformed XML";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    self->error = Error{self->part + ": XML error at line " + std::to_string(e->line) + ": " + message};
  }
};

XmlStream::XmlStream(std::unique_ptr<State> state) : state_(std::move(state)) {}
XmlStream::XmlStream(XmlStream&&) noexcept = default;
XmlStream& XmlStream::operator=(XmlStream&&) noexcept = default;
XmlStream::~XmlStream() = default;

Expected<XmlStream> XmlStream::open(ZipArchive& archive, std::string_view part) {
  init_libxml();
  auto entry = archive.open_entry(part);
  if (!entry) return entry.error();
  auto state = std::make_unique<State>();
  state->part = std::string(part);
  state->entry.emplace(std::move(*entry));
  // No close callback: the state owns the entry reader and outlives the libxml2 reader.
  state->reader = xmlReaderForIO(&State::read_entry, nullptr, state.get(), nullptr, nullptr, xml_options);
  if (state->reader == nullptr) return Error{state->part + ": cannot start the XML reader"};
  xmlTextReaderSetStructuredErrorHandler(state->reader, &State::on_error, state.get());
  return XmlStream(std::move(state));
}

Expected<XmlStream> XmlStream::from_memory(std::string_view bytes, std::string_view part) {
  init_libxml();
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) return Error{std::string(part) + ": too large"};
  if (!PrologGuard().feed(bytes)) return Error{std::string(part) + ": " + doctype_refused().message};
  auto state = std::make_unique<State>();
  state->part = std::string(part);
  state->reader = xmlReaderForMemory(bytes.data(), static_cast<int>(bytes.size()), nullptr, nullptr, xml_options);
  if (state->reader == nullptr) return Error{state->part + ": cannot start the XML reader"};
  xmlTextReaderSetStructuredErrorHandler(state->reader, &State::on_error, state.get());
  return XmlStream(std::move(state));
}

bool XmlStream::next() {
  State& s = *state_;
  if (s.error || s.io_error) return false;
  int r = 0;
  if (s.pending) {
    s.pending = false;
    r = s.pending_result;
  } else {
    r = xmlTextReaderRead(s.reader);
  }
  if (r != 1) {
    if (s.io_error) {
      s.error = Error{s.part + ": " + s.io_error->message};
    } else if (r < 0 && !s.error) {
      s.error = Error{s.part + ": malformed XML"};
    }
    return false;
  }
  if (xmlTextReaderNodeType(s.reader) == XML_READER_TYPE_DOCUMENT_TYPE) {
    s.error = Error{s.part + ": " + doctype_refused().message};
    return false;
  }
  classify();
  return true;
}

void XmlStream::skip() {
  State& s = *state_;
  if (s.error || s.pending) return;
  s.pending_result = xmlTextReaderNext(s.reader);
  s.pending = true;
}

void XmlStream::classify() {
  switch (xmlTextReaderNodeType(state_->reader)) {
    case XML_READER_TYPE_ELEMENT:
      node_ = Node::element;
      break;
    case XML_READER_TYPE_END_ELEMENT:
      node_ = Node::end_element;
      break;
    case XML_READER_TYPE_TEXT:
    case XML_READER_TYPE_CDATA:
    case XML_READER_TYPE_WHITESPACE:
    case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
      node_ = Node::text;
      break;
    default:
      node_ = Node::other;
  }
}

bool XmlStream::empty_element() const { return xmlTextReaderIsEmptyElement(state_->reader) == 1; }
int XmlStream::depth() const { return xmlTextReaderDepth(state_->reader); }

namespace {
std::string_view view(const xmlChar* s) {
  return s == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(s));
}
}  // namespace

std::string_view XmlStream::local_name() const { return view(xmlTextReaderConstLocalName(state_->reader)); }
std::string_view XmlStream::namespace_uri() const { return view(xmlTextReaderConstNamespaceUri(state_->reader)); }
std::string_view XmlStream::text() const { return view(xmlTextReaderConstValue(state_->reader)); }
std::string_view XmlStream::attribute_value() const { return view(xmlTextReaderConstValue(state_->reader)); }
bool XmlStream::first_attribute() { return xmlTextReaderMoveToFirstAttribute(state_->reader) == 1; }
bool XmlStream::next_attribute() { return xmlTextReaderMoveToNextAttribute(state_->reader) == 1; }
void XmlStream::back_to_element() { xmlTextReaderMoveToElement(state_->reader); }
const std::optional<Error>& XmlStream::error() const { return state_->error; }

// ---- SAX ----

namespace {

struct SaxState {
  SaxHandler* handler = nullptr;
  xmlParserCtxtPtr context = nullptr;
  std::string part;
  std::optional<Error> error;

  void stop(Error e) {
    if (!error) error = std::move(e);
    xmlStopParser(context);
  }
  /// Checks whether the handler asked to stop.
  void check() {
    if (handler->failure && !error) stop(*handler->failure);
  }

  static void on_start(void* self, const xmlChar* local_name, const xmlChar*, const xmlChar*, int, const xmlChar**,
                       int attribute_count, int, const xmlChar** attributes) {
    auto* s = static_cast<SaxState*>(self);
    if (s->error) return;
    s->handler->start(reinterpret_cast<const char*>(local_name),
                      SaxAttributes(attribute_count, reinterpret_cast<const char* const*>(attributes)));
    s->check();
  }
  static void on_end(void* self, const xmlChar* local_name, const xmlChar*, const xmlChar*) {
    auto* s = static_cast<SaxState*>(self);
    if (s->error) return;
    s->handler->end(reinterpret_cast<const char*>(local_name));
    s->check();
  }
  static void on_text(void* self, const xmlChar* text, int length) {
    auto* s = static_cast<SaxState*>(self);
    if (s->error) return;
    s->handler->text(std::string_view(reinterpret_cast<const char*>(text), static_cast<std::size_t>(length)));
    s->check();
  }
  static void on_doctype(void* self, const xmlChar*, const xmlChar*, const xmlChar*) {
    auto* s = static_cast<SaxState*>(self);
    s->stop(Error{s->part + ": " + doctype_refused().message});
  }
  static void on_error(void* self, xmlErrorPtr e) {
    auto* s = static_cast<SaxState*>(self);
    if (s->error || e == nullptr || e->level < XML_ERR_ERROR) return;
    std::string message = e->message != nullptr ? e->message : "malformed XML";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    s->stop(Error{s->part + ": XML error at line " + std::to_string(e->line) + ": " + message});
  }
};

struct ParserContextFree {
  void operator()(xmlParserCtxtPtr c) const {
    if (c->myDoc != nullptr) xmlFreeDoc(c->myDoc);
    xmlFreeParserCtxt(c);
  }
};

}  // namespace

std::optional<Error> parse_sax(ZipArchive& archive, std::string_view part, SaxHandler& handler) {
  init_libxml();
  auto entry = archive.open_entry(part);
  if (!entry) return entry.error();

  xmlSAXHandler sax{};
  sax.initialized = XML_SAX2_MAGIC;
  sax.startElementNs = &SaxState::on_start;
  sax.endElementNs = &SaxState::on_end;
  sax.characters = &SaxState::on_text;
  sax.cdataBlock = &SaxState::on_text;
  sax.internalSubset = &SaxState::on_doctype;
  sax.serror = &SaxState::on_error;

  // The pull interface (libxml2 asks for bytes) parses faster than feeding chunks to a push parser.
  struct Input {
    ZipEntryReader* entry;
    PrologGuard guard;
    std::optional<Error> error;
    static int read(void* self, char* buffer, int length) {
      auto* in = static_cast<Input*>(self);
      return read_guarded(*in->entry, in->guard, in->error, buffer, length);
    }
  };
  Input input{&*entry, {}, {}};
  SaxState state;
  state.handler = &handler;
  state.part = std::string(part);
  std::unique_ptr<xmlParserCtxt, ParserContextFree> context(
      xmlCreateIOParserCtxt(&sax, &state, &Input::read, nullptr, &input, XML_CHAR_ENCODING_NONE));
  if (!context) return Error{state.part + ": cannot start the XML parser"};
  state.context = context.get();
  xmlCtxtUseOptions(context.get(), xml_options);
  handler.prepare([&](std::string_view name) {
    return reinterpret_cast<const char*>(
        xmlDictLookup(context->dict, reinterpret_cast<const xmlChar*>(name.data()), static_cast<int>(name.size())));
  });
  xmlParseDocument(context.get());
  if (input.error) return Error{state.part + ": " + input.error->message};
  if (state.error) return state.error;
  if (!context->wellFormed) return Error{state.part + ": malformed XML"};
  return std::nullopt;
}

}  // namespace veikart::adapters::spreadsheet

#include "adapters/common/zip_archive.hpp"

#include <zip.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <new>
#include <utility>

namespace veikart::adapters {
namespace {

std::string quoted(std::string_view name) {
  std::string s(name.substr(0, 120));
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';  // names are untrusted: keep control bytes out of logs
  }
  return "'" + s + (name.size() > 120 ? "...'" : "'");
}

/// Absolute names and `..` segments would escape a folder if anyone ever extracted the archive; such an
/// archive is not something a spreadsheet program wrote, so it is refused whole.
bool unsafe_name(std::string_view name) {
  if (name.empty()) return true;
  if (name.front() == '/' || name.front() == '\\') return true;
  if (name.size() >= 2 && name[1] == ':' && std::isalpha(static_cast<unsigned char>(name[0]))) return true;
  if (name.find('\0') != std::string_view::npos) return true;
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find_first_of("/\\", start);
    if (end == std::string_view::npos) end = name.size();
    if (name.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string mib(std::uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace

/// A deflated entry read raw from libzip and inflated here (Check::none).
struct ZipRawInflate {
  z_stream stream{};
  std::vector<unsigned char> input = std::vector<unsigned char>(64u << 10);
  bool ended = false;  // the deflate stream is complete
  ZipRawInflate() {
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) throw std::bad_alloc();
  }
  ~ZipRawInflate() { inflateEnd(&stream); }
  ZipRawInflate(const ZipRawInflate&) = delete;
  ZipRawInflate& operator=(const ZipRawInflate&) = delete;
};

struct ZipArchive::State {
  zip_t* zip = nullptr;
  ZipLimits limits;
  std::vector<ZipEntryInfo> entries;
  std::uint64_t total_read = 0;

  ~State() {
    if (zip != nullptr) zip_discard(zip);
  }
};

ZipEntryReader::ZipEntryReader(void* file, std::string name, std::uint64_t declared, std::uint64_t* total_read,
                               const ZipLimits* limits, std::unique_ptr<ZipRawInflate> raw)
    : file_(file),
      raw_(std::move(raw)),
      name_(std::move(name)),
      declared_(declared),
      total_read_(total_read),
      limits_(limits) {}

ZipEntryReader::ZipEntryReader(ZipEntryReader&& other) noexcept
    : file_(std::exchange(other.file_, nullptr)),
      raw_(std::move(other.raw_)),
      name_(std::move(other.name_)),
      declared_(other.declared_),
      read_(other.read_),
      total_read_(other.total_read_),
      limits_(other.limits_) {}

ZipEntryReader& ZipEntryReader::operator=(ZipEntryReader&& other) noexcept {
  if (this != &other) {
    if (file_ != nullptr) zip_fclose(static_cast<zip_file_t*>(file_));
    file_ = std::exchange(other.file_, nullptr);
    raw_ = std::move(other.raw_);
    name_ = std::move(other.name_);
    declared_ = other.declared_;
    read_ = other.read_;
    total_read_ = other.total_read_;
    limits_ = other.limits_;
  }
  return *this;
}

ZipEntryReader::~ZipEntryReader() {
  if (file_ != nullptr) zip_fclose(static_cast<zip_file_t*>(file_));
}

Error ZipEntryReader::fail(std::string message) {
  // A failed reader stays failed: libzip's stream state after an error is not worth trusting.
  if (file_ != nullptr) zip_fclose(static_cast<zip_file_t*>(file_));
  file_ = nullptr;
  return Error{std::move(message)};
}

Expected<std::size_t> ZipEntryReader::read(char* buffer, std::size_t size) {
  if (file_ == nullptr) return Error{"zip entry " + quoted(name_) + " is closed"};
  // Ask for one byte more than the declared rest, so that an entry inflating beyond its header is caught on the
  // first surplus byte instead of after a bomb's worth of output.
  const std::uint64_t rest = declared_ - read_;
  const std::uint64_t want = std::min<std::uint64_t>(size, rest + 1);
  if (want == 0) return std::size_t{0};
  auto n = read_some(buffer, static_cast<std::size_t>(want));
  if (!n) return n.error();
  const auto got = static_cast<std::uint64_t>(*n);
  if (got > rest) {
    return fail("zip entry " + quoted(name_) + " inflates beyond its declared size of " + std::to_string(declared_) +
                " bytes (a forged header)");
  }
  read_ += got;
  *total_read_ += got;
  if (*total_read_ > limits_->max_total_bytes) {
    return fail("the archive inflates to more than " + mib(limits_->max_total_bytes) + " in total");
  }
  return static_cast<std::size_t>(got);
}

Expected<std::size_t> ZipEntryReader::read_some(char* buffer, std::size_t want) {
  auto* file = static_cast<zip_file_t*>(file_);
  auto unreadable = [&](std::string why) { return fail("zip entry " + quoted(name_) + " cannot be read: " + why); };
  if (!raw_) {
    zip_int64_t n = zip_fread(file, buffer, want);
    if (n < 0) return unreadable(zip_error_strerror(zip_file_get_error(file)));
    return static_cast<std::size_t>(n);
  }
  z_stream& z = raw_->stream;
  z.next_out = reinterpret_cast<unsigned char*>(buffer);
  z.avail_out = static_cast<uInt>(std::min<std::size_t>(want, 1u << 30));
  while (z.avail_out > 0 && !raw_->ended) {
    if (z.avail_in == 0) {
      zip_int64_t n = zip_fread(file, raw_->input.data(), raw_->input.size());
      if (n < 0) return unreadable(zip_error_strerror(zip_file_get_error(file)));
      if (n == 0) return unreadable("its compressed data ends early");
      z.next_in = raw_->input.data();
      z.avail_in = static_cast<uInt>(n);
    }
    const int rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      raw_->ended = true;
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return unreadable(z.msg != nullptr ? z.msg : "bad deflate data");
    }
  }
  return static_cast<std::size_t>(reinterpret_cast<char*>(z.next_out) - buffer);
}

ZipArchive::ZipArchive(std::unique_ptr<State> state) : state_(std::move(state)) {}
ZipArchive::ZipArchive(ZipArchive&&) noexcept = default;
ZipArchive& ZipArchive::operator=(ZipArchive&&) noexcept = default;
ZipArchive::~ZipArchive() = default;

Expected<ZipArchive> ZipArchive::open(std::string_view bytes, const ZipLimits& limits) {
  // libzip takes an empty buffer for an empty archive; an empty file is no workbook. 22 bytes is the
  // smallest archive there is: a lone end-of-central-directory record.
  if (bytes.size() < 22) return Error{"not a zip archive (XLSX and ODS files are zip archives)"};
  auto state = std::make_unique<State>();
  state->limits = limits;
  zip_error_t error;
  zip_error_init(&error);
  // The source only borrows the bytes (freep = 0).
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    return Error{"cannot read the zip archive: " + why};
  }
  state->zip = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (state->zip == nullptr) {
    const bool not_zip = zip_error_code_zip(&error) == ZIP_ER_NOZIP;
    std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    zip_source_free(source);
    if (not_zip) return Error{"not a zip archive (XLSX and ODS files are zip archives)"};
    return Error{"cannot read the zip archive: " + why};
  }
  zip_error_fini(&error);

  const zip_int64_t count = zip_get_num_entries(state->zip, 0);
  if (count < 0) return Error{"cannot read the zip archive's directory"};
  if (static_cast<std::uint64_t>(count) > limits.max_entries) {
    return Error{"the zip archive has " + std::to_string(count) + " entries, more than the limit of " +
                 std::to_string(limits.max_entries)};
  }
  state->entries.reserve(static_cast<std::size_t>(count));
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(state->zip, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS, &st) != 0 ||
        (st.valid & ZIP_STAT_NAME) == 0) {
      return Error{"cannot read entry " + std::to_string(i) + " of the zip archive"};
    }
    ZipEntryInfo info;
    info.name = st.name;
    info.size = (st.valid & ZIP_STAT_SIZE) != 0 ? st.size : 0;
    info.compressed_size = (st.valid & ZIP_STAT_COMP_SIZE) != 0 ? st.comp_size : 0;
    if (unsafe_name(info.name)) return Error{"zip entry " + quoted(info.name) + " has an unsafe path"};
    state->entries.push_back(std::move(info));
  }
  return ZipArchive(std::move(state));
}

const std::vector<ZipEntryInfo>& ZipArchive::entries() const { return state_->entries; }

std::optional<std::size_t> ZipArchive::find(std::string_view name) const {
  const auto& entries = state_->entries;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].name == name) return i;
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (iequal(entries[i].name, name)) return i;
  }
  return std::nullopt;
}

Expected<ZipEntryReader> ZipArchive::open_entry(std::string_view name, Check check) {
  auto index = find(name);
  if (!index) return Error{"zip entry " + quoted(name) + " is missing"};
  const ZipEntryInfo& info = state_->entries[*index];
  const ZipLimits& limits = state_->limits;
  if (info.size > limits.max_entry_bytes) {
    return Error{"zip entry " + quoted(info.name) + " inflates to " + std::to_string(info.size) +
                 " bytes, more than the limit of " + mib(limits.max_entry_bytes)};
  }
  if (info.size > limits.ratio_min_bytes &&
      (info.compressed_size == 0 || info.size / info.compressed_size > limits.max_ratio)) {
    return Error{"zip entry " + quoted(info.name) + " inflates " +
                 (info.compressed_size == 0 ? std::string("from nothing")
                                            : std::to_string(info.size / info.compressed_size) + " times") +
                 " (more than " + std::to_string(limits.max_ratio) + ":1): a decompression bomb"};
  }
  if (state_->total_read + info.size > limits.max_total_bytes) {
    return Error{"the archive inflates to more than " + mib(limits.max_total_bytes) + " in total"};
  }
  // Unchecked reading inflates a deflated, unencrypted entry here; anything else goes through libzip as usual.
  zip_stat_t st;
  zip_stat_init(&st);
  const bool raw = check == Check::none && zip_stat_index(state_->zip, *index, 0, &st) == 0 &&
                   (st.valid & ZIP_STAT_COMP_METHOD) != 0 && st.comp_method == ZIP_CM_DEFLATE &&
                   (st.valid & ZIP_STAT_ENCRYPTION_METHOD) != 0 && st.encryption_method == ZIP_EM_NONE;
  zip_file_t* file = zip_fopen_index(state_->zip, *index, raw ? ZIP_FL_COMPRESSED : 0);
  if (file == nullptr) {
    std::string why = zip_error_strerror(zip_get_error(state_->zip));
    return Error{"zip entry " + quoted(info.name) + " cannot be opened: " + why};
  }
  return ZipEntryReader(file, info.name, info.size, &state_->total_read, &state_->limits,
                        raw ? std::make_unique<ZipRawInflate>() : nullptr);
}

Expected<std::string> ZipArchive::read(std::string_view name) {
  auto reader = open_entry(name);
  if (!reader) return reader.error();
  std::string out;
  auto index = find(name);
  out.resize(static_cast<std::size_t>(state_->entries[*index].size));
  std::size_t filled = 0;
  for (;;) {
    // One spare byte lets the reader notice an entry longer than declared.
    if (filled == out.size()) out.resize(out.size() + 1);
    auto n = reader->read(out.data() + filled, out.size() - filled);
    if (!n) return n.error();
    if (*n == 0) break;
    filled += *n;
  }
  out.resize(filled);
  return out;
}

}  // namespace veikart::adapters

#pragma once
/// @brief Reads zip archives (XLSX, ODS) from memory, refusing decompression bombs and unsafe entry names.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/expected.hpp"

namespace veikart::adapters {

/// What an archive may cost us. A workbook is a few XML parts of some megabytes; anything far beyond that is
/// broken or hostile, and exceeding a limit makes the read an error.
struct ZipLimits {
  std::size_t max_entries = 10'000;
  std::uint64_t max_entry_bytes = 256ull << 20;  // uncompressed, per entry
  std::uint64_t max_total_bytes = 1ull << 30;    // uncompressed, over every entry read
  /// An entry over `ratio_min_bytes` that inflates more than `max_ratio` times its compressed size is a bomb:
  /// real XML compresses 5 to 30 times.
  std::uint64_t max_ratio = 200;
  std::uint64_t ratio_min_bytes = 1ull << 20;
};

struct ZipEntryInfo {
  std::string name;
  std::uint64_t size = 0;             // uncompressed, as the central directory declares it
  std::uint64_t compressed_size = 0;  // as declared
};

class ZipArchive;
struct ZipRawInflate;

/// Streams one entry. Never yields more bytes than the entry declares: inflating past the declared size is
/// an error, since a forged header is the classic way around a size check.
class ZipEntryReader {
 public:
  ZipEntryReader(ZipEntryReader&& other) noexcept;
  ZipEntryReader& operator=(ZipEntryReader&& other) noexcept;
  ZipEntryReader(const ZipEntryReader&) = delete;
  ZipEntryReader& operator=(const ZipEntryReader&) = delete;
  ~ZipEntryReader();

  /// Reads up to `size` bytes into `buffer`; 0 means the entry is complete.
  Expected<std::size_t> read(char* buffer, std::size_t size);
  const std::string& name() const { return name_; }

 private:
  friend class ZipArchive;
  ZipEntryReader(void* file, std::string name, std::uint64_t declared, std::uint64_t* total_read,
                 const ZipLimits* limits, std::unique_ptr<ZipRawInflate> raw = nullptr);
  Error fail(std::string message);
  /// Reads up to `want` inflated bytes: through libzip, or from the raw stream with zlib.
  Expected<std::size_t> read_some(char* buffer, std::size_t want);

  void* file_ = nullptr;                // zip_file_t, kept opaque so that users of this header need no libzip
  std::unique_ptr<ZipRawInflate> raw_;  // set when the entry is inflated here, without its CRC check
  std::string name_;
  std::uint64_t declared_ = 0;
  std::uint64_t read_ = 0;
  std::uint64_t* total_read_ = nullptr;  // the archive's running total; the archive outlives its readers
  const ZipLimits* limits_ = nullptr;
};

/// A read-only archive over bytes the caller keeps alive for the archive's lifetime.
class ZipArchive {
 public:
  /// Opens the archive and checks every entry name (no absolute paths, no `..` segments) and the entry count.
  static Expected<ZipArchive> open(std::string_view bytes, const ZipLimits& limits = {});

  ZipArchive(ZipArchive&&) noexcept;
  ZipArchive& operator=(ZipArchive&&) noexcept;
  ~ZipArchive();

  const std::vector<ZipEntryInfo>& entries() const;
  /// The entry's index: the exact name first, else a case-insensitive match (some writers vary the case).
  std::optional<std::size_t> find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name).has_value(); }

  /// Whether a reader checks the entry's CRC-32 at its end.
  enum class Check { crc, none };
  /// Opens an entry for streaming after checking its declared size and compression ratio. With Check::none a
  /// deflated entry is inflated without computing its CRC: only for a second, advisory pass over an entry that
  /// another reader reads checked (sizes, ratio and totals are enforced as always).
  Expected<ZipEntryReader> open_entry(std::string_view name, Check check = Check::crc);
  /// Reads a whole entry.
  Expected<std::string> read(std::string_view name);

 private:
  struct State;
  explicit ZipArchive(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace veikart::adapters

// Fuzzes the CSV reader with every encoding and delimiter choice; the reader must return a value or an error,
// never crash, hang or read out of bounds, and every cell it returns must be valid UTF-8.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/common/csv.hpp"
#include "gateway/core/text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the options, the rest is the file.
  const std::uint8_t selector = data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  veikart::adapters::CsvOptions options;
  options.encoding = static_cast<veikart::adapters::CsvEncoding>(selector % 3);
  static constexpr char kDelimiters[] = {0, ';', ',', '\t'};
  options.delimiter = kDelimiters[(selector >> 2) % 4];
  options.max_cells_per_row = 1000;
  options.max_field_bytes = 4096;
  auto table = veikart::adapters::read_csv(bytes, options);
  if (!table) return 0;
  for (const auto& row : table->rows) {
    if (row.cells.size() > options.max_cells_per_row) std::abort();
    for (const auto& cell : row.cells) {
      if (!veikart::is_valid_utf8(cell) && options.encoding != veikart::adapters::CsvEncoding::utf8) std::abort();
    }
  }
  return 0;
}

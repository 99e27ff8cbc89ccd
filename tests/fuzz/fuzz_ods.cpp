// Fuzzes the ODS reader from memory: it must return a sheet or an error, never crash, hang, read out of
// bounds or hold more than its limits allow.
//
// The first byte picks the sheet (low two bits: 0 the first, otherwise a position) and the mode. Mutated zip
// bytes rarely inflate to anything, so with the high bit set the rest is content.xml, zipped here with a
// mimetype entry before reading: that lets the fuzzer reach the XML handling.

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/spreadsheet/ods_reader.hpp"
#include "tests/adapters/workbook_test_support.hpp"
#include "tests/fuzz/sheet_fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using namespace veikart::adapters::spreadsheet;
  SheetChoice choice;
  if (data[0] % 4 != 0) choice.index = data[0] % 4;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string file;
  if ((data[0] & 0x80) != 0) {
    file = veikart::testing::make_zip(
        {{"mimetype", "application/vnd.oasis.opendocument.spreadsheet"}, {"content.xml", std::string(rest)}}, true);
  } else {
    file = std::string(rest);
  }
  const SheetLimits limits = veikart::fuzz::sheet_limits();
  auto sheet = read_ods(file, choice, limits);
  if (sheet) veikart::fuzz::check_sheet(*sheet, limits);
  return 0;
}

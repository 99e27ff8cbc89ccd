#include <gtest/gtest.h>

#include <cstring>

#include "adapters/common/zip_archive.hpp"
#include "workbook_test_support.hpp"

namespace veikart::adapters {
namespace {

using veikart::testing::make_zip;

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(ZipArchive, ListsAndReadsEntries) {
  const std::string bytes = make_zip({{"a.txt", "alfa"}, {"dir/b.xml", std::string(5000, 'b')}, {"empty", ""}});
  auto zip = ZipArchive::open(bytes);
  ASSERT_TRUE(zip.ok()) << zip.error().message;
  ASSERT_EQ(zip->entries().size(), 3u);
  EXPECT_EQ(zip->entries()[1].name, "dir/b.xml");
  EXPECT_EQ(zip->entries()[1].size, 5000u);
  EXPECT_LT(zip->entries()[1].compressed_size, 5000u);
  EXPECT_EQ(*zip->read("a.txt"), "alfa");
  EXPECT_EQ(*zip->read("dir/b.xml"), std::string(5000, 'b'));
  EXPECT_EQ(*zip->read("empty"), "");
  EXPECT_EQ(*zip->read("DIR/B.XML"), std::string(5000, 'b'));  // case-insensitive fallback
  auto missing = zip->read("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "zip entry 'nope' is missing");
}

/// Reads an entry in small pieces; the error message when a read fails.
Expected<std::string> read_in_pieces(ZipArchive& zip, std::string_view name, ZipArchive::Check check) {
  auto reader = zip.open_entry(name, check);
  if (!reader) return reader.error();
  std::string out;
  char buf[777];
  for (;;) {
    auto n = reader->read(buf, sizeof buf);
    if (!n) return n.error();
    if (*n == 0) return out;
    out.append(buf, *n);
  }
}

TEST(ZipArchive, StreamsAnEntryInPieces) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += std::to_string(i) + ";";
  for (const bool stored : {false, true}) {
    const std::string bytes = make_zip({{"big.csv", text}}, stored);
    auto zip = ZipArchive::open(bytes);
    ASSERT_TRUE(zip.ok());
    for (auto check : {ZipArchive::Check::crc, ZipArchive::Check::none}) {
      auto out = read_in_pieces(*zip, "big.csv", check);
      ASSERT_TRUE(out.ok()) << out.error().message;
      EXPECT_EQ(*out, text) << stored;
    }
  }
}

TEST(ZipArchive, OnlyACheckedReadVerifiesTheCrc) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "<row r=\"" + std::to_string(i) + "\"/>";
  std::string bytes = make_zip({{"sheet.xml", text}});
  // Flip the CRC-32 in the local header and in the central directory.
  for (auto [signature, offset] :
       {std::pair{std::string_view("PK\x03\x04", 4), 14}, {std::string_view("PK\x01\x02", 4), 16}}) {
    const auto at = bytes.find(signature);
    ASSERT_NE(at, std::string::npos);
    bytes[at + offset] = static_cast<char>(bytes[at + offset] ^ 0x5A);
  }
  auto zip = ZipArchive::open(bytes);
  ASSERT_TRUE(zip.ok()) << zip.error().message;
  auto checked = read_in_pieces(*zip, "sheet.xml", ZipArchive::Check::crc);
  ASSERT_FALSE(checked.ok());
  EXPECT_TRUE(contains(checked.error().message, "CRC")) << checked.error().message;
  auto unchecked = read_in_pieces(*zip, "sheet.xml", ZipArchive::Check::none);
  ASSERT_TRUE(unchecked.ok()) << unchecked.error().message;
  EXPECT_EQ(*unchecked, text);
}

TEST(ZipArchive, RefusesWhatIsNotAZip) {
  for (std::string_view bytes :
       {std::string_view("ID;Navn\n1;Alfa\n"), std::string_view(""), std::string_view("PK\x03\x04 truncated")}) {
    auto zip = ZipArchive::open(bytes);
    ASSERT_FALSE(zip.ok());
    EXPECT_TRUE(contains(zip.error().message, "zip archive")) << zip.error().message;
  }
  EXPECT_EQ(ZipArchive::open("just text").error().message, "not a zip archive (XLSX and ODS files are zip archives)");
}

TEST(ZipArchive, RefusesUnsafeEntryNames) {
  for (const char* name : {"../evil.xml", "xl/../../evil.xml", "/etc/passwd", "..\\evil.xml", "C:/evil.xml"}) {
    const std::string bytes = make_zip({{"xl/workbook.xml", "<workbook/>"}, {name, "x"}});
    auto zip = ZipArchive::open(bytes);
    ASSERT_FALSE(zip.ok()) << name;
    EXPECT_TRUE(contains(zip.error().message, "unsafe path")) << zip.error().message;
  }
  // Dots inside a name are fine.
  EXPECT_TRUE(ZipArchive::open(make_zip({{"xl/..hidden/a..b.xml", "x"}})).ok());
}

TEST(ZipArchive, RefusesTooManyEntries) {
  veikart::testing::ZipEntries entries;
  for (int i = 0; i < 10'001; ++i) entries.emplace_back("e" + std::to_string(i), "");
  const std::string bytes = make_zip(entries);
  auto zip = ZipArchive::open(bytes);
  ASSERT_FALSE(zip.ok());
  EXPECT_EQ(zip.error().message, "the zip archive has 10001 entries, more than the limit of 10000");
  entries.pop_back();
  const std::string just_enough = make_zip(entries);
  EXPECT_TRUE(ZipArchive::open(just_enough).ok());
}

TEST(ZipArchive, RefusesAHighlyCompressedEntry) {
  // 4 MiB of spaces deflate about a thousand times: a bomb's profile, whatever its size.
  const std::string bytes = make_zip({{"xl/worksheets/sheet1.xml", std::string(4u << 20, ' ')}, {"ok.xml", "<a/>"}});
  auto zip = ZipArchive::open(bytes);
  ASSERT_TRUE(zip.ok());  // listing is harmless
  auto bomb = zip->read("xl/worksheets/sheet1.xml");
  ASSERT_FALSE(bomb.ok());
  EXPECT_TRUE(contains(bomb.error().message, "decompression bomb")) << bomb.error().message;
  EXPECT_EQ(*zip->read("ok.xml"), "<a/>");
  // Stored (uncompressed) data of the same size is no bomb.
  const std::string stored = make_zip({{"big.xml", std::string(4u << 20, ' ')}}, true);
  auto plain = ZipArchive::open(stored);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->read("big.xml")->size(), 4u << 20);
}

TEST(ZipArchive, RefusesEntriesAndTotalsOverTheLimits) {
  std::string noise;
  for (long long i = 0; noise.size() < 1'600'000; ++i) noise += std::to_string(i * 7919 % 100'003);
  ZipLimits limits;
  limits.max_entry_bytes = 1u << 20;
  limits.max_total_bytes = 2u << 20;
  const std::string bytes = make_zip({{"a", noise.substr(0, 1'500'000)},
                                      {"b", noise.substr(0, 900'000)},
                                      {"c", noise.substr(0, 900'000)},
                                      {"d", noise.substr(0, 900'000)}});
  auto zip = ZipArchive::open(bytes, limits);
  ASSERT_TRUE(zip.ok());
  auto a = zip->read("a");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message, "zip entry 'a' inflates to 1500000 bytes, more than the limit of 1 MiB");
  EXPECT_TRUE(zip->read("b").ok());
  EXPECT_TRUE(zip->read("c").ok());
  auto d = zip->read("d");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message, "the archive inflates to more than 2 MiB in total");
}

/// Rewrites the uncompressed size of every entry in the local headers and the central directory: the
/// classic trick to slip a bomb past a check of the declared size.
std::string forge_sizes(std::string zip, std::uint32_t size) {
  auto patch = [&](std::string_view signature, std::size_t offset) {
    for (std::size_t at = zip.find(signature); at != std::string::npos; at = zip.find(signature, at + 4)) {
      for (int i = 0; i < 4; ++i) zip[at + offset + i] = static_cast<char>((size >> (8 * i)) & 0xFF);
    }
  };
  patch(std::string_view("PK\x03\x04", 4), 22);
  patch(std::string_view("PK\x01\x02", 4), 24);
  return zip;
}

TEST(ZipArchive, StopsWhenAnEntryInflatesBeyondItsDeclaredSize) {
  const std::string honest = make_zip({{"sheet.xml", std::string(3u << 20, 'A')}});
  const std::string forged = forge_sizes(honest, 1000);
  auto zip = ZipArchive::open(forged);
  ASSERT_TRUE(zip.ok()) << zip.error().message;
  ASSERT_EQ(zip->entries()[0].size, 1000u);  // what the header claims
  auto read = zip->read("sheet.xml");
  ASSERT_FALSE(read.ok());
  EXPECT_TRUE(contains(read.error().message, "sheet.xml")) << read.error().message;
  EXPECT_TRUE(contains(read.error().message, "beyond its declared size")) << read.error().message;
  // An unchecked read inflates the entry itself, and stops there too.
  auto unchecked = read_in_pieces(*zip, "sheet.xml", ZipArchive::Check::none);
  ASSERT_FALSE(unchecked.ok());
  EXPECT_TRUE(contains(unchecked.error().message, "beyond its declared size")) << unchecked.error().message;
}

}  // namespace
}  // namespace veikart::adapters

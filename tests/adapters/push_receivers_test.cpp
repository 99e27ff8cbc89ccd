// The push receivers on their own: inventory bodies (JSON, CSV) to candidate records, KS schedules to fragments.

#include <gtest/gtest.h>

#include "adapters/inventory/inventory_parser.hpp"
#include "adapters/ks_schedules/ks_schedules_adapter.hpp"

namespace veikart::adapters {
namespace {

TEST(InventoryParser, JsonArrayByPointer) {
  inventory::InventoryBodyParser p;
  auto b = p.parse(R"([{"municipality": "4204"}, 7, {"product": "X"}])", "application/json; charset=utf-8");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->where_key, "pointer");
  ASSERT_EQ(b->records.size(), 2u);
  EXPECT_EQ(b->records[1].where, "/2");
  ASSERT_EQ(b->rejected.size(), 1u);
  EXPECT_EQ(b->rejected[0].where, "/1");
  EXPECT_EQ(p.parse("{}", "application/json").error().status, 400);
  EXPECT_EQ(p.parse("[]", "application/xml").error().status, 415);
}

TEST(InventoryParser, CsvHeaderWordsAndCapabilities) {
  inventory::InventoryBodyParser p;
  // Windows-1252, header words in any case, a title-free header row, capabilities in one cell.
  auto b = p.parse(
      "Municipality;Category;Product;Hosting;Capabilities\r\n4204;sak-arkiv;Elements;cloud;fiks-arkiv, "
      "svarut|fiks-io\r\n",
      "text/csv");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->where_key, "row");
  ASSERT_EQ(b->records.size(), 1u);
  EXPECT_EQ(b->records[0].where, "2");
  EXPECT_EQ(b->records[0].record["capabilities"], Json({"fiks-arkiv", "svarut", "fiks-io"}));
  EXPECT_EQ(b->records[0].record["municipality"], "4204");
  auto missing = p.parse("municipality;product\n4204;X\n", "text/csv");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no column 'category'"), std::string::npos);
  auto twice = p.parse("municipality;municipality\n", "text/csv");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("appears twice"), std::string::npos);
  EXPECT_FALSE(p.parse("", "text/csv"));
}

TEST(KsSchedulesParser, ItemsBecomeFragments) {
  ks_schedules::KsSchedulesParser p;
  Reference ref;
  auto b = p.parse(R"({"items": [{"id": "ks:a", "title": "A"}, {"title": "no id"}, {"id": "ks:b", "version": 3}]})",
                   "application/json", ref);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_FALSE(b->snapshot);
  ASSERT_EQ(b->fragments.size(), 1u);
  EXPECT_EQ(b->fragments[0].id, "ks:a");
  EXPECT_EQ(b->fragments[0].where, "/items/0");
  EXPECT_FALSE(b->fragments[0].fields.contains("id"));
  ASSERT_EQ(b->rejected.size(), 2u);
  EXPECT_EQ(b->rejected[0].where, "/items/1/id");
  EXPECT_EQ(b->rejected[1].record, "ks:b");
  EXPECT_EQ(p.parse("{}", "application/json", ref).error().status, 400);
  EXPECT_EQ(p.parse("{}", "text/csv", ref).error().status, 415);
}

}  // namespace
}  // namespace veikart::adapters

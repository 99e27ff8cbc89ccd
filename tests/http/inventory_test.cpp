// Inventory pushes: PUT replaces a cooperative's inventory, POST .../records upserts; JSON and CSV; every
// record checked (kommunenummer, organisation number, dates, category, hosting) with per-record reasons; scope
// violations refuse the whole request; GET /v1/municipalities/{kommunenummer}/systems reads it back.

#include <gtest/gtest.h>

#include "gateway/core/system_record.hpp"
#include "push_test_support.hpp"
#include "veikart_embedded.hpp"

namespace veikart {
namespace {

using testing::PushApi;
using testing::system_record;

Json body_of(const HttpResponse& r) { return Json::parse(r.body); }

TEST(Inventory, PutReplacesTheWholeInventory) {
  PushApi api;
  const std::string key = api.keys.agder.key;
  Json two = Json::array({system_record("4204"), system_record("4203", "Acos WebSak")});
  auto r = api.send("PUT", "/v1/inventories/ikt-agder", key, two.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["accepted"], 2);
  EXPECT_EQ(body_of(r)["rejected"], 0);
  EXPECT_EQ(api.push_store().system_count(), 2u);

  auto systems = api.send("GET", "/v1/municipalities/4204/systems", "");
  ASSERT_EQ(systems.status, 200) << systems.body;
  const Json s = body_of(systems);
  EXPECT_EQ(s["name"], "Kristiansand");
  ASSERT_EQ(s["systems"].size(), 1u);
  EXPECT_EQ(s["systems"][0]["product"], "Elements");
  EXPECT_EQ(s["systems"][0]["reported_by"], "ikt-agder");
  EXPECT_FALSE(s["systems"][0]["reported_at"].get<std::string>().empty());
  EXPECT_EQ(s["systems"][0]["capabilities"], Json({"fiks-arkiv", "svarut"}));

  // A second PUT replaces: 4203's record is gone.
  r = api.send("PUT", "/v1/inventories/ikt-agder", key, Json::array({system_record("4204", "Public 360")}).dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(api.push_store().system_count(), 1u);
  EXPECT_EQ(body_of(api.send("GET", "/v1/municipalities/4203/systems", ""))["systems"].size(), 0u);
  EXPECT_EQ(body_of(api.send("GET", "/v1/municipalities/4204/systems", ""))["systems"][0]["product"], "Public 360");
}

TEST(Inventory, ReportedByAndAtAreSetByTheGateway) {
  PushApi api;
  Json rec = system_record("4204");
  rec["reported_by"] = "someone-else";
  rec["reported_at"] = "1999-01-01T00:00:00Z";
  ASSERT_EQ(api.send("PUT", "/v1/inventories/ikt-agder", api.keys.agder.key, Json::array({rec}).dump()).status, 200);
  const Json s = body_of(api.send("GET", "/v1/municipalities/4204/systems", ""))["systems"][0];
  EXPECT_EQ(s["reported_by"], "ikt-agder");
  EXPECT_NE(s["reported_at"], "1999-01-01T00:00:00Z");
}

TEST(Inventory, CsvWithHeaderRow) {
  PushApi api;
  const std::string csv =
      "municipality;category;product;vendor;vendor_orgnr;version;hosting;contract_end;capabilities\r\n"
      "4204;sak-arkiv;Elements;Sikri;974760673;5.2;cloud;2027-12-31;fiks-arkiv|svarut\r\n"
      "\r\n"
      "4203;okonomi;Visma Enterprise;;;;onprem;;\r\n";
  auto r = api.send("PUT", "/v1/inventories/ikt-agder", api.keys.agder.key, csv, "text/csv; charset=utf-8");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["accepted"], 2);
  const Json s = body_of(api.send("GET", "/v1/municipalities/4203/systems", ""))["systems"];
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0]["category"], "okonomi");
  EXPECT_TRUE(s[0]["vendor"].is_null());
  EXPECT_EQ(body_of(api.send("GET", "/v1/municipalities/4204/systems", ""))["systems"][0]["capabilities"],
            Json({"fiks-arkiv", "svarut"}));
}

TEST(Inventory, EveryRecordIsCheckedWithPointers) {
  PushApi api;
  ASSERT_EQ(api.send("PUT", "/v1/inventories/ikt-agder", api.keys.agder.key,
                     Json::array({system_record("4204", "Gammel")}).dump())
                .status,
            200);
  Json bad = Json::array();
  bad.push_back(system_record("4204", "OK"));
  bad.push_back(system_record("4299"));  // in the 42 county prefix, but no such municipality
  Json orgnr = system_record("4204", "B");
  orgnr["vendor_orgnr"] = "974760672";
  bad.push_back(orgnr);
  Json date = system_record("4204", "C");
  date["contract_end"] = "2025-02-30";
  bad.push_back(date);
  Json category = system_record("4204", "D");
  category["category"] = "spill";
  bad.push_back(category);
  Json hosting = system_record("4204", "E");
  hosting["hosting"] = "mainframe";
  bad.push_back(hosting);
  bad.push_back("not an object");

  // A PUT is all or nothing: the stored inventory stays as it was.
  auto r = api.send("PUT", "/v1/inventories/ikt-agder", api.keys.agder.key, bad.dump());
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  const Json p = body_of(r);
  EXPECT_EQ(p["accepted"], 0);
  EXPECT_EQ(p["rejected"], 6);
  std::map<std::string, std::string> reasons;
  for (const auto& e : p["errors"]) reasons[e["pointer"]] = e["reason"];
  EXPECT_NE(reasons["/1/municipality"].find("unknown kommunenummer '4299'"), std::string::npos) << p.dump();
  EXPECT_NE(reasons["/2/vendor_orgnr"].find("mod 11"), std::string::npos) << p.dump();
  EXPECT_NE(reasons["/3/contract_end"].find("calendar date"), std::string::npos) << p.dump();
  EXPECT_TRUE(reasons.count("/4/category")) << p.dump();
  EXPECT_TRUE(reasons.count("/5/hosting")) << p.dump();
  EXPECT_EQ(reasons["/6"], "expected an object");
  EXPECT_EQ(body_of(api.send("GET", "/v1/municipalities/4204/systems", ""))["systems"][0]["product"], "Gammel");

  // POST .../records stores the good ones and names the bad ones.
  r = api.send("POST", "/v1/inventories/ikt-agder/records", api.keys.agder.key, bad.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["accepted"], 1);
  EXPECT_EQ(body_of(r)["rejected"], 6);
  EXPECT_EQ(api.push_store().system_count(), 2u);  // Gammel and OK
}

TEST(Inventory, CsvRowsAreNamedByLine) {
  PushApi api;
  const std::string csv =
      "municipality,category,product,hosting,contract_end\n"
      "4204,sak-arkiv,Elements,cloud,2027-01-01\n"
      "4204,hr,Visma,datasenter,2027-13-01\n"
      "4203,hr,Visma,cloud,,extra\n";
  auto r = api.send("POST", "/v1/inventories/ikt-agder/records", api.keys.agder.key, csv, "text/csv");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json b = body_of(r);
  EXPECT_EQ(b["accepted"], 1);
  EXPECT_EQ(b["rejected"], 2);
  std::multimap<std::string, std::string> rows;
  for (const auto& e : b["errors"]) rows.emplace(e["row"], e["reason"]);
  EXPECT_EQ(rows.count("3"), 1u) << b.dump();  // hosting
  EXPECT_EQ(rows.count("4"), 1u) << b.dump();
  EXPECT_NE(rows.find("4")->second.find("cells"), std::string::npos);

  auto unknown =
      api.send("PUT", "/v1/inventories/ikt-agder", api.keys.agder.key, "kommune;produkt\n4204;X\n", "text/csv");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(body_of(unknown)["detail"].get<std::string>().find("unknown column 'kommune'"), std::string::npos);
}

TEST(Inventory, OutOfScopeRefusesTheWholeRequest) {
  PushApi api;
  ASSERT_EQ(api.send("PUT", "/v1/inventories/ikt-agder", api.keys.agder.key,
                     Json::array({system_record("4204", "Gammel")}).dump())
                .status,
            200);
  auto r = api.send("PUT", "/v1/inventories/ikt-agder", api.keys.agder.key,
                    Json::array({system_record("4204"), system_record("1103")}).dump());
  ASSERT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(body_of(r)["errors"][0]["pointer"], "/1/municipality");
  r = api.send("POST", "/v1/inventories/ikt-agder/records", api.keys.agder.key,
               Json::array({system_record("4204", "Ny"), system_record("1103")}).dump());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(api.push_store().system_count(), 1u);
  EXPECT_EQ(body_of(api.send("GET", "/v1/municipalities/4204/systems", ""))["systems"][0]["product"], "Gammel");
}

TEST(Inventory, OnlyTheCooperativeItselfOrAnAdmin) {
  PushApi api;
  const std::string body = Json::array({system_record("1103")}).dump();
  EXPECT_EQ(api.send("PUT", "/v1/inventories/ikt-rogaland", api.keys.agder.key, body).status, 403);
  EXPECT_EQ(api.send("PUT", "/v1/inventories/ikt-rogaland", api.keys.publisher.key, body).status, 403);
  EXPECT_EQ(api.send("PUT", "/v1/inventories/ikt-rogaland", api.keys.rogaland.key, body).status, 200);
  auto admin = api.send("PUT", "/v1/inventories/ikt-rogaland", api.keys.admin.key, body);
  ASSERT_EQ(admin.status, 200) << admin.body;
  // The admin pushes on the cooperative's behalf: the records are the cooperative's, within its scope.
  EXPECT_EQ(body_of(api.send("GET", "/v1/municipalities/1103/systems", ""))["systems"][0]["reported_by"],
            "ikt-rogaland");
  EXPECT_EQ(
      api.send("PUT", "/v1/inventories/ikt-rogaland", api.keys.admin.key, Json::array({system_record("4204")}).dump())
          .status,
      403);
  EXPECT_EQ(api.send("PUT", "/v1/inventories/nobody", api.keys.admin.key, body).status, 404);
  EXPECT_EQ(api.send("GET", "/v1/inventories/ikt-rogaland", api.keys.admin.key).status, 405);
}

TEST(Inventory, UnknownMunicipalityAndMediaType) {
  PushApi api;
  auto r = api.send("GET", "/v1/municipalities/9999/systems", "");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  r = api.send("PUT", "/v1/inventories/ikt-agder", api.keys.agder.key, "<x/>", "application/xml");
  EXPECT_EQ(r.status, 415);
  r = api.send("PUT", "/v1/inventories/ikt-agder", api.keys.agder.key, "{\"municipality\": ", "application/json");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(body_of(r)["detail"].get<std::string>().find("not valid JSON"), std::string::npos);
}

TEST(Inventory, DuplicateRecordsInOnePush) {
  PushApi api;
  auto r = api.send("POST", "/v1/inventories/ikt-agder/records", api.keys.agder.key,
                    Json::array({system_record("4204"), system_record("4204")}).dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_of(r)["accepted"], 1);
  EXPECT_EQ(body_of(r)["errors"][0]["pointer"], "/1");
}

TEST(SystemRecords, OrganisationNumbersAndCategories) {
  EXPECT_TRUE(valid_orgnr("974760673"));
  EXPECT_FALSE(valid_orgnr("974760672"));
  EXPECT_FALSE(valid_orgnr("97476067"));
  EXPECT_FALSE(valid_orgnr("97476067x"));
  EXPECT_TRUE(valid_orgnr("923609016"));  // Equinor
  EXPECT_TRUE(valid_iso_date("2024-02-29"));
  EXPECT_FALSE(valid_iso_date("2023-02-29"));
  // The documented categories and the schema's enum are one list.
  const Json schema = Json::parse(embedded::system_record_schema_json());
  EXPECT_EQ(schema["properties"]["category"]["enum"].get<std::vector<std::string>>(), system_categories());
  for (const char* c :
       {"sak-arkiv", "okonomi", "hr", "barnevern", "helse-epj", "oppvekst", "byggesak", "kart-geodata"}) {
    EXPECT_NE(std::find(system_categories().begin(), system_categories().end(), c), system_categories().end()) << c;
  }
}

}  // namespace
}  // namespace veikart

// Atom, iCalendar and CSV as people's own tools read them: Atom through feedparser, the calendar through Python's
// icalendar (Debian's python3-feedparser and python3-icalendar), CSV checked byte by byte.

#include <gtest/gtest.h>

#include <cstdio>

#include "gateway/core/text.hpp"
#include "gateway/feeds/feeds.hpp"
#include "http_test_support.hpp"

namespace veikart {
namespace {

using testing::read_file;
using testing::SeededApi;
using testing::source_dir;
using testing::TempDir;
using testing::write_file;

// Runs one of the client scripts on a file and returns its JSON output.
Json run_client(const std::string& script, const std::string& content) {
  TempDir dir;
  const auto input = dir.path() / "input";
  const auto output = dir.path() / "output.json";
  write_file(input, content);
  const std::string cmd = "/usr/bin/python3 " + (source_dir() / "tests" / "clients" / script).string() + " " +
                          input.string() + " > " + output.string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  const std::string text = read_file(output);
  EXPECT_EQ(rc, 0) << text;
  Json j = Json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << text;
  return j;
}

HttpResponse get(SeededApi& api, const std::string& target) { return api.get(target, {{"host", "veikart.test:8080"}}); }

TEST(Feeds, IcsFoldingKeepsLinesWithin75OctetsAndCharactersWhole) {
  const std::string line = "SUMMARY:" + std::string(60, 'a') + "æøå" + std::string(40, 'b') + "ÆØÅ€";
  const std::string folded = ics_fold(line);
  std::size_t start = 0;
  std::string unfolded;
  while (start <= folded.size()) {
    const auto end = folded.find("\r\n", start);
    const std::string part = folded.substr(start, end == std::string::npos ? std::string::npos : end - start);
    EXPECT_LE(part.size(), 75u);
    EXPECT_TRUE(is_valid_utf8(part)) << "a fold split a character: " << part;
    unfolded += start == 0 ? part : part.substr(1);
    if (end == std::string::npos) break;
    EXPECT_EQ(folded[end + 2], ' ');
    start = end + 2;
  }
  EXPECT_EQ(unfolded, line);
  EXPECT_EQ(ics_escape("a;b,c\\d\r\ne"), "a\\;b\\,c\\\\d\\ne");
}

TEST(Feeds, AtomParsesInFeedparserWithOneEntryPerItem) {
  SeededApi api(9);
  const auto r = get(api, "/v1/roadmap.atom?network=digi-agder");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/atom+xml; charset=utf-8");
  const Json feed = run_client("check_atom.py", r.body);
  EXPECT_EQ(feed["bozo"], 0) << feed["bozo_exception"];
  EXPECT_EQ(feed["version"], "atom10");
  EXPECT_EQ(feed["title"], "Veikart – Digi Agder");
  ASSERT_EQ(feed["entries"].size(), 3u);
  const Json& e = feed["entries"][0];
  EXPECT_EQ(e["id"].get<std::string>(), "urn:veikart:item:demo:p000");
  EXPECT_EQ(e["title"], "Prosjekt 0 – blåbær");
  ASSERT_EQ(e["links"].size(), 1u);
  EXPECT_EQ(e["links"][0]["rel"], "alternate");
  EXPECT_EQ(e["links"][0]["type"], "application/json");
  EXPECT_EQ(e["links"][0]["href"], "http://veikart.test:8080/v1/roadmap/demo:p000");
  EXPECT_FALSE(e["updated"].get<std::string>().empty());
  // The same filters give the same feed id; other filters another.
  const auto again = get(api, "/v1/roadmap.atom?network=digi-agder");
  EXPECT_EQ(again.body, r.body);
  EXPECT_NE(run_client("check_atom.py", get(api, "/v1/roadmap.atom").body)["id"], feed["id"]);
}

TEST(Feeds, CalendarParsesWithOneAllDayEventPerMilestone) {
  SeededApi api(6);
  const auto r = get(api, "/v1/municipalities/4204/roadmap.ics");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "text/calendar; charset=utf-8");
  // RFC 5545 line rules, checked on the bytes.
  EXPECT_EQ(r.body.find('\n'), r.body.find("\r\n") + 1);
  for (std::size_t pos = 0, next; (next = r.body.find("\r\n", pos)) != std::string::npos; pos = next + 2) {
    EXPECT_LE(next - pos, 75u);
  }
  EXPECT_NE(r.body.find("X-WR-CALNAME:Veikart – Kristiansand"), std::string::npos);
  const Json cal = run_client("check_ics.py", r.body);
  EXPECT_EQ(cal["name"], "Veikart – Kristiansand");
  // Items 0 and 3 have municipality 4204, one milestone each.
  ASSERT_EQ(cal["events"].size(), 2u);
  std::set<std::string> uids;
  for (const auto& ev : cal["events"]) {
    uids.insert(ev["uid"]);
    EXPECT_TRUE(ev["all_day"].get<bool>());
    EXPECT_NE(ev["summary"].get<std::string>().find("Innføring"), std::string::npos) << ev["summary"];
  }
  EXPECT_EQ(uids.size(), 2u);
  EXPECT_EQ(cal["events"][0]["start"], "2024-09-01");
  EXPECT_EQ(cal["events"][0]["end"], "2024-09-02");
  EXPECT_EQ(cal["events"][0]["summary"], "Prosjekt 0 – blåbær: Innføring (Q3 2024)");
  // UIDs stay the same across refreshes so calendar apps update rather than duplicate.
  EXPECT_EQ(run_client("check_ics.py", get(api, "/v1/municipalities/4204/roadmap.ics").body)["events"][0]["uid"],
            cal["events"][0]["uid"]);
}

TEST(Feeds, CsvOpensInNorwegianExcel) {
  SeededApi api(3);
  const auto r = get(api, "/v1/roadmap.csv");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "text/csv; charset=utf-8");
  ASSERT_EQ(r.body.rfind("\xEF\xBB\xBF", 0), 0u) << "no byte order mark";
  EXPECT_EQ(r.body.substr(3, r.body.find("\r\n") - 3),
            "id;title;kind;status;owner;networks;municipalities;themes;priority;priority_rank;first_date;last_date;"
            "milestones;costs_nok;updated_at;url");
  EXPECT_NE(r.body.find("\r\ndemo:p000;Prosjekt 0 – blåbær;national_solution;rolling_out;"), std::string::npos);
  const auto comma = get(api, "/v1/roadmap.csv?sep=,");
  EXPECT_NE(comma.body.find("\r\ndemo:p000,Prosjekt 0 – blåbær,national_solution,"), std::string::npos);
  EXPECT_EQ(get(api, "/v1/roadmap.csv?sep=|").status, 400);
  EXPECT_EQ(get(api, "/v1/roadmap.atom?sep=,").status, 400);
}

TEST(Feeds, CsvNeutralisesFormulasAndQuotesSeparators) {
  RoadmapItem item;
  item.id = "x:1";
  item.title = "=HYPERLINK(\"http://evil\")";
  item.summary = "a;b";
  item.owner = {OwnerType::network, "digi-agder", "Digi Agder; sekretariat"};
  item.updated_at = "2026-01-01T00:00:00Z";
  const std::string csv = render_csv({item}, FeedInfo{"http://h", "/", "t", "id"}, ';');
  EXPECT_NE(csv.find(";\"'=HYPERLINK(\"\"http://evil\"\")\";"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"Digi Agder; sekretariat\""), std::string::npos) << csv;
}

TEST(Feeds, FormatsTakeTheFeedFiltersAndConditionalRequests) {
  SeededApi api(9);
  EXPECT_EQ(get(api, "/v1/roadmap.ics?network=nowhere").status, 400);
  EXPECT_EQ(get(api, "/v1/roadmap.ics?limit=5").status, 400);  // not paged
  EXPECT_EQ(get(api, "/v1/networks/nowhere/roadmap.atom").status, 400);
  const auto path_form = get(api, "/v1/networks/digi-rogaland/roadmap.csv");
  const auto query_form = get(api, "/v1/roadmap.csv?network=digi-rogaland");
  ASSERT_EQ(path_form.status, 200);
  EXPECT_EQ(path_form.body, query_form.body);
  const auto json = get(api, "/v1/networks/digi-rogaland/roadmap");
  EXPECT_EQ(Json::parse(json.body)["items"].size(), 3u);
  const auto ics = get(api, "/v1/roadmap.ics");
  const auto cached =
      api.get("/v1/roadmap.ics", {{"host", "veikart.test:8080"}, {"if-none-match", ics.header("ETag")}});
  EXPECT_EQ(cached.status, 304);
  EXPECT_EQ(api.request("POST", "/v1/roadmap.ics").status, 405);
}

}  // namespace
}  // namespace veikart

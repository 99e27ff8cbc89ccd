#pragma once
/// @brief The roadmap in formats people already use: Atom for feed readers, iCalendar for calendar apps and CSV
/// for spreadsheets. Pure functions from items to text.

#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/model.hpp"

namespace veikart {

struct FeedInfo {
  std::string base_url;   // e.g. http://127.0.0.1:8080, for absolute links
  std::string self_path;  // the request target, e.g. /v1/roadmap.atom?network=digi-agder
  std::string title;      // e.g. "Veikart – Digi Agder"
  std::string feed_id;    // a stable id for this selection (the same filters give the same id)
};

/// RFC 4287 Atom feed: one entry per item, linked to the item's JSON.
std::string render_atom(const std::vector<RoadmapItem>& items, const FeedInfo& info);

/// RFC 5545 calendar: one all-day VEVENT per milestone and per rollout wave, stable UIDs, CRLF line ends,
/// lines folded at 75 octets without splitting a UTF-8 character.
std::string render_ics(const std::vector<RoadmapItem>& items, const FeedInfo& info);

/// One row per item, UTF-8 with a byte order mark so Excel shows æøå; `separator` is ';' (Norwegian Excel),
/// ',' or '\t'. Cells that a spreadsheet would run as a formula are prefixed with an apostrophe.
std::string render_csv(const std::vector<RoadmapItem>& items, const FeedInfo& info, char separator);

/// Escapes TEXT values for iCalendar (backslash, semicolon, comma, line breaks).
std::string ics_escape(std::string_view text);
/// Folds one content line (without its CRLF) at 75 octets: CRLF followed by a space.
std::string ics_fold(std::string_view line);

}  // namespace veikart

#include "gateway/feeds/feeds.hpp"

#include <algorithm>
#include <set>
#include <sstream>

namespace veikart {
namespace {

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // XML 1.0 forbids most control characters; sources sometimes carry them.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') break;
        out.push_back(c);
    }
  }
  return out;
}

template <class E>
std::string enum_name(E e) {
  return Json(e).get<std::string>();
}

std::string describe(const RoadmapItem& item) {
  std::ostringstream s;
  if (item.summary) s << *item.summary << "\n\n";
  s << "Status: " << enum_name(item.status) << ". Kind: " << enum_name(item.kind) << ". Owner: " << item.owner.name
    << ".";
  if (!item.networks.empty()) {
    s << " Networks:";
    for (const auto& n : item.networks) s << " " << n;
    s << ".";
  }
  for (const auto& m : item.milestones) {
    s << "\n" << m.name << ": " << (m.label ? *m.label : m.date);
  }
  return s.str();
}

// 2026-11-22T10:00:00Z → 20261122T100000Z; a date → its UTC midnight.
std::string ics_timestamp(const std::string& rfc3339) {
  std::string digits;
  for (char c : rfc3339.substr(0, 19)) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  while (digits.size() < 14) digits.push_back('0');
  return digits.substr(0, 8) + "T" + digits.substr(8, 6) + "Z";
}

std::string ics_date(const std::string& iso) {
  std::string d;
  for (char c : iso) {
    if (c != '-') d.push_back(c);
  }
  return d;
}

// The day after an ISO date (DTEND of an all-day event is exclusive).
std::string next_day(const std::string& iso) {
  int y = std::stoi(iso.substr(0, 4)), m = std::stoi(iso.substr(5, 2)), d = std::stoi(iso.substr(8, 2));
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int days = kDays[m - 1] + (m == 2 && leap ? 1 : 0);
  if (++d > days) {
    d = 1;
    if (++m > 12) {
      m = 1;
      ++y;
    }
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", y, m, d);
  return buf;
}

// UIDs must stay the same across refreshes so calendars update events instead of duplicating them.
std::string uid_part(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '.' || c == ':' || c == '_';
    if (plain) {
      out.push_back(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%02X", static_cast<unsigned char>(c));
      out += "_";
      out += buf;
    }
  }
  return out;
}

void ics_line(std::string& out, std::string_view line) {
  out += ics_fold(line);
  out += "\r\n";
}

std::string csv_cell(std::string value, char separator) {
  // Spreadsheets run cells starting with these as formulas; a leading apostrophe shows them as text.
  if (!value.empty() && (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@')) {
    value.insert(value.begin(), '\'');
  }
  const bool quote = value.find_first_of(std::string("\"\r\n") + separator) != std::string::npos;
  if (!quote) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string join(const std::vector<std::string>& values, std::string_view sep) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) out += sep;
    out += v;
  }
  return out;
}

std::string number(double v) {
  std::ostringstream s;
  s.precision(15);
  s << v;
  return s.str();
}

}  // namespace

std::string ics_escape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' || c == ';' || c == ',') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\\n";
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      continue;  // control characters are not allowed in TEXT
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string ics_fold(std::string_view line) {
  std::string out;
  std::size_t width = 0;  // octets on the current physical line
  std::size_t i = 0;
  while (i < line.size()) {
    const auto b = static_cast<unsigned char>(line[i]);
    const std::size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
    if (width + len > 75) {
      out += "\r\n ";
      width = 1;  // the leading space counts
    }
    out.append(line.substr(i, len));
    width += len;
    i += len;
  }
  return out;
}

std::string render_atom(const std::vector<RoadmapItem>& items, const FeedInfo& info) {
  std::string updated = "1970-01-01T00:00:00Z";
  for (const auto& item : items) updated = std::max(updated, item.updated_at);
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      << "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
      << "  <id>" << xml_escape(info.feed_id) << "</id>\n"
      << "  <title>" << xml_escape(info.title) << "</title>\n"
      << "  <updated>" << updated << "</updated>\n"
      << "  <author><name>Veikart</name></author>\n"
      << "  <generator>Veikart</generator>\n"
      << "  <link rel=\"self\" type=\"application/atom+xml\" href=\"" << xml_escape(info.base_url + info.self_path)
      << "\"/>\n";
  for (const auto& item : items) {
    const std::string href = info.base_url + "/v1/roadmap/" + item.id;
    out << "  <entry>\n"
        << "    <id>urn:veikart:item:" << xml_escape(item.id) << "</id>\n"
        << "    <title>" << xml_escape(item.title) << "</title>\n"
        << "    <updated>" << xml_escape(item.updated_at) << "</updated>\n"
        << "    <link rel=\"alternate\" type=\"application/json\" href=\"" << xml_escape(href) << "\"/>\n"
        << "    <author><name>" << xml_escape(item.owner.name.empty() ? item.owner.id : item.owner.name)
        << "</name></author>\n";
    for (const auto& t : item.themes) out << "    <category term=\"" << xml_escape(t) << "\"/>\n";
    out << "    <category term=\"" << enum_name(item.kind) << "\" scheme=\"urn:veikart:kind\"/>\n"
        << "    <category term=\"" << enum_name(item.status) << "\" scheme=\"urn:veikart:status\"/>\n"
        << "    <summary type=\"text\">" << xml_escape(describe(item)) << "</summary>\n"
        << "  </entry>\n";
  }
  out << "</feed>\n";
  return out.str();
}

std::string render_ics(const std::vector<RoadmapItem>& items, const FeedInfo& info) {
  std::string out;
  ics_line(out, "BEGIN:VCALENDAR");
  ics_line(out, "VERSION:2.0");
  ics_line(out, "PRODID:-//Veikart//Roadmap//NB");
  ics_line(out, "CALSCALE:GREGORIAN");
  ics_line(out, "METHOD:PUBLISH");
  ics_line(out, "X-WR-CALNAME:" + ics_escape(info.title));
  ics_line(out, "X-WR-CALDESC:" + ics_escape("Milestones and rollout waves from the Veikart roadmap"));
  ics_line(out, "REFRESH-INTERVAL;VALUE=DURATION:PT6H");
  ics_line(out, "X-PUBLISHED-TTL:PT6H");
  auto event = [&](const RoadmapItem& item, const std::string& uid, const std::string& summary,
                   const std::string& start, const std::string& end_inclusive, const std::string& note) {
    ics_line(out, "BEGIN:VEVENT");
    ics_line(out, "UID:" + uid);
    ics_line(out, "DTSTAMP:" + ics_timestamp(item.updated_at));
    ics_line(out, "DTSTART;VALUE=DATE:" + ics_date(start));
    ics_line(out, "DTEND;VALUE=DATE:" + next_day(end_inclusive));
    ics_line(out, "SUMMARY:" + ics_escape(summary));
    ics_line(out, "DESCRIPTION:" + ics_escape(note + "\n\n" + describe(item)));
    ics_line(out, "URL:" + info.base_url + "/v1/roadmap/" + item.id);
    if (!item.themes.empty()) ics_line(out, "CATEGORIES:" + ics_escape(join(item.themes, ",")));
    ics_line(out, "TRANSP:TRANSPARENT");
    ics_line(out, "END:VEVENT");
  };
  std::set<std::string> used;
  // Same kind and name twice in one item is possible; later ones get a counter so every UID is unique.
  auto unique = [&](std::string base) {
    std::string uid = base + "@veikart";
    for (int n = 2; !used.insert(uid).second; ++n) uid = base + "-" + std::to_string(n) + "@veikart";
    return uid;
  };
  for (const auto& item : items) {
    for (std::size_t i = 0; i < item.milestones.size(); ++i) {
      const auto& m = item.milestones[i];
      const std::string kind = enum_name(m.kind);
      const std::string uid = unique(uid_part(item.id) + "/milestone/" + kind + "/" + uid_part(m.name));
      std::string summary = item.title + ": " + m.name;
      if (m.label && *m.label != m.date) summary += " (" + *m.label + ")";
      event(item, uid, summary, m.date, m.date,
            "Milestone " + kind + ", precision " + enum_name(m.precision) + (m.label ? ", \"" + *m.label + "\"" : ""));
    }
    for (const auto& w : item.rollout_waves) {
      const auto start = w.start ? w.start : w.end;
      if (!start) continue;
      const std::string end = w.end ? *w.end : *start;
      const std::string uid = unique(uid_part(item.id) + "/wave/" + uid_part(w.name));
      event(item, uid, item.title + ": " + w.name, *start, std::max(end, *start),
            "Rollout wave for " + join(w.networks, ", ") +
                (w.municipalities.empty() ? "" : " (" + join(w.municipalities, ", ") + ")"));
    }
  }
  ics_line(out, "END:VCALENDAR");
  return out;
}

std::string render_csv(const std::vector<RoadmapItem>& items, const FeedInfo& info, char separator) {
  std::string out = "\xEF\xBB\xBF";
  const std::vector<std::string> header = {
      "id",       "title",         "kind",       "status",    "owner",      "networks",  "municipalities", "themes",
      "priority", "priority_rank", "first_date", "last_date", "milestones", "costs_nok", "updated_at",     "url"};
  auto row = [&](const std::vector<std::string>& cells) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i) out.push_back(separator);
      out += csv_cell(cells[i], separator);
    }
    out += "\r\n";
  };
  row(header);
  for (const auto& item : items) {
    const DateSpan span = date_span(item);
    std::vector<std::string> milestones;
    for (const auto& m : item.milestones) milestones.push_back(m.name + " " + (m.label ? *m.label : m.date));
    std::vector<std::string> costs;
    for (const auto& c : item.costs) {
      costs.push_back(std::to_string(c.year) + " " + enum_name(c.category) + " " + number(c.amount_nok) + " per " +
                      enum_name(c.per));
    }
    row({item.id, item.title, enum_name(item.kind), enum_name(item.status),
         item.owner.name.empty() ? item.owner.id : item.owner.name, join(item.networks, ", "),
         join(item.municipalities, ", "), join(item.themes, ", "), item.priority ? item.priority->value : "",
         item.priority ? std::to_string(item.priority->rank) : "", span.first, span.last, join(milestones, "; "),
         join(costs, "; "), item.updated_at, info.base_url + "/v1/roadmap/" + item.id});
  }
  return out;
}

}  // namespace veikart

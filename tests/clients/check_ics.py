#!/usr/bin/python3
"""Parses an iCalendar file with the icalendar library and prints the calendar's events as JSON."""
import json
import sys

from icalendar import Calendar

with open(sys.argv[1], "rb") as f:
    cal = Calendar.from_ical(f.read())
events = []
for component in cal.walk("VEVENT"):
    events.append({
        "uid": str(component.get("uid")),
        "summary": str(component.get("summary")),
        "start": component.decoded("dtstart").isoformat(),
        "end": component.decoded("dtend").isoformat(),
        "all_day": type(component.decoded("dtstart")).__name__ == "date",
        "url": str(component.get("url")),
    })
print(json.dumps({"name": str(cal.get("x-wr-calname")), "events": events}, ensure_ascii=False))

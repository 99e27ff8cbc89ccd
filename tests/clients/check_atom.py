#!/usr/bin/python3
"""Parses an Atom file with feedparser (a real feed-reader library) and prints what a reader would see as JSON."""
import json
import sys

import feedparser

feed = feedparser.parse(sys.argv[1])
print(json.dumps({
    "bozo": int(feed.bozo),
    "bozo_exception": str(feed.get("bozo_exception", "")),
    "version": feed.version,
    "title": feed.feed.get("title"),
    "id": feed.feed.get("id"),
    "updated": feed.feed.get("updated"),
    "entries": [
        {
            "id": e.get("id"),
            "title": e.get("title"),
            "updated": e.get("updated"),
            "links": [{"rel": l.get("rel"), "type": l.get("type"), "href": l.get("href")} for l in e.get("links", [])],
            "tags": [t["term"] for t in e.get("tags", [])],
        }
        for e in feed.entries
    ],
}, ensure_ascii=False))

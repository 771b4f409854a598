"""The JSON Resume schema this project speaks: its version, the official schema
file, and the map of its sections and keys to the kind of each value."""

from __future__ import annotations

from pathlib import Path

SCHEMA_VERSION = "1.3.1"
SCHEMA_PATH = Path(__file__).parent.parent / "schema" / "jsonresume.schema.json"


TEXT, LONG, DATE, URL, EMAIL, TEXTS, LONGS = "text", "long", "date", "url", "email", "ts", "ls"

SECTIONS: dict[str, dict[str, str]] = {
    "work": {
        "name": TEXT,
        "location": TEXT,
        "description": LONG,
        "position": TEXT,
        "url": URL,
        "startDate": DATE,
        "endDate": DATE,
        "summary": LONG,
        "highlights": LONGS,
    },
    "volunteer": {
        "organization": TEXT,
        "position": TEXT,
        "url": URL,
        "startDate": DATE,
        "endDate": DATE,
        "summary": LONG,
        "highlights": LONGS,
    },
    "education": {
        "institution": TEXT,
        "url": URL,
        "area": TEXT,
        "studyType": TEXT,
        "startDate": DATE,
        "endDate": DATE,
        "score": TEXT,
        "courses": TEXTS,
    },
    "awards": {"title": TEXT, "date": DATE, "awarder": TEXT, "summary": LONG},
    "certificates": {"name": TEXT, "date": DATE, "url": URL, "issuer": TEXT},
    "publications": {
        "name": TEXT,
        "publisher": TEXT,
        "releaseDate": DATE,
        "url": URL,
        "summary": LONG,
    },
    "skills": {"name": TEXT, "level": TEXT, "keywords": TEXTS},
    "languages": {"language": TEXT, "fluency": TEXT},
    "interests": {"name": TEXT, "keywords": TEXTS},
    "references": {"name": TEXT, "reference": LONG},
    "projects": {
        "name": TEXT,
        "description": LONG,
        "highlights": LONGS,
        "keywords": TEXTS,
        "startDate": DATE,
        "endDate": DATE,
        "url": URL,
        "roles": TEXTS,
        "entity": TEXT,
        "type": TEXT,
    },
}
BASICS = {
    "name": TEXT,
    "label": TEXT,
    "image": URL,
    "email": EMAIL,
    "phone": TEXT,
    "url": URL,
    "summary": LONG,
}
LOCATION = {"address": LONG, "postalCode": TEXT, "city": TEXT, "countryCode": TEXT, "region": TEXT}
PROFILE = {"network": TEXT, "username": TEXT, "url": URL}
# v0 key -> v1 key, per section ("basics" included).
LEGACY = {
    "basics": {"website": "url", "picture": "image"},
    "work": {"company": "name", "website": "url"},
    "volunteer": {"website": "url"},
    "education": {"gpa": "score"},
    "awards": {"awardDate": "date"},
    "publications": {"website": "url"},
    "projects": {"website": "url"},
}
LEGACY_SECTIONS = {"hobbies": "interests"}
# For an item written as a bare string: the key it becomes.
STRING_ITEM_KEY = {
    "skills": "name",
    "languages": "language",
    "interests": "name",
    "certificates": "name",
    "awards": "title",
    "publications": "name",
    "projects": "name",
    "references": "reference",
}
DATE_KEYS = ("startDate", "date", "releaseDate")

"""Places: a location line ("City, Country", an address, "City · DE"), the
countries and states the rules know, and the place in a school's name.
"""

from __future__ import annotations

import re

from .text import has_cjk

COUNTRIES = {
    "germany": "DE",
    "deutschland": "DE",
    "austria": "AT",
    "österreich": "AT",
    "switzerland": "CH",
    "schweiz": "CH",
    "suisse": "CH",
    "france": "FR",
    "spain": "ES",
    "españa": "ES",
    "espana": "ES",
    "italy": "IT",
    "italia": "IT",
    "portugal": "PT",
    "netherlands": "NL",
    "nederland": "NL",
    "the netherlands": "NL",
    "belgium": "BE",
    "belgique": "BE",
    "poland": "PL",
    "polska": "PL",
    "russia": "RU",
    "россия": "RU",
    "china": "CN",
    "中国": "CN",
    "japan": "JP",
    "日本": "JP",
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "us": "US",
    "u.s.": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "england": "GB",
    "scotland": "GB",
    "ireland": "IE",
    "canada": "CA",
    "australia": "AU",
    "new zealand": "NZ",
    "india": "IN",
    "brazil": "BR",
    "brasil": "BR",
    "mexico": "MX",
    "méxico": "MX",
    "argentina": "AR",
    "chile": "CL",
    "colombia": "CO",
    "peru": "PE",
    "perú": "PE",
    "venezuela": "VE",
    "uruguay": "UY",
    "sweden": "SE",
    "sverige": "SE",
    "norway": "NO",
    "norge": "NO",
    "denmark": "DK",
    "danmark": "DK",
    "finland": "FI",
    "suomi": "FI",
    "czech republic": "CZ",
    "czechia": "CZ",
    "slovakia": "SK",
    "hungary": "HU",
    "romania": "RO",
    "greece": "GR",
    "turkey": "TR",
    "türkiye": "TR",
    "israel": "IL",
    "south africa": "ZA",
    "nigeria": "NG",
    "kenya": "KE",
    "egypt": "EG",
    "singapore": "SG",
    "hong kong": "HK",
    "taiwan": "TW",
    "south korea": "KR",
    "korea": "KR",
    "vietnam": "VN",
    "thailand": "TH",
    "indonesia": "ID",
    "philippines": "PH",
    "malaysia": "MY",
    "pakistan": "PK",
    "bangladesh": "BD",
    "ukraine": "UA",
    "україна": "UA",
    "belarus": "BY",
    "estonia": "EE",
    "latvia": "LV",
    "lithuania": "LT",
    "serbia": "RS",
    "croatia": "HR",
    "slovenia": "SI",
    "bulgaria": "BG",
    "luxembourg": "LU",
    "united arab emirates": "AE",
    "uae": "AE",
    "saudi arabia": "SA",
    "iran": "IR",
}
_US_STATES = set(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "DC",
    ]
)
_LOC_PART = re.compile(r"^[^\W\d_][\w.'’ -]{0,40}$")


def parse_location(line: str) -> dict | None:
    """{"city", "countryCode"} from "City, Country", "City, Region, CC",
    "Country, City, ST (CC)"; None unless a country or region is recognised."""
    if len(line) > 70 or "@" in line or "://" in line:
        return None
    code = None
    m = re.search(r"\(([A-Z]{2})\)\s*$", line)
    if m:
        code = m.group(1)
        line = line[: m.start()].strip()
    else:
        # "Springfield (USA), CA": a country code in brackets after the city
        m = re.search(r"\s*\(([A-Za-z]{2,3})\)(?=\s*,)", line)
        if m and (m.group(1).upper() in _CODES or m.group(1).casefold() in COUNTRIES):
            code = COUNTRIES.get(m.group(1).casefold(), m.group(1).upper()[:2])
            line = line[: m.start()] + line[m.end() :]
    parts = [p.strip() for p in re.split(r"\s*[,，|]\s*", line) if p.strip()]
    if not parts or len(parts) > 4 or not all(_LOC_PART.match(p) or has_cjk(p) for p in parts):
        return None
    if len(parts) == 1 and not code:
        return None
    country_idx = None
    for i, p in enumerate(parts):
        c = COUNTRIES.get(p.casefold())
        if c or (len(p) == 2 and p.isupper() and (i == len(parts) - 1)):
            country_idx = i
            code = code or c or (p if p not in _US_STATES else "US")
            break
    if country_idx is None:
        if code:
            country_idx = -1
        elif len(parts) >= 2 and parts[-1] in _US_STATES:
            code = "US"
            country_idx = -1
        else:
            return None
    rest = [p for i, p in enumerate(parts) if i != country_idx]
    if not rest:
        return {"countryCode": code} if code else None
    return {"city": rest[0], "countryCode": code} if code else {"city": rest[0]}


_STREET_OR_CODE = re.compile(r"\d")
_ADDRESS_SEP = re.compile(r"\s*,\s*|\s+[–—·|]\s+")


def parse_address(line: str) -> dict | None:
    """{"city", "countryCode"} of a postal address: "10 Main Street, 12345,
    Springfield, Region (CC)" - the parts with a number (street, postcode)
    left out, the rest read as "City, Region, Country"."""
    if len(line) > 140 or "@" in line or "://" in line or line.count(",") < 2:
        return None
    # "10 Main Street – Springfield, ST, Freedonia": a dash between parts too
    parts = [p.strip() for p in _ADDRESS_SEP.split(line) if p.strip()]
    numbered = [n for n, p in enumerate(parts) if _STREET_OR_CODE.search(p)]
    if len(numbered) >= 2:
        # "10 Main Street, 12345 Springfield, Freedonia": the postcode's part
        # after the street's names the city
        n = numbered[-1]
        words = [w for w in parts[n].split() if not _STREET_OR_CODE.search(w)]
        if words and len(words) <= 3 and all(_LOC_PART.match(w) and w[0].isupper() for w in words):
            parts[n] = " ".join(words)
    kept = [p for p in parts if not _STREET_OR_CODE.search(p)]
    if len(kept) == len(parts) or not 2 <= len(kept) <= 4:
        return None
    tail = re.sub(r"\s*\(([A-Za-z]{2,3})\)\s*$", lambda m: f" ({m.group(1)[:2].upper()})", kept[-1])
    return parse_location(", ".join([*kept[:-1], tail]))


# Country codes as written after a place: ISO, and a few three-letter forms CVs use.
_CODES = set(COUNTRIES.values()) | {"UK", "USA", "COL", "MEX", "ARG", "ESP"}
_PLACE_LABELS = re.compile(
    r"(?i)\b(?:location|address|region|city|country|postal code|post code|zip|ort|ciudad|ville|"
    r"país|pays|dirección|adresse|ubicación)\b\s*(?:&\s*\w+\s*)?:?"
)


def parse_spaced_location(line: str) -> dict | None:
    """{"city", "countryCode"} of a place printed without commas, as some
    themes join its parts: "Springfield Freedonia FR", "SPRINGFIELD REGION
    12345", "Location Region Springfield, Freedonia". None unless it ends
    with a country (name or code); the city is its first word, or the whole
    of what is left when that is one place printed twice."""
    if len(line) > 70 or "@" in line or "://" in line:
        return None
    t = _PLACE_LABELS.sub(" ", line)
    words = [w for w in re.split(r"[\s,]+", t) if w and not any(c.isdigit() for c in w)]
    if not 2 <= len(words) <= 6 or not all(_LOC_PART.match(w) and w[0].isupper() for w in words):
        return None  # capitalised words only: "I live in Springfield, Freedonia" is a sentence
    code = None
    last = words[-1]
    if last.upper() == last and last.upper() in _CODES:
        code = last.upper()[:2] if last.upper() not in ("USA",) else "US"
        words = words[:-1]
    for n in (3, 2, 1):  # a country's name, of up to three words
        if len(words) > n and " ".join(words[-n:]).casefold() in COUNTRIES:
            code = code or COUNTRIES[" ".join(words[-n:]).casefold()]
            words = words[:-n]
            break
    if code is None or not words:
        return None
    half = len(words) // 2
    if (
        half
        and len(words) % 2 == 0
        and [w.casefold() for w in words[:half]] == [w.casefold() for w in words[half:]]
    ):
        return {"city": " ".join(words[:half]), "countryCode": code}
    return {"city": words[0], "countryCode": code}


# Schools are often named after their city: "University of Lowtown",
# "University College Lowtown", "Universität Lowtown", "Universidad de Lowtown".
_SCHOOL = (
    r"(?:University|College|Universit(?:ä|a)t|Universidad|Université|Universidade|Università"
    r"|Universiteit|Uniwersytet|Hochschule|Fachhochschule|Politecnico|Polytechnic|Institute"
    r"|Institut|Instituto|School|Academy|Akademie)"
)
_PLACE_WORD = r"[A-ZÀ-ÖØ-Þ][\w'’-]+"
_SCHOOL_OF_PLACE = re.compile(
    _SCHOOL + r"\s+(?:of|de|di|do|da|del|des|du|zu|in)\s+(?:the\s+)?(" + _PLACE_WORD + r")"
)
_SCHOOL_PLACE_END = re.compile(_SCHOOL + r"\s+(" + _PLACE_WORD + r")\s*$")
_NOT_PLACES = {
    "technology",
    "science",
    "sciences",
    "applied",
    "arts",
    "art",
    "engineering",
    "management",
    "economics",
    "business",
    "law",
    "medicine",
    "music",
    "education",
    "information",
    "computer",
    "computing",
    "design",
    "health",
    "social",
    "the",
    "international",
    "national",
    "technical",
    "state",
    "public",
    "central",
    "federal",
    "royal",
    "open",
    "free",
    "new",
    "college",
    "university",
    "institute",
    "school",
    "academy",
    "studies",
}


# No school's name is longer; the patterns below never see more.
SCHOOL_NAME_MAX = 200


def place_in_name(name: str) -> str | None:
    """The city a school's name holds ("University of Lowtown" -> "Lowtown"), or None."""
    if not name or len(name) > SCHOOL_NAME_MAX:
        return None
    name = re.sub(r"(?<!\s)\s*\([^)]*\)", "", name).strip(" ,")
    for rx in (_SCHOOL_OF_PLACE, _SCHOOL_PLACE_END):
        m = rx.search(name)
        if m and m.group(1).casefold() not in _NOT_PLACES:
            return m.group(1)
    return None


# A labelled postal line: "Postal Code & City  12345 Springfield", "City: Springfield".
_CITY_LABEL = re.compile(
    r"(?i)^\s*(?:(?:postal code|post code|postcode|zip(?: code)?|plz|cp|code postal|"
    r"código postal|cap)\s*(?:&|and|und|/|,|y|et|e)\s*)?"
    r"(?:city|town|ciudad|ville|ort|stadt|wohnort|cidade|città|localidad|poblaci[oó]n)"
    r"\s*(?:&\s*\w+\s*)?:?\s+(?P<rest>\S.*)$"
)


def parse_labelled_city(line: str) -> dict | None:
    """{"city"} of a line that says it holds the city: "Postal Code & City
    12345 Springfield" -> Springfield (the postcode, any word with a digit,
    left out); None unless one to three capitalised words are left."""
    if len(line) > 70 or "@" in line or "://" in line:
        return None
    m = _CITY_LABEL.match(line)
    if not m:
        return None
    words = [w for w in re.split(r"[\s,]+", m.group("rest")) if w and not _STREET_OR_CODE.search(w)]
    if not 1 <= len(words) <= 3 or not all(_LOC_PART.match(w) and w[0].isupper() for w in words):
        return None
    return {"city": " ".join(words)}

"""Contacts: name, label, email, phone, links and profiles, location."""

from __future__ import annotations

import re

from .text import has_cjk, squash

EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,24}(?![\w-])")
# International forms: +49 160 2050792, (+49) 157-30404362, 0049 ..., (86) 177...,
# +58 (426) 513-10-93, 415.555.0100.
PHONE_RE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\+?\d[\d\s().\-/]{5,22}\d(?![\w])")
_DATEISH = re.compile(
    r"^\d{4}[-/.]\d{1,2}([-/.]\d{1,2})?$|^\d{1,2}[/.]\d{4}$|^(19|20)\d{2}\s*[-–]\s*(19|20)\d{2}$"
)

TLDS = [
    "com",
    "net",
    "org",
    "io",
    "dev",
    "app",
    "ai",
    "co",
    "me",
    "info",
    "biz",
    "tech",
    "xyz",
    "site",
    "online",
    "blog",
    "page",
    "codes",
    "cloud",
    "de",
    "at",
    "ch",
    "fr",
    "es",
    "it",
    "pt",
    "nl",
    "be",
    "pl",
    "ru",
    "cn",
    "jp",
    "uk",
    "us",
    "ca",
    "au",
    "in",
    "br",
    "mx",
    "ar",
    "cl",
    "ve",
    "se",
    "no",
    "dk",
    "fi",
    "ie",
    "cz",
    "sk",
    "hu",
    "ro",
    "gr",
    "tr",
    "il",
    "za",
    "nz",
    "sg",
    "hk",
    "tw",
    "kr",
    "eu",
    "lol",
    "cc",
    "tv",
    "gg",
    "sh",
    "is",
    "ly",
]
_TLD = "|".join(sorted(TLDS, key=len, reverse=True))
URL_RE = re.compile(
    r"(?<![@\w.-])(?:(?:https?://)[^\s<>\"'()\[\]]+|(?:www\.)[^\s<>\"'()\[\]]+"
    r"|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:" + _TLD + r")(?::\d+)?(?:/[^\s<>\"'()\[\]]*)?)"
    r"(?![\w@])",
    re.IGNORECASE,
)

NETWORKS = [
    # (host suffix, network name, profile URL template for "user (Network)" forms)
    ("github.com", "GitHub", "https://github.com/{}"),
    ("linkedin.com", "LinkedIn", "https://www.linkedin.com/in/{}"),
    ("gitlab.com", "GitLab", "https://gitlab.com/{}"),
    ("stackoverflow.com", "Stack Overflow", None),
    ("stackexchange.com", "Stack Exchange", None),
    ("twitter.com", "Twitter", "https://twitter.com/{}"),
    ("x.com", "X", "https://x.com/{}"),
    ("bsky.app", "Bluesky", None),
    ("mastodon.social", "Mastodon", None),
    ("medium.com", "Medium", None),
    ("dev.to", "DEV", "https://dev.to/{}"),
    ("behance.net", "Behance", "https://www.behance.net/{}"),
    ("dribbble.com", "Dribbble", "https://dribbble.com/{}"),
    ("xing.com", "XING", None),
    ("youtube.com", "YouTube", None),
    ("facebook.com", "Facebook", None),
    ("instagram.com", "Instagram", None),
    ("kaggle.com", "Kaggle", "https://www.kaggle.com/{}"),
    ("codeberg.org", "Codeberg", "https://codeberg.org/{}"),
    ("bitbucket.org", "Bitbucket", "https://bitbucket.org/{}"),
    ("codepen.io", "CodePen", "https://codepen.io/{}"),
    ("leetcode.com", "LeetCode", "https://leetcode.com/{}"),
    ("hackerrank.com", "HackerRank", "https://www.hackerrank.com/{}"),
    ("npmjs.com", "npm", "https://www.npmjs.com/~{}"),
    ("huggingface.co", "Hugging Face", "https://huggingface.co/{}"),
    ("vk.com", "VK", "https://vk.com/{}"),
    ("habr.com", "Habr", None),
    ("zhihu.com", "Zhihu", None),
    ("qiita.com", "Qiita", "https://qiita.com/{}"),
    ("zenn.dev", "Zenn", "https://zenn.dev/{}"),
]
_NETWORK_BY_NAME = {squash(n): (n, t) for _, n, t in NETWORKS}
_NETWORK_BY_NAME.update({"twitterx": ("X", "https://x.com/{}"), "git hub": ("GitHub", None)})
# "jane-d-123 (LinkedIn)" / "LinkedIn: jane-d" / "GitHub - user"
_USER_NET = re.compile(r"^@?([\w.-]{2,60})\s*\(([\w .]{1,20})\)$")
_HANDLE = re.compile(r"@?[\w][\w.-]{1,38}")
_NET_USER = re.compile(r"^([\w .]{1,20}?)\s*[:|·\-–]\s*@?([\w.-]{2,60})$")


def network_for(url: str) -> str | None:
    host = re.sub(r"^[a-z]+://", "", url.lower()).split("/")[0].split(":")[0]
    host = host.removeprefix("www.")
    for suffix, name, _ in NETWORKS:
        if host == suffix or host.endswith("." + suffix):
            return name
    return None


def find_emails(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        for m in EMAIL_RE.finditer(line):
            e = m.group(0).strip(".")
            if e not in out:
                out.append(e)
    return out


def find_phone(lines: list[str]) -> str | None:
    best = None
    for line in lines:
        if len(line) > 160:
            continue
        for m in PHONE_RE.finditer(line):
            cand = m.group(0).strip(" -./")
            digits = re.sub(r"\D", "", cand)
            if not 7 <= len(digits) <= 15 or _DATEISH.match(cand.strip()):
                continue
            if re.fullmatch(r"(19|20)\d{2}\s*[-–]\s*(19|20)\d{2}", cand):
                continue
            if re.search(r"\d{4}[-/.]\d{2}[-/.]\d{2}", cand):
                continue
            score = (cand.startswith(("+", "(", "00")), len(digits) >= 9)
            if best is None or score > best[0]:
                best = (score, cand)
    if best and (best[0][0] or best[0][1]):
        return best[1]
    return None


def find_urls(lines: list[str]) -> list[str]:
    """Web addresses printed on short lines (not inside prose or HTML)."""
    out: list[str] = []
    for line in lines:
        if len(line) > 160 or "href=" in line:
            continue
        for m in URL_RE.finditer(line):
            u = m.group(0).rstrip(".,;:)")
            if "@" in u or re.search(r"\.(js|ts|py|net|md)$", u, re.I) and "/" not in u:
                continue
            if "://" not in u and "/" not in u and not u.lower().startswith("www."):
                # a bare domain: only on a line that is (nearly) just the domain
                rest = line.replace(m.group(0), "").strip(" ·|,:;-–")
                if len(rest) > 25 and not (u[0].islower() or u[0].isdigit()):
                    continue
                if re.match(r"^[A-Z][a-z]+\.[a-z]+$", u) and len(rest) > 0:
                    continue
            if not u.lower().startswith(("http://", "https://")):
                u = "https://" + u
            if u not in out:
                out.append(u)
    return out


def join_wrapped_urls(lines: list[str]) -> list[str]:
    """A link cut at a "-" or "/" ends its line, its rest alone on the next one:
    join them ("https://example.org/in/jane-" + "doe-1234/")."""
    out: list[str] = []
    joined = False
    for line in lines:
        if (
            out
            and not joined
            and _ends_inside_link(out[-1])
            and re.fullmatch(r"[a-z0-9][\w.%~/-]*/?", line)
        ):
            out[-1] = out[-1] + line
            joined = True
        else:
            out.append(line)
            joined = False
    return out


def _ends_inside_link(line: str) -> bool:
    """The line ends with a link cut after a "-" or "/" ("... https://x.org/in/jane-").

    String operations: `(?:https?://|www\\.)\\S+[-/]$` scanned the rest of the
    word from every "http://" in it, quadratic on a word of many.
    """
    if not line.endswith(("-", "/")):
        return False
    word = line.split()[-1]
    for prefix in ("http://", "https://", "www."):
        k = word.find(prefix)
        if k >= 0 and len(word) - k - len(prefix) >= 2:
            return True
    return False


def find_handle_profiles(lines: list[str]) -> list[dict]:
    """Profiles printed as "user (GitHub)", "GitHub: user" or "GitHub" with
    the user name alone on the next line, without a link."""
    out = []
    for n, line in enumerate(lines):
        if len(line) > 80:
            continue
        m = _USER_NET.match(line)
        if m:
            user, net = m.group(1), m.group(2)
        elif (m := _NET_USER.match(line)) is not None:
            net, user = m.group(1), m.group(2)
        elif (
            squash(line) in _NETWORK_BY_NAME
            and n + 1 < len(lines)
            and _HANDLE.fullmatch(lines[n + 1])
        ):
            net, user = line, lines[n + 1].lstrip("@")
        else:
            continue
        info = _NETWORK_BY_NAME.get(squash(net))
        if not info:
            continue
        name, template = info
        prof = {"network": name, "username": user}
        if template:
            prof["url"] = template.format(user)
        out.append(prof)
    return out


def site_profile(url: str) -> dict:
    """A profile for a link of no known network: named after its host."""
    host = re.sub(r"^[a-z]+://", "", url.lower()).split("/")[0].removeprefix("www.")
    labels = host.split(".")
    name = labels[-2] if len(labels) >= 2 else host
    return {"network": name.capitalize(), "url": url}


def profile_from_url(url: str) -> dict | None:
    net = network_for(url)
    if not net:
        return None
    path = re.sub(r"^[a-z]+://[^/]+/?", "", url, flags=re.I).strip("/")
    parts = [p for p in path.split("/") if p]
    user = ""
    if parts:
        user = parts[-1] if parts[0] in ("in", "profile", "u", "users", "user") else parts[0]
    prof = {"network": net, "url": url}
    if user:
        prof["username"] = user.lstrip("@")
    return prof


# --------------------------------------------------------------------------- name & label
_NAME_WORD = re.compile(r"^[\"“]?[A-ZÀ-ÖØ-ÞĀ-ſА-Я][\w'’.-]*[\"”]?$")
_NAME_PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "da",
    "del",
    "di",
    "du",
    "la",
    "le",
    "y",
    "e",
    "dos",
    "das",
    "ter",
    "zu",
    "bin",
    "al",
    "el",
}


def looks_like_name(line: str) -> bool:
    line = line.strip()
    if not line or len(line) > 50 or any(ch.isdigit() for ch in line) or "@" in line:
        return False
    if has_cjk(line):
        core = re.sub(r"[\s·•]", "", line)
        return 2 <= len(core) <= 5 and all("\u4e00" <= c <= "\u9fff" or c == "·" for c in core)
    words = line.split()
    if not 2 <= len(words) <= 5:
        return False
    caps = 0
    for w in words:
        if w.lower() in _NAME_PARTICLES:
            continue
        if not _NAME_WORD.match(w) or w.endswith((".", ",")) and len(w) > 2:
            return False
        caps += 1
    return caps >= 2


# --------------------------------------------------------------------------- location
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


def parse_address(line: str) -> dict | None:
    """{"city", "countryCode"} of a postal address: "10 Main Street, 12345,
    Springfield, Region (CC)" - the parts with a number (street, postcode)
    left out, the rest read as "City, Region, Country"."""
    if len(line) > 140 or "@" in line or "://" in line or line.count(",") < 2:
        return None
    parts = [p.strip() for p in line.split(",") if p.strip()]
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


# --------------------------------------------------------------------------- place in a name
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

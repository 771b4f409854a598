"""JSON Resume: validation, normalisation and snapshot limits, in one place (SPEC E-2, E-6).

- `normalise(doc)` turns anything into a document of the JSON Resume schema:
  known sections and keys only, legacy (v0) keys mapped, strings trimmed,
  cleaned of control characters and length-capped, dates as `YYYY-MM-DD`,
  `YYYY-MM` or `YYYY`, URLs only `http`, `https` or `mailto`, empty values
  pruned. It never raises; what it drops or fixes is said in its warnings.
- `validate(doc)` checks a document against the shipped official schema
  (`schema/jsonresume.schema.json`, JSON Schema draft-04).
- `clean(doc)` is both: what every extractor's output goes through.
- `apply_snapshot_limits(doc)` cuts a document to `SNAPSHOT_MAX_BYTES`.

Text is stored as given (HTML is escaped when shown, not here).
"""

from __future__ import annotations

import calendar
import copy
import json
import re
import unicodedata
from pathlib import Path
from urllib.parse import quote, urlsplit

SCHEMA_VERSION = "1.0.0"
SCHEMA_PATH = Path(__file__).parent.parent / "schema" / "jsonresume.schema.json"

# Length caps, in characters, applied after cleaning. Names, titles, dates and
# other one-line fields are short; summaries, highlights, descriptions and
# references are free text. URLs get their own (browsers cope with ~2,000).
SHORT_TEXT_MAX = 300
LONG_TEXT_MAX = 5000
URL_MAX = 2000
# RFC 5321: the longest address a mail server accepts. Every pattern below
# runs on a value cut to its kind's cap first (SPEC S-4): a regex on an
# unbounded string is how one request froze a worker (issue 10).
EMAIL_MAX = 254
# Raw input past these is refused before any work: no sane date or "Present"
# is that long, and a URL that long could never come under URL_MAX.
DATE_INPUT_MAX = 100
PRESENT_INPUT_MAX = 64
URL_INPUT_MAX = 4 * URL_MAX
# Items kept per array by normalise(); the stricter per-snapshot limit is
# SNAPSHOT_MAX_ITEMS (apply_snapshot_limits).
LIST_MAX = 1000

# --------------------------------------------------------------------------- vocabulary
MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    [
        "jan january janv janvier ene enero jänner jän januar gen gennaio janeiro januari "
        "sty styczeń stycznia янв январь января 一月",
        "feb february fév févr fevr février fevrier febrero fev fevereiro februar febbraio "
        "februari lut luty lutego фев февраль февраля 二月",
        "mar march mars marzo março marco mär märz maerz maart marzec marca мар март марта 三月",
        "apr april avr avril abr abril aprile kwi kwiecień kwietnia апр апрель апреля 四月",
        "may mai mayo maio mag maggio mei maj maja май мая 五月",
        "jun june juin junio junho juni giu giugno cze czerwiec czerwca июн июнь июня 六月",
        "jul july juil juillet julio julho juli lug luglio lip lipiec lipca июл июль июля 七月",
        "aug august aoû août aout ago agosto augustus sie sierpień sierpnia авг август августа "
        "八月",
        "sep sept september septembre septiembre set setembro settembre wrz wrzesień września "
        "сен сент сентябрь сентября 九月",
        "oct october octobre oct octubre out outubro okt oktober ott ottobre paź październik "
        "października окт октябрь октября 十月",
        "nov november novembre noviembre novembro lis listopad listopada ноя ноябрь ноября 十一月",
        "dec december déc décembre decembre dic diciembre dez dezembro dezember dicembre "
        "gru grudzień grudnia дек декабрь декабря 十二月",
    ]
):
    for _n in _names.split():
        MONTHS[_n] = _i + 1

# Words meaning "still ongoing" as an end date; such an end date is removed.
PRESENT_WORDS = frozenset(
    [
        "present",
        "now",
        "current",
        "currently",
        "ongoing",
        "today",
        "heute",
        "aktuell",
        "jetzt",
        "gegenwärtig",
        "derzeit",
        "laufend",
        "actualidad",
        "actual",
        "presente",
        "hoy",
        "ahora",
        "actualmente",
        "présent",
        "aujourd'hui",
        "aujourdhui",
        "maintenant",
        "actuel",
        "actuellement",
        "atual",
        "atualmente",
        "hoje",
        "agora",
        "oggi",
        "attuale",
        "attualmente",
        "heden",
        "nu",
        "huidig",
        "obecnie",
        "teraz",
        "obecnie",
        "сейчас",
        "наст",
        "至今",
        "现在",
        "目前",
        "今",
        "現在",
        "現職",
        "現在まで",
        "在職中",
    ]
)
PRESENT_PHRASES = frozenset(
    {
        "bis heute",
        "en cours",
        "in corso",
        "to date",
        "to present",
        "till date",
        "till now",
        "up to now",
        "until now",
        "à ce jour",
        "a ce jour",
        "à présent",
        "hasta la fecha",
        "hasta hoy",
        "hasta ahora",
        "até o momento",
        "até hoje",
        "ad oggi",
        "tot heden",
        "tot nu",
        "do teraz",
        "do dziś",
        "do dzisiaj",
        "по настоящее время",
        "настоящее время",
        "по н.в.",
        "н.в.",
        "p r e s e n t",
    }
)


def is_present_word(value: str) -> bool:
    """True for "Present", "now", "heute", "至今"... (an ongoing end date)."""
    if len(value) > PRESENT_INPUT_MAX:
        return False
    s = unicodedata.normalize("NFKC", value).strip().casefold().strip(" .,;:()[]")
    s = re.sub(r"\s+", " ", s)
    return bool(s) and (s in PRESENT_WORDS or s in PRESENT_PHRASES)


# --------------------------------------------------------------------------- dates
_DATE_YMD = re.compile(
    r"(\d{4})(?:\s*[-/.]\s*(\d{1,2})(?:\s*[-/.]\s*(\d{1,2}))?)?(?:t\d.*| \d{1,2}:\d\d.*)?"
)
_DATE_MY = re.compile(r"(\d{1,2})\s*[-/.]\s*(\d{4})")
_DATE_DMY = re.compile(r"(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})")
_DATE_CJK = re.compile(r"(\d{4})\s*[年/.-]\s*(?:(\d{1,2})\s*月?)?\s*(?:(\d{1,2})\s*日)?")
_DATE_WORD_Y = re.compile(r"(?:(\d{1,2})\.?\s+)?([^\W\d_]+)\.?,?\s*(?:de\s+|of\s+)?'?(\d{4})")
_DATE_Y_WORD = re.compile(r"(\d{4})\s*[,\-/.]?\s*([^\W\d_]+)\.?(?:\s+(\d{1,2}))?")


def _fmt(year: int, month: int | None = None, day: int | None = None) -> str | None:
    if not 1000 <= year <= 2999:
        return None
    if month is None or not 1 <= month <= 12:
        return f"{year:04d}"
    if day is None or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_date(value: object) -> str | None:
    """Return `YYYY-MM-DD`, `YYYY-MM` or `YYYY` for a date written in a common way.

    Accepts "2020-01-05", "2020-1", "2023-9-28", "01/2020", "5.3.2020",
    "Jan 2020", "January, 2020", "janvier 2020", "marzo de 2020", "2020年3月",
    "2019" and ISO timestamps. Returns None for anything else, including
    present words (test those with `is_present_word`).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return _fmt(value)
    if isinstance(value, float):
        return _fmt(int(value)) if value.is_integer() else None
    if not isinstance(value, str) or len(value) > DATE_INPUT_MAX:
        return None
    s = unicodedata.normalize("NFKC", value).strip().casefold()
    if not s or len(s) > 40:
        return None
    if m := _DATE_YMD.fullmatch(s):
        y, mo, d = m.groups()
        return _fmt(int(y), int(mo) if mo else None, int(d) if d else None)
    if m := _DATE_MY.fullmatch(s):
        return _fmt(int(m.group(2)), int(m.group(1)))
    if m := _DATE_DMY.fullmatch(s):
        d, mo = int(m.group(1)), int(m.group(2))
        if mo > 12 >= d:  # US month/day/year
            d, mo = mo, d
        return _fmt(int(m.group(3)), mo, d)
    if m := _DATE_CJK.fullmatch(s):
        y, mo, d = m.groups()
        return _fmt(int(y), int(mo) if mo else None, int(d) if d else None)
    if (m := _DATE_WORD_Y.fullmatch(s)) and m.group(2) in MONTHS:
        day = int(m.group(1)) if m.group(1) else None
        return _fmt(int(m.group(3)), MONTHS[m.group(2)], day)
    if (m := _DATE_Y_WORD.fullmatch(s)) and m.group(2) in MONTHS:
        day = int(m.group(3)) if m.group(3) else None
        return _fmt(int(m.group(1)), MONTHS[m.group(2)], day)
    return None


# --------------------------------------------------------------------------- text
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n){2,}")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def clean_text(value: object, *, long: bool = False) -> str | None:
    """Trim, drop control characters and cap; one line unless `long`."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    cap = LONG_TEXT_MAX if long else SHORT_TEXT_MAX
    # Bounded before any pattern runs: text past 8x the cap could only be
    # kept if nearly all before it were spaces and control characters.
    value = value[: 8 * cap]
    s = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    s = _CONTROL.sub("", s)
    if long:
        s = "\n".join(_SPACES.sub(" ", line).strip() for line in s.split("\n"))
        s = _BLANK_LINES.sub("\n\n", s).strip()
    else:
        s = _SPACES.sub(" ", s.replace("\n", " ").replace("\t", " ")).strip()
    if len(s) > cap:
        s = s[:cap].rstrip()
    return s or None


# --------------------------------------------------------------------------- URLs
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_BARE_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}\.?(?::\d{1,5})?(?:[/?#].*)?", re.IGNORECASE
)
# What an address may not contain (besides its one "@").
_NOT_IN_EMAIL = re.compile(r"[@\s<>()\[\],;:\"]")
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def is_email(value: str) -> bool:
    """`local@domain.tld`: one "@", a dot inside the domain, no spaces, brackets,
    quotes or separators, at most EMAIL_MAX characters.

    String operations, not a pattern: the regex this replaces
    (`[^@]+@[^@]+\\.[^@]+`, its two domain runs overlapping on ".") took
    quadratic time on "a@" followed by a run of dots.
    """
    if len(value) > EMAIL_MAX:
        return False
    local, at, domain = value.partition("@")
    return bool(
        local
        and at
        and "." in domain[1:-1]
        and not _NOT_IN_EMAIL.search(local)
        and not _NOT_IN_EMAIL.search(domain)
    )


def clean_url(value: object) -> tuple[str | None, str | None]:
    """Return (url, problem). Only http, https and mailto survive.

    A bare "www.x.com" or "github.com/x" gets "https://". Whitespace and
    control characters anywhere are removed first (browsers ignore them, so
    " java\\tscript:" must be caught as javascript:).
    """
    if not isinstance(value, str):
        return None, None if value is None else "not text"
    if len(value) > URL_INPUT_MAX:
        return None, "too long"
    s = unicodedata.normalize("NFKC", value)
    # Like a browser's URL parser: tabs, newlines and controls anywhere vanish.
    s = re.sub(r"[\x00-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff]+", "", s).strip()
    if not s:
        return None, None
    if len(s) > URL_MAX:  # quoting below only lengthens it: refused before any pattern runs
        return None, "too long"
    if s.startswith("//"):
        s = "https:" + s
    m = _SCHEME.match(s)
    if m and not re.match(r"[^/]*:\d{1,5}(?:[/?#]|$)", s):
        scheme = m.group(1).lower()
        rest = s[m.end() :]
        if scheme in ("http", "https"):
            try:
                host = urlsplit(scheme + ":" + rest).hostname
            except ValueError:
                host = None
            if not host or not rest.startswith("//"):
                return None, "no host"
            s = scheme + ":" + rest
        elif scheme == "mailto":
            if not is_email(rest.split("?", 1)[0]):
                return None, "not an email address"
            s = "mailto:" + rest
        else:
            return None, f"scheme {scheme!r} is not allowed"
    elif is_email(s):
        s = "mailto:" + s
    elif _BARE_HOST.fullmatch(s):
        s = "https://" + s
    else:
        return None, "not a web address"
    s = quote(s, safe=_URL_SAFE)
    if len(s) > URL_MAX:
        return None, "too long"
    return s, None


def clean_email(value: object) -> str | None:
    s = clean_text(value)
    if not s:
        return None
    s = s.strip("<>").strip()
    if s.lower().startswith("mailto:"):
        s = s[7:]
    s = s.split("?", 1)[0]
    return s if is_email(s) else None


# --------------------------------------------------------------------------- field kinds
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


class InvalidResume(ValueError):
    """The document breaks the JSON Resume schema even after normalisation."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:5]))
        self.errors = errors


class _Normaliser:
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def value(self, kind: str, value: object, where: str) -> object:
        if kind == TEXT:
            out = clean_text(value)
        elif kind == LONG:
            out = clean_text(value, long=True)
        elif kind == EMAIL:
            out = clean_email(value)
            if out is None and value not in (None, ""):
                self.warn(f"{where}: not an email address; dropped.")
            return out
        elif kind == DATE:
            return self.date(value, where)
        elif kind == URL:
            url, problem = clean_url(value)
            if problem:
                self.warn(f"{where}: {problem}; link dropped.")
            return url
        else:  # TEXTS / LONGS
            return self.strings(value, long=kind == LONGS, where=where)
        if out is None and not isinstance(value, str | int | float | type(None)):
            self.warn(f"{where}: expected text; dropped.")
        return out

    def date(self, value: object, where: str) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, str) and is_present_word(value):
            return None
        out = parse_date(value)
        if out is None:
            self.warn(f"{where}: {str(value)[:40]!r} is not a date; dropped.")
        return out

    def strings(self, value: object, *, long: bool, where: str) -> list[str] | None:
        if isinstance(value, str):
            parts = value.split("\n") if long else re.split(r"[,;\n]", value)
        elif isinstance(value, list | tuple):
            parts = list(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            parts = [value]
        else:
            if value is not None:
                self.warn(f"{where}: expected a list; dropped.")
            return None
        out = []
        for part in parts[:LIST_MAX]:
            if isinstance(part, dict):  # object-valued keywords: {"name": "..."}
                part = part.get("name") or part.get("keyword") or part.get("title")
            text = clean_text(part, long=long)
            if text:
                out.append(text)
        return out or None

    def obj(self, item: object, spec: dict[str, str], legacy: dict[str, str], where: str) -> dict:
        if not isinstance(item, dict):
            return {}
        out: dict = {}
        for key, value in item.items():
            if not isinstance(key, str):
                continue
            target = legacy.get(key, key)
            if target not in spec or (target != key and target in item):
                continue  # unknown, or a legacy key whose v1 twin is present
            v = self.value(spec[target], value, f"{where}.{target}")
            if v not in (None, "", [], {}):
                out[target] = v
        return out

    def basics(self, value: object) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.warn("basics: expected an object; dropped.")
            return {}
        out = self.obj(value, BASICS, LEGACY["basics"], "basics")
        loc = value.get("location")
        if isinstance(loc, str):
            loc = {"address": loc}
        if isinstance(loc, dict):
            location = self.obj(loc, LOCATION, {"state": "region"}, "basics.location")
            cc = location.get("countryCode")
            if cc and len(cc) <= 3 and cc.isalpha():
                location["countryCode"] = cc.upper()
            if location:
                out["location"] = location
        profiles = value.get("profiles")
        if isinstance(profiles, dict):  # v0: {"github": "user", ...}
            profiles = [
                {"network": k, "username": v} if isinstance(v, str) else v
                for k, v in profiles.items()
            ]
        if isinstance(profiles, list):
            items = []
            for i, p in enumerate(profiles[:LIST_MAX]):
                if isinstance(p, str):
                    p = {"url": p}
                prof = self.obj(p, PROFILE, {}, f"basics.profiles[{i}]")
                if prof:
                    items.append(prof)
            if items:
                out["profiles"] = items
        elif profiles is not None:
            self.warn("basics.profiles: expected a list; dropped.")
        return out

    def section(self, name: str, value: object) -> list[dict]:
        if isinstance(value, dict) or (isinstance(value, str) and name in STRING_ITEM_KEY):
            value = [value]
        if not isinstance(value, list):
            if value is not None:
                self.warn(f"{name}: expected a list; dropped.")
            return []
        if len(value) > LIST_MAX:
            self.warn(f"{name}: only the first {LIST_MAX} entries were kept.")
        spec, legacy = SECTIONS[name], LEGACY.get(name, {})
        out = []
        for i, item in enumerate(value[:LIST_MAX]):
            if isinstance(item, str | int | float) and not isinstance(item, bool):
                key = STRING_ITEM_KEY.get(name)
                item = {key: item} if key else None
            if not isinstance(item, dict):
                self.warn(f"{name}[{i}]: not an entry; dropped.")
                continue
            entry = self.obj(item, spec, legacy, f"{name}[{i}]")
            if entry:
                out.append(entry)
        return out

    def run(self, doc: object) -> dict:
        if not isinstance(doc, dict):
            self.warn("The document is not a JSON Resume object; started from an empty one.")
            return {}
        out: dict = {}
        basics = self.basics(doc.get("basics"))
        if basics:
            out["basics"] = basics
        for key, value in doc.items():
            name = LEGACY_SECTIONS.get(key, key)
            if name == "basics":
                continue
            if name not in SECTIONS:
                if key not in ("$schema", "meta"):
                    self.warn(f"Unknown section {str(key)[:40]!r} dropped.")
                continue
            if name in out:
                continue
            items = self.section(name, doc.get(name, value))
            if items:
                out[name] = items
        return out


def normalise(doc: object) -> tuple[dict, list[str]]:
    """Return a cleaned copy of `doc` and warnings for what was dropped or fixed."""
    n = _Normaliser()
    try:
        out = n.run(doc)
    except RecursionError:  # absurdly nested input
        n.warn("The document is nested too deeply; started from an empty one.")
        out = {}
    return out, n.warnings


# --------------------------------------------------------------------------- validation
_validator = None


def _get_validator():
    global _validator
    if _validator is None:
        import jsonschema

        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    return _validator


def in_schema_order(doc: object, schema: dict | None = None) -> object:
    """`doc` with every object's keys in the order the schema lists them.

    Storage may not keep key order (PostgreSQL's jsonb does not); a document
    we hand out always reads basics first, name before email, and so on.
    """
    schema = _get_validator().schema if schema is None else schema
    if isinstance(doc, dict):
        props = schema.get("properties", {}) if isinstance(schema, dict) else {}
        known = [k for k in props if k in doc]
        rest = sorted(k for k in doc if k not in props)
        return {k: in_schema_order(doc[k], props.get(k, {})) for k in [*known, *rest]}
    if isinstance(doc, list):
        items = schema.get("items", {}) if isinstance(schema, dict) else {}
        return [in_schema_order(v, items) for v in doc]
    return doc


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(document)"


def validate(doc: dict) -> None:
    """Raise InvalidResume unless `doc` validates against the shipped schema."""
    errors = sorted(_get_validator().iter_errors(doc), key=lambda e: list(map(str, e.path)))
    if errors:
        raise InvalidResume([f"{_path(e.absolute_path)}: {e.message[:200]}" for e in errors])


def clean(doc: object) -> tuple[dict, list[str]]:
    """normalise() then validate(): what every extractor's output goes through."""
    doc, warnings = normalise(doc)
    validate(doc)
    return doc, warnings


# --------------------------------------------------------------------------- snapshot limits
# Free-text fields dropped, in this order, when a snapshot is still too large
# after cutting arrays; what remains are the essential fields (names, titles,
# dates, links).
FREE_TEXT_FIELDS = (
    "highlights",
    "description",
    "summary",
    "courses",
    "reference",
    "keywords",
    "roles",
)
NESTED_LISTS = ("highlights", "keywords", "courses", "roles", "profiles")
SECTION_WORDS = {
    "work": "work entries",
    "volunteer": "volunteer entries",
    "education": "education entries",
    "awards": "awards",
    "certificates": "certificates",
    "publications": "publications",
    "skills": "skills",
    "languages": "languages",
    "interests": "interests",
    "references": "references",
    "projects": "projects",
}


def _size(doc: dict) -> int:
    return len(json.dumps(doc, ensure_ascii=False).encode())


def _most_recent(items: list, n: int) -> list:
    """The n most recent items (by start date or date), kept in their order."""

    def key(i: int) -> str:
        item = items[i]
        if isinstance(item, dict):
            for k in DATE_KEYS:
                if isinstance(item.get(k), str):
                    return item[k]
        return ""

    dated = [i for i in range(len(items)) if key(i)]
    if not dated:
        return items[:n]
    order = sorted(range(len(items)), key=lambda i: (key(i), -i), reverse=True)
    keep = set(order[:n])
    return [item for i, item in enumerate(items) if i in keep]


def apply_snapshot_limits(doc: dict) -> tuple[dict, list[str]]:
    """Cut `doc` to SNAPSHOT_MAX_BYTES as SPEC E-6 says; notes say what was cut."""
    from django.conf import settings

    max_bytes = settings.SNAPSHOT_MAX_BYTES
    warn_bytes = settings.SNAPSHOT_WARN_BYTES
    max_items = max(1, settings.SNAPSHOT_MAX_ITEMS)
    if _size(doc) <= warn_bytes and _size(doc) <= max_bytes:
        return doc, []
    doc = copy.deepcopy(doc)
    notes: list[str] = []

    # 1. Every array to the max_items most recent items.
    for name in SECTIONS:
        items = doc.get(name)
        if isinstance(items, list) and len(items) > max_items:
            doc[name] = _most_recent(items, max_items)
            notes.append(
                f"Your CV had {len(items)} {SECTION_WORDS[name]}; "
                f"we kept the {max_items} most recent."
            )
    nested_cut = False
    for entries in _entry_lists(doc):
        for entry in entries:
            for key in NESTED_LISTS:
                if isinstance(entry.get(key), list) and len(entry[key]) > max_items:
                    entry[key] = entry[key][:max_items]
                    nested_cut = True
    if nested_cut:
        notes.append(f"Some lists (highlights, keywords, profiles) were cut to {max_items} items.")
    if _size(doc) <= max_bytes:
        return doc, notes

    # 2. Drop long free text, one kind of field at a time, until it fits.
    dropped = []
    for key in FREE_TEXT_FIELDS:
        found = False
        for entries in _entry_lists(doc, with_basics=key == "summary"):
            for entry in entries:
                if entry.pop(key, None) is not None:
                    found = True
        if found:
            dropped.append(key)
            if _size(doc) <= max_bytes:
                break
    if dropped:
        notes.append(
            "Your CV was too large to keep in full; we left out these texts to fit: "
            + ", ".join(dropped)
            + "."
        )
    if _size(doc) <= max_bytes:
        return doc, notes

    # 3. Last resort: shorten every text, then halve the lists until it fits.
    _shorten(doc, 120)
    while _size(doc) > max_bytes:
        longest = max(
            (name for name in SECTIONS if doc.get(name)),
            key=lambda name: len(doc[name]),
            default=None,
        )
        if longest is None or len(doc[longest]) <= 1:
            doc = {"basics": {k: v for k, v in doc.get("basics", {}).items() if k == "name"}}
            break
        doc[longest] = _most_recent(doc[longest], len(doc[longest]) // 2)
    notes.append("Some long texts were shortened and older entries left out to fit the size limit.")
    return doc, notes


def _entry_lists(doc: dict, with_basics: bool = True):
    for name in SECTIONS:
        if isinstance(doc.get(name), list):
            yield [e for e in doc[name] if isinstance(e, dict)]
    if with_basics and isinstance(doc.get("basics"), dict):
        yield [doc["basics"]]


def _shorten(value, cap: int):
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str) and len(v) > cap and not k.endswith(("url", "Date", "date")):
                value[k] = v[:cap]
            else:
                _shorten(v, cap)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if isinstance(v, str) and len(v) > cap:
                value[i] = v[:cap]
            else:
                _shorten(v, cap)

"""The basics of a CV: the name (and the lines it wraps onto), the label, the
contact block (email, phone, links, profiles), the location and the summary.
"""

from __future__ import annotations

import re

from . import contacts, places, scores
from .dates import find_range
from .headings import heading
from .line import Line
from .text import strip_html

_CONTACT_LABELS = re.compile(
    r"(?i)\b(?:website|web|homepage|site|blog|email|e-mail|mail|phone|tel|telefon|teléfono|"
    r"téléphone|mobile|mobil|cell|linkedin|github|gitlab|twitter|x|portfolio|location|address|region|city|country|ort|stadt|ciudad|ville|país|pays|land)\b\s*:?"
)


_CONTACT_PIECES = re.compile(r"\s+[•·|]\s+|\s{2,}|\t")


def _is_contact_line(text: str) -> bool:
    """A line made (almost) only of links, addresses, phone numbers and their labels."""
    r = find_range(text)
    if r and r.has_range:
        return False
    rest = contacts.URL_RE.sub(" ", contacts.EMAIL_RE.sub(" ", text))
    rest = contacts.PHONE_RE.sub(" ", rest)
    if rest == text:
        return False
    rest = _CONTACT_LABELS.sub(" ", rest)
    rest = re.sub(r"[\s·|•,;:()@/\-–]+", " ", rest).strip()
    return len(rest) <= 25 and len(rest.split()) <= 3


def _before_contacts(text: str) -> str:
    """The words of a contact line before its first address, number or link."""
    cut = len(text)
    for rx in (contacts.EMAIL_RE, contacts.URL_RE, contacts.PHONE_RE):
        m = rx.search(text)
        if m:
            cut = min(cut, m.start())
    return text[:cut].strip(" |·,;")


def find_name(segs: list[Line]) -> int | None:
    """A repeated name-like line (two-column renders print it twice), else the
    first one at the top, else the nearest one before the email address."""
    texts = [_name_head(s.text, s.cells) for s in segs]

    def name_ok(i: int) -> bool:
        # the whole line too, where it is one run: "Bay Area, CA, United
        # States" is no "name, label" ("Jane Roe <gap> Springfield, IL" is a name)
        return _name_ok(texts[i], texts[i], segs[i].text if len(segs[i].cells) <= 1 else "")

    for i in range(len(texts) - 1):
        if texts[i] == texts[i + 1] and name_ok(i):
            return i
    for i in range(1, min(8, len(segs))):
        if _rewritten_name(segs[i - 1].text, segs[i].cells) and name_ok(i):
            return i
    # (not a line of an entry: a two-column page may print the name after
    # the main column, whose first employer then stands among the top lines)
    top = next(
        (i for i in range(min(10, len(texts))) if name_ok(i) and segs[i].section not in _ENTRIES),
        None,
    )
    # "Marco" / "Bertolino": a name wrapped onto two lines at the top, above
    # any other line that reads as a name ("AADESH" / "MISTRY" / ... / "UX TOOLS")
    for i in range(min(4, len(texts) - 1, len(texts) if top is None else top)):
        if name_text(segs, i)[1] and not heading(texts[i]) and not _place(texts[i]):
            return i
    email_line = None  # found once, where it is needed
    if top is not None and segs[top].section in _LISTS:
        email_line = _email_line(texts)
    if email_line is not None and top is not None:
        # "HTML Master" under a side column's heading read first: the line
        # right above the contact block, where the line model reads a name there
        above = _name_above_contacts(segs, texts, email_line, name_ok)
        if above is not None and segs[above].probs.get("name", 0.0) >= 0.5:
            return above
    if top is not None:
        return top
    # The model's choice among the first lines, where it is sure.
    scored = [(s.probs.get("name", 0.0), i) for i, s in enumerate(segs[:15]) if s.probs]
    if scored:
        p, i = max(scored)
        if p >= 0.5 and contacts.looks_like_name(texts[i]) and not heading(texts[i]):
            return i
    if email_line is None:
        email_line = _email_line(texts)
    if email_line is not None:
        # ("Jane" / "Martin" / label / e-mail: a name wrapped onto two lines
        # in a side column is read whole)
        return next(
            (
                i
                for i in range(email_line, max(-1, email_line - 12), -1)
                if name_ok(i) or _wrapped_name(segs, texts, i)
            ),
            None,
        )
    return None


def _email_line(texts: list[str]) -> int | None:
    return next((i for i, t in enumerate(texts) if contacts.EMAIL_RE.search(t)), None)


# Sections of short capitalised items ("React Native", "Google Cloud"), each
# of which reads as a name.
_LISTS = frozenset(("skills", "languages", "interests", "certificates", "awards", "references"))


def _name_above_contacts(segs: list[Line], texts: list[str], email: int, name_ok) -> int | None:
    """The line right above the e-mail address (on line `email`) and the
    place, phone and links printed with it, where it is a name (or a name's
    first line, wrapped)."""
    k = email - 1
    while k >= 0 and email - k <= 4 and (_is_contact_line(segs[k].text) or _place(segs[k].text)):
        k -= 1
    if k < 0 or segs[k].range or heading(texts[k]):
        return None
    if name_ok(k):
        return k
    if k > 0 and name_text(segs, k - 1)[1] and name_ok(k - 1):
        return k - 1  # "Jane Roe" / "MARTIN": a name wrapped onto the line above the contacts
    return None


def _wrapped_name(segs: list[Line], texts: list[str], i: int) -> bool:
    joined, more = name_text(segs, i)
    return bool(more) and _name_ok(joined, texts[i]) and not _place(texts[i])


_ENTRIES = frozenset(
    ("work", "education", "volunteer", "projects", "awards", "certificates", "publications")
)
_NAME_TAIL = re.compile(r"\s+[|–—]\s+.*$|,\s.*$")


def _place(text: str) -> bool:
    return bool(places.parse_location(text) or places.parse_spaced_location(text))


def _name_head(text: str, cells: tuple[str, ...] = ()) -> str:
    """The name at the start of a line: before a label ("Eric Kim | Software
    Consultant", "Eric Kim, Consultant"), the first of its runs ("Eric Kim
    <gap> Toronto"), once when a two-column layout printed it twice."""
    words = text.split()
    half = len(words) // 2
    if half and len(words) % 2 == 0 and words[:half] == words[half:]:
        return " ".join(words[:half])
    if (
        len(cells) > 1
        and len(cells[-1].split()) > len(cells[0].split())
        and cells[-1].split()[-len(cells[0].split()) :] == cells[0].split()
        and contacts.looks_like_name(cells[-1])
    ):
        return cells[-1]  # "Martin <gap> Jane Martin": the end of a wrapped name, then the name
    return _name_before_tail(text, cells)


def _rewritten_name(above: str, cells: tuple[str, ...]) -> bool:
    """A name wrapped in large type and printed again whole beside its last
    line: "Jane" / "Martin <gap> Jane Martin"."""
    if len(cells) < 2:
        return False
    whole = " ".join(f"{above} {cells[0]}".split())
    return " ".join(cells[-1].split()) == whole and contacts.looks_like_name(cells[-1])


def _name_before_tail(text: str, cells: tuple[str, ...]) -> str:
    if len(cells) > 1 and contacts.looks_like_name(cells[0]):
        return cells[0]  # before the tail: "Jane Roe <gap> Springfield, IL" is no "name, label"
    head = _NAME_TAIL.sub("", text)
    if head != text and contacts.looks_like_name(head):
        return head
    return text


def _continues_name(so_far: list[str], raw: str, head: str, model_name: bool = False) -> bool:
    """Whether a line of the top continues the name above it: "Marco" /
    "Bertolino", a long name wrapped ("Ana Maria Lopez" / "Garcia"),
    "ANA MARIA" / "LOPEZ" in capitals, a word a line ("Aaron" / "Pérez" /
    "Aguilera"), the name's end before a label ("Ana Maria" / "Lopez Garcia
    | Engineer"), or a line the line model reads as part of the name
    (`model_name`: "Adelis Jose" / "Trocoso")."""
    n, b = sum(len(p.split()) for p in so_far), len(head.split())
    if not 1 <= b <= 3 or n + b > 5:
        return False
    if head != raw or model_name and head != " ".join(so_far):
        return True  # (the name printed twice, "Jane Roe" / "Jane Roe", is once)
    capitals = all(p.isupper() for p in [*so_far, head])
    # (all in one case: "Jane" / "ROE" / "Figma" is a name, then a skill)
    a_word_a_line = b == 1 and n == len(so_far) and len({p.isupper() for p in [*so_far, head]}) == 1
    return b <= 2 and (n == 1 or n >= 3 or capitals or a_word_a_line)


def _name_ok(joined: str, last: str, raw: str = "") -> bool:
    """Whether `joined` is a name; `last` is what the line `raw` added to it
    (never a place: "Jane Roe" / "United States, Portland, OR")."""
    return (
        contacts.looks_like_name(joined)
        and scores.title_score(joined) == 0
        and scores.company_score(joined) == 0
        and scores.institution_score(joined) == 0
        and not heading(last)
        and places.parse_location(last) is None
        and places.parse_location(raw or last) is None
        and places.parse_spaced_location(raw or last) is None  # "Macomb MI US"
        and last.casefold() not in places.COUNTRIES
    )


def name_text(segs: list[Line], i: int) -> tuple[str, int]:
    """The name found on line `i`, and how many lines below it it goes on."""
    parts = [_name_head(segs[i].text, segs[i].cells)]
    for j in (i + 1, i + 2):
        if j >= len(segs) or segs[j].range:
            break
        head = _name_head(segs[j].text, segs[j].cells)
        joined = " ".join([*parts, head])
        model_name = segs[j].probs.get("name", 0.0) >= 0.8
        if not (
            _continues_name(parts, segs[j].text, head, model_name)
            and _name_ok(joined, head, segs[j].text)
        ):
            break
        parts.append(head)
    return " ".join(parts), len(parts) - 1


def city_of_current_place(entries: list[dict]) -> str | None:
    """No address printed: the city in the name of the latest school or
    employer ("University of Lowtown"), a guess marked low."""

    def recency(e: dict) -> tuple:
        end = e.get("endDate")
        return (end is None, end or "", e.get("startDate") or "")

    for e in sorted(entries, key=recency, reverse=True)[:2]:
        city = places.place_in_name(e.get("name") or e.get("institution") or "")
        if city:
            return city
    return None


def read_basics(
    segs: list[Line], name_i: int | None, name: str | None = None, name_lines: int = 1
) -> dict:
    texts = [s.text for s in segs]
    top = set(range(min(12, len(segs))))
    for i, s in enumerate(segs):
        if s.section in (None, "contact", "profiles") and not s.used:
            top.add(i)
    contact_idx = [
        i
        for i, t in enumerate(texts)
        if len(t) <= 160
        and _is_contact_line(t)
        and (segs[i].section in (None, "contact", "profiles") or i in top)
    ]
    basics: dict = {}

    emails = contacts.find_emails(texts)
    if emails:
        basics["email"] = emails[0]
    email_line = next((i for i, t in enumerate(texts) if emails and emails[0] in t), None)

    near = set(top)
    if email_line is not None:
        near.update(range(max(0, email_line - 6), min(len(segs), email_line + 7)))
    phone = contacts.find_phone([texts[i] for i in sorted(near)]) or contacts.find_phone(
        [texts[i] for i in contact_idx]
    )
    if phone:
        basics["phone"] = phone

    # Links: on contact lines, or short lines of the top area.
    url_lines = [
        texts[i]
        for i in sorted(set(contact_idx) | top)
        if len(texts[i]) <= 160 and not (segs[i].range and segs[i].range.has_range)
    ]
    urls = contacts.find_urls(contacts.join_wrapped_urls(url_lines))
    profiles, site = [], None
    for u in urls:
        prof = contacts.profile_from_url(u)
        if prof:
            if all(p.get("url") != u for p in profiles):
                profiles.append(prof)
        elif site is None:
            site = u
        elif all(p.get("url") != u for p in profiles):
            profiles.append(contacts.site_profile(u))
    side = {i for i, s in enumerate(segs) if s.section in (None, "contact", "profiles", "summary")}
    for prof in contacts.find_handle_profiles([texts[i] for i in sorted(near | top | side)]):
        if not any(p["network"] == prof["network"] for p in profiles):
            profiles.append(prof)
    if site:
        basics["url"] = site
    if profiles:
        basics["profiles"] = profiles

    how: dict = {}
    basics["_how"] = how
    if site:
        how["url"] = site
    how["printed"] = [u for u in urls]
    if name_i is not None:
        basics["name"] = name or texts[name_i]
        how["name"] = "high" if name_i <= 2 and segs[name_i].section is None else "low"
        j = name_i + 1 + (name_lines - 1)  # past the lines the name wrapped onto
        while j < len(texts) and texts[j] == texts[name_i]:
            j += 1
        if j < len(texts) and scores.header_like(texts[j]) and not _is_contact_line(texts[j]):
            label = texts[j]
            if j + 1 < len(texts) and label.endswith(("|", "-", "bei", "at", "en")):
                label = label + " " + texts[j + 1]
            basics["label"] = label.strip(" |")

    # Location: the first "City, Country" line among the contact lines, or
    # the words before the first address or number of a contact line
    # ("Springfield, Freedonia +1 555 0100 jane@example.org").
    loc_idx = sorted(near | set(contact_idx))
    for i in loc_idx:
        if segs[i].used and i != name_i:
            continue  # (the name's own line may go on with the place)
        t = re.sub(r"\s{2,}.*$", "", texts[i])
        loc = None
        if i == name_i and len(segs[i].cells) > 1:
            # "Jane Roe  <pin icon> Springfield, IL, US": the name's run is no
            # part of the place; the place is one of the runs after it
            loc = next(filter(None, map(places.parse_location, segs[i].cells[1:])), None)
        loc = loc or places.parse_location(texts[i]) or places.parse_location(t)
        if not loc:
            loc = places.parse_location(_before_contacts(texts[i]))
        if not loc:
            # "jane@example.org · +1 555 0100 · Springfield, IL, US · example.org",
            # or the same pieces as separate runs of one row
            pieces = [*_CONTACT_PIECES.split(texts[i]), *segs[i].cells]
            loc = next(filter(None, map(places.parse_location, pieces)), None)
        if not loc:
            loc = places.parse_address(texts[i])
        if not loc:
            loc = places.parse_labelled_city(texts[i])
        if not loc and scores.title_score(texts[i]) == 0:
            loc = next(
                filter(None, map(places.parse_spaced_location, [texts[i], *segs[i].cells])), None
            )
        if loc:
            basics["location"] = loc
            how["city"] = "high" if loc.get("countryCode") else "low"
            break
    if "location" not in basics and email_line is not None:
        # A lone place name among the contact lines: "Springfield" between
        # the summary and the email address.
        block = [i for i in range(max(0, email_line - 3), min(len(texts), email_line + 4))]
        for i in block:
            t = texts[i]
            if (
                i != name_i
                and not segs[i].used
                and segs[i].section in (None, "contact", "summary")
                and (i - 1 in contact_idx or i + 1 in contact_idx)
                and i not in contact_idx
                and re.fullmatch(r"[^\W\d_][\w'’.-]*(?: [^\W\d_][\w'’.-]*){0,2}", t)
                and t[0].isupper()
                and not heading(t)
                and scores.title_score(t) == 0
                and scores.header_like(t)
                and t != basics.get("label")
                and not _CONTACT_LABELS.fullmatch(t)
            ):
                basics["location"] = {"city": t}
                break

    summary = [strip_html(s.text) for s in segs if s.section == "summary" and not s.used]
    if summary:
        text = " ".join(summary)
        basics["summary"] = re.sub(r"\s+", " ", text)[:3000]
    return basics

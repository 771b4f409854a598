"""Entries of a CV: work and education blocks, skills, languages."""

from __future__ import annotations

import re

from ..learned import context as learned
from .dates import DateRange, find_range, remove_range
from .headings import heading
from .text import strip_bullet, strip_html

TITLE_WORDS = set(
    [
        "engineer",
        "engineering",
        "developer",
        "programmer",
        "manager",
        "lead",
        "leader",
        "head",
        "director",
        "intern",
        "internship",
        "consultant",
        "analyst",
        "architect",
        "designer",
        "scientist",
        "researcher",
        "research",
        "assistant",
        "owner",
        "founder",
        "cofounder",
        "co-founder",
        "cto",
        "ceo",
        "cfo",
        "coo",
        "vp",
        "president",
        "officer",
        "specialist",
        "administrator",
        "admin",
        "freelancer",
        "freelance",
        "contractor",
        "teacher",
        "tutor",
        "professor",
        "lecturer",
        "student",
        "mentor",
        "maintainer",
        "member",
        "coordinator",
        "technician",
        "operator",
        "associate",
        "staff",
        "senior",
        "junior",
        "principal",
        "sre",
        "devops",
        "partner",
        "advisor",
        "editor",
        "writer",
        "trainer",
        "instructor",
        "supervisor",
        "representative",
        "agent",
        "executive",
        "chief",
        "pentester",
        "tester",
        "qa",
        "webmaster",
        "fellow",
        "volunteer",
        "programmierer",
        "entwickler",
        "softwareentwickler",
        "ingenieur",
        "leiter",
        "berater",
        "werkstudent",
        "praktikant",
        "geschäftsführer",
        "mitarbeiter",
        "ingeniero",
        "desarrollador",
        "programador",
        "jefe",
        "consultor",
        "analista",
        "becario",
        "arquitecto",
        "director",
        "développeur",
        "developpeur",
        "ingénieur",
        "ingenieur",
        "chef",
        "stagiaire",
        "responsable",
        "directeur",
        "chercheur",
        "desenvolvedor",
        "engenheiro",
        "programador",
        "sviluppatore",
        "ingegnere",
        "programmatore",
        "responsabile",
        "ontwikkelaar",
        "programmeur",
        "adviseur",
        "programista",
        "inżynier",
        "kierownik",
        "разработчик",
        "инженер",
        "программист",
        "руководитель",
        "менеджер",
    ]
)
TITLE_SUBSTRINGS = (
    "工程师",
    "开发",
    "经理",
    "总监",
    "实习",
    "负责人",
    "主管",
    "架构师",
    "设计师",
    "エンジニア",
    "開発",
    "マネージャー",
    "担当",
)
COMPANY_WORDS = set(
    [
        "gmbh",
        "inc",
        "inc.",
        "llc",
        "ltd",
        "ltd.",
        "limited",
        "s.l.",
        "s.l",
        "s.a.",
        "s.a",
        "sa",
        "ag",
        "corp",
        "corp.",
        "corporation",
        "co.",
        "company",
        "group",
        "technologies",
        "technology",
        "labs",
        "lab",
        "solutions",
        "systems",
        "bank",
        "studio",
        "agency",
        "holding",
        "holdings",
        "partners",
        "consulting",
        "software",
        "services",
        "foundation",
        "gbr",
        "ug",
        "kg",
        "plc",
        "pvt",
        "bv",
        "b.v.",
        "nv",
        "n.v.",
        "oy",
        "ab",
        "as",
        "spa",
        "s.p.a.",
        "srl",
        "s.r.l.",
        "sas",
        "sarl",
    ]
)
COMPANY_SUBSTRINGS = ("公司", "科技", "集团", "株式会社", "有限会社")
INSTITUTION_WORDS = (
    "university",
    "universität",
    "universitat",
    "universidad",
    "université",
    "universite",
    "universidade",
    "università",
    "universiteit",
    "uniwersytet",
    "университет",
    "college",
    "school",
    "schule",
    "hochschule",
    "fachhochschule",
    "institute",
    "institut",
    "instituto",
    "istituto",
    "academy",
    "akademie",
    "academia",
    "école",
    "ecole",
    "escuela",
    "escola",
    "politecnico",
    "polytechnic",
    "polytechnique",
    "gymnasium",
    "lycée",
    "liceo",
    "iut",
    "tu ",
    "eth ",
    "epfl",
    "mit",
    "campus",
    "faculty",
    "fakultät",
    "facultad",
    "faculté",
    "business school",
    "conservatory",
    "seminar",
)
INSTITUTION_SUBSTRINGS = ("大学", "学院", "学校", "中学", "高中", "大學", "高校", "専門学校")
DEGREE_WORDS = (
    "bachelor",
    "bachelors",
    "bachelor's",
    "master",
    "masters",
    "master's",
    "bsc",
    "msc",
    "b.sc",
    "m.sc",
    "b.s.",
    "m.s.",
    "b.a.",
    "m.a.",
    "b.eng",
    "m.eng",
    "beng",
    "meng",
    "mba",
    "phd",
    "ph.d",
    "doctor",
    "doctorate",
    "dr.",
    "diploma",
    "diplom",
    "associate degree",
    "high school",
    "abitur",
    "fachhochschulreife",
    "hochschulreife",
    "ausbildung",
    "licence",
    "licenciatura",
    "licenciado",
    "grado",
    "máster",
    "maestría",
    "doctorado",
    "ingénieur",
    "dut",
    "bts",
    "baccalauréat",
    "laurea",
    "dottorato",
    "mestrado",
    "doutorado",
    "bacharelado",
    "magister",
    "inżynier",
    "licencjat",
    "бакалавр",
    "магистр",
    "специалист",
    "aspirant",
    "degree",
    "certificate",
    "gcse",
    "a-levels",
    "a levels",
    "bs ",
    "ms ",
    "ba ",
    "ma ",
    "mres",
    "mphil",
    "dea",
    "dess",
)
DEGREE_SUBSTRINGS = ("本科", "学士", "硕士", "博士", "专科", "研究生", "修士", "大専")
LEVEL_WORDS = set(
    [
        "expert",
        "advanced",
        "intermediate",
        "beginner",
        "basic",
        "master",
        "proficient",
        "experienced",
        "familiar",
        "novice",
        "fluent",
        "native",
        "good",
        "excellent",
        "strong",
        "working",
        "elementary",
        "professional",
        "fortgeschritten",
        "grundkenntnisse",
        "experte",
        "avanzado",
        "intermedio",
        "básico",
        "experto",
        "avancé",
        "débutant",
        "confirmé",
        "intermédiaire",
        "avançado",
        "básico",
        "esperto",
        "intermedio",
    ]
)
FLUENCY_WORDS = set(
    [
        "native",
        "fluent",
        "proficient",
        "advanced",
        "intermediate",
        "basic",
        "beginner",
        "elementary",
        "conversational",
        "bilingual",
        "business",
        "professional",
        "working",
        "limited",
        "full",
        "c1",
        "c2",
        "b1",
        "b2",
        "a1",
        "a2",
        "mother",
        "tongue",
        "muttersprache",
        "fließend",
        "verhandlungssicher",
        "gut",
        "grundkenntnisse",
        "sehr",
        "nativo",
        "nativa",
        "fluido",
        "fluida",
        "avanzado",
        "intermedio",
        "básico",
        "bilingüe",
        "natif",
        "native",
        "courant",
        "bilingue",
        "intermédiaire",
        "débutant",
        "notions",
        "madrelingua",
        "fluente",
        "ottimo",
        "buono",
        "moedertaal",
        "vloeiend",
        "goed",
        "ojczysty",
        "biegły",
        "podstawowy",
        "родной",
        "свободно",
        "母语",
        "流利",
        "熟练",
        "良好",
        "ネイティブ",
        "流暢",
        "speaker",
    ]
)
# " at " between two words of a line ("Engineer at Acme"). Searched from the
# second character on: a lazy `^(.+?)\s+at\s+(.+)$` re-scanned every run of
# spaces from each of its positions, quadratic on a long run (SPEC S-4).
_SPLIT_AT = re.compile(r"\s(?:at|@|bei|chez|en|presso|bij|в|às|na|no)\s+\S", re.IGNORECASE)
_ABBREV_END = re.compile(r"(?:^|\s)(?:[\w]{1,4}\.|(?:\w\.){2,})$")
_HTML_ANY = re.compile(r"<[^>]*>?|&[a-z]+;")
_CONTINUATION = re.compile(r"^(?:and|of|for|und|für|de|du|des|y|e|et|di|del|van|voor)\s+\S")
_BARE_DOMAIN = re.compile(
    r"(?:https?://)?(?:www\.)?(?:[a-z0-9-]+\.)+[a-z]{2,12}(?:/\S*)?", re.IGNORECASE
)
_URL_IN = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def _words(s: str) -> list[str]:
    return re.findall(r"[\w.&'-]+", s.casefold())


def _is_title_word(w: str) -> bool:
    """A title word, also inside a compound: "Software-Entwickler", "Senior-Entwickler"."""
    w = w.strip(".-()")
    return w in TITLE_WORDS or "-" in w and any(p in TITLE_WORDS for p in w.split("-") if p)


# Grades and ranks that may follow a title's head noun: "Developer II", "Engineer 3", "Lead Sr."
_RANK = re.compile(r"^(?:i{1,3}|iv|v|vi{1,3}|[1-9]|sr|jr|senior|junior|lead|principal)$")


def title_score(s: str) -> int:
    words = _words(s)
    n = sum(1 for w in words if _is_title_word(w))
    return n + sum(1 for sub in TITLE_SUBSTRINGS if sub in s)


def role_score(s: str) -> int:
    """How much `s` reads as a job title rather than an employer: title words
    count, company words count against, and a title word at the end (the
    head noun: "Software Engineer", "Systems Engineer", also before a rank:
    "Software Developer II") counts twice more."""
    words = [w.strip(".-()") for w in _words(s)]
    while len(words) > 1 and _RANK.match(words[-1]):
        words.pop()
    head = 2 if words and _is_title_word(words[-1]) else 0
    return title_score(s) - company_score(s) + head


def company_score(s: str) -> int:
    words = _words(s)
    n = sum(1 for w in words if w in COMPANY_WORDS)
    if re.search(r"\.(com|io|ai|net|org|de|co)\b", s.casefold()):
        n += 1
    return n + sum(1 for sub in COMPANY_SUBSTRINGS if sub in s)


def _word_set_re(words) -> re.Pattern:
    """One pattern finding, at every position, one of `words` as a whole word
    (longest first); overlapping words are found too."""
    alts = sorted({w.strip() for w in words}, key=len, reverse=True)
    return re.compile(r"(?=(?<!\w)(" + "|".join(re.escape(w) for w in alts) + r")(?!\w))")


_INSTITUTION_RE = _word_set_re(INSTITUTION_WORDS)
_DEGREE_RE = _word_set_re(DEGREE_WORDS)


def _count_words(rx: re.Pattern, s: str) -> int:
    """How many different words of `rx` occur in `s` as whole words."""
    return len(set(rx.findall(s.casefold())))


def institution_score(s: str) -> int:
    n = _count_words(_INSTITUTION_RE, s)
    return n + sum(1 for sub in INSTITUTION_SUBSTRINGS if sub in s)


def degree_score(s: str) -> int:
    n = _count_words(_DEGREE_RE, s)
    return n + sum(1 for sub in DEGREE_SUBSTRINGS if sub in s)


# --------------------------------------------------------------------------- lines
class Line:
    __slots__ = ("text", "section", "range", "used", "cells", "indented", "probs")

    def __init__(
        self,
        text: str,
        section: str | None,
        cells: tuple[str, ...] = (),
        indented: bool = False,
        probs: dict[str, float] | None = None,
    ) -> None:
        self.text = text
        # the line model's label probabilities for the line it came from, or {}
        self.probs = probs or {}
        self.section = section
        self.range: DateRange | None = None
        self.used = False
        # indented by a tab (a list item under its name, as word processors write it)
        self.indented = indented
        # the separate runs the line is made of (kept apart by a wide gap), or ()
        self.cells = cells if len(cells) > 1 and " ".join(cells) == text else ()


def _is_contactish(text: str) -> bool:
    """A line of the contact block: an address, phone number, link or place."""
    return bool(
        re.search(r"@|https?://|www\.|\+?\d[\d\s().-]{6,}\d", text)
        or re.fullmatch(r"[\w .,'’-]{1,40}", text) is not None
        and len(text.split()) <= 3
        and "," in text
    )


def segment(
    lines: list[str],
    runs: list[tuple[str, ...]] | None = None,
    indented: list[bool] | None = None,
    probs: list[dict[str, float]] | None = None,
) -> list[Line]:
    """Lines with the section each falls in; heading lines become section marks.

    Two layout rules on top of "a heading starts a section":

    - a heading with nothing under it (the next line is another heading) that
      stands right after lines of the contact block or of no section is a
      side-column label printed below its content (two-column themes paint the
      label after the block): those lines, back to the previous heading and
      not contact data, take its section;
    - "A <dates 1> B" followed by a line of bare dates: B heads the next entry
      (two entries side by side rejoined into one row), so it becomes a line
      of its own.
    """
    heads = [heading(raw) for raw in lines]
    if probs:
        heads = [h or _model_heading(raw, p) for raw, h, p in zip(lines, heads, probs, strict=True)]
    out: list[Line] = []
    section = None
    for k, raw in enumerate(lines):
        h = heads[k]
        cells = runs[k] if runs and k < len(runs) else ()
        if h and h[1] and len(cells) > 1 and not _rest_is_runs(h[1], cells):
            h = None  # "Social Engineering  SAST": the heading word is part of a run
        if h and _continues_skill_group(h, section, out) and not _fluency_follows(lines, k):
            h = None  # "Programming" / "Languages": a skill group's wrapped name
        if h and h[1] and len(cells) <= 1 and _label_in_entries(raw, h, section):
            h = None  # "Skills: Go · Rust" inside a job or an interest: a label
        if h and h[1] and len(cells) <= 1 and h[0] in ("contact", "profiles"):
            h = None  # "Social Engineering": an ambiguous word opening a line
        if h and _wraps_group_name(raw, h, section, out):
            out[-1].text = out[-1].text + " " + raw.strip()  # "Leadership &" / "Skills"
            continue
        if h:
            section, rest = h
            if not rest:
                nxt = heads[k + 1] if k + 1 < len(heads) else ("end", "")
                if nxt and not nxt[1] and section not in ("contact", "profiles"):
                    _claim_block_above(out, section)
                continue
            raw = rest
            cells = next((cells[i:] for i in range(len(cells)) if " ".join(cells[i:]) == rest), ())
        line = Line(
            raw,
            section,
            cells,
            bool(indented and k < len(indented) and indented[k]),
            probs[k] if probs else None,
        )
        r = find_range(raw)
        if r and (r.has_range or len(remove_range(raw, r)) <= 2 or r.span[0] == 0):
            line.range = r
        elif r is None and len(cells) > 1:
            line.range = _cell_date(raw, cells)
        if line.range and _model_prose(raw, line.range, line.probs):
            line.range = None  # "Coding since 2004, professionally since 2010": a sentence
        out.append(line)
    out = _split_side_by_side(out)
    if probs:
        _claim_skill_blocks(out)
    return out


def _cell_date(raw: str, cells: tuple[str, ...]) -> DateRange | None:
    """A date that is a whole run of its line, the first or the last ("Course
    title  2025" with the year at a tab stop), placed in `raw`; a lone year
    beside text is otherwise taken for part of a sentence."""
    for cell, at in ((cells[-1], raw.rfind(cells[-1])), (cells[0], raw.find(cells[0]))):
        r = find_range(cell)
        if r is None or at < 0 or len(remove_range(cell, r)) > 2:
            continue
        return DateRange(r.start, r.end, r.present, (at + r.span[0], at + r.span[1]))
    return None


def _claim_skill_blocks(lines: list[Line]) -> None:
    """Skills printed with no heading (an icon, a side column after the
    contact block): a run of lines outside any section that the line model
    reads as skills, with the short group names between them, is the skills
    section."""
    n, i = len(lines), 0
    while i < n:
        ln = lines[i]
        if ln.section not in (None, "contact", "profiles") or ln.probs.get("skill", 0) < 0.7:
            i += 1
            continue
        j, found = i, 0
        while j < n and lines[j].section in (None, "contact", "profiles"):
            p = lines[j].probs.get("skill", 0)
            if p >= 0.5:
                found += 1
            elif not (
                len(lines[j].text.split()) <= 3
                and j + 1 < n
                and lines[j + 1].probs.get("skill", 0) >= 0.5
            ):
                break
            j += 1
        if found >= 2:
            start = (
                i - 1 if i and len(lines[i - 1].text.split()) <= 3 and not lines[i - 1].range else i
            )
            for k in range(max(start, 0), j):
                if lines[k].section in (None, "contact", "profiles"):
                    lines[k].section = "skills"
        i = max(j, i + 1)


_MODEL_SECTIONS = {
    "head_work": "work",
    "head_education": "education",
    "head_skills": "skills",
    "head_languages": "languages",
    # a heading of a section the extractor does not read: its dated lines
    # are not taken for jobs
    "head_other": "projects",
}


def _model_heading(raw: str, probs: dict[str, float]) -> tuple[str, str] | None:
    """A heading the word lists do not know ("Where I worked", an icon and a
    word in another language), taken where the line model is sure."""
    t = raw.strip()
    if not t or len(t) > 40 or any(c.isdigit() for c in t) or len(t.split()) > 5:
        return None
    label = max(_MODEL_SECTIONS, key=lambda k: probs.get(k, 0.0))
    if probs.get(label, 0.0) < learned.HEADING_P:
        return None
    return (_MODEL_SECTIONS[label], "")


def _model_prose(raw: str, rng: DateRange, probs: dict[str, float]) -> bool:
    """A sentence with a date in it, not an entry's date line, where the line
    model is sure: many words besides the dates ("Mar 2019 - Apr 2022 3 years
    1 month" is a date line)."""
    n, other = len(remove_range(raw, rng).split()), probs.get("other", 0.0)
    return n > 9 and other >= learned.PROSE_P or n > 5 and other >= learned.PROSE_SURE_P


def _rest_is_runs(rest: str, cells: tuple[str, ...]) -> bool:
    """Whether a heading's `rest` is the line's last runs: the heading is a run
    of its own ("Skills  Python  Go"), not the start of a longer run."""
    return any(" ".join(cells[i:]) == rest for i in range(1, len(cells)))


def _fluency_follows(lines: list[str], k: int) -> bool:
    """A fluency word ("Native", "C1", "Courant") in the lines right after line k."""
    for t in lines[k + 1 : k + 5]:
        words = re.findall(r"[^\W\d_]+\d?", t.casefold())
        if any(w in FLUENCY_WORDS for w in words):
            return True
    return False


def _continues_skill_group(h: tuple[str, str], section: str | None, out: list[Line]) -> bool:
    if section != "skills" or h[0] != "languages" or h[1] or not out:
        return False
    prev = out[-1].text
    return out[-1].section == "skills" and len(prev.split()) == 1 and not prev.endswith((".", ":"))


_ENTRY_LIKE = ("work", "projects", "volunteer", "interests", "awards", "education", "publications")


def _label_in_entries(raw: str, h: tuple[str, str], section: str | None) -> bool:
    """ "Skills: Go, Rust" under a job or an interest names what the entry
    used: a label of the entry, not a new section."""
    first = raw.split(":", 1)[0] if ":" in raw else ""
    return (
        section in _ENTRY_LIKE
        and h[0] != section
        and bool(first)
        and len(first.split()) <= 2
        and raw[len(first) + 1 :].strip() == h[1]
    )


def _wraps_group_name(raw: str, h: tuple[str, str], section: str | None, out: list[Line]) -> bool:
    """A skills heading word alone, inside the skills section, right after a
    short group name: the end of that name ("Leadership & Communication" /
    "Skills"), not the section's heading again."""
    if h[1] or h[0] != "skills" or section != "skills" or not out or raw.isupper():
        return False
    prev = out[-1]
    t = prev.text
    return (
        prev.section == "skills"
        and not prev.range
        and not prev.cells
        and len(t.split()) <= 4
        and not t.endswith((".", ":", ",", "·"))
        and _KW_SPLIT.search(t) is None
    )


def _claim_block_above(out: list[Line], section: str) -> None:
    j = len(out) - 1
    claimed = []
    while j >= 0 and out[j].section in (None, "contact") and not _is_contactish(out[j].text):
        if out[j].range:
            return
        claimed.append(j)
        j -= 1
    if j >= 0 and out[j].section not in (None, "contact"):
        return
    for c in claimed:
        out[c].section = section


def _split_side_by_side(out: list[Line]) -> list[Line]:
    res: list[Line] = []
    for k, ln in enumerate(out):
        r = ln.range
        nxt = out[k + 1] if k + 1 < len(out) else None
        if (
            r
            and r.has_range
            and nxt is not None
            and nxt.range
            and nxt.range.has_range
            and not _clean_part(remove_range(nxt.text, nxt.range))
            and r.span[1] < len(ln.text)
        ):
            tail = _clean_part(ln.text[r.span[1] :])
            if tail and header_like(tail, 70) and not _URL_IN.search(ln.text[r.span[1] :]):
                head = Line(ln.text[: r.span[1]].strip(), ln.section)
                head.range = find_range(head.text)
                res.append(head)
                res.append(Line(tail, ln.section))
                continue
        res.append(ln)
    return res


def header_like(text: str, max_len: int = 90) -> bool:
    t = text.strip()
    if not t or len(t) > max_len or heading(t):
        return False
    if t.endswith((";", "。")) or t.endswith(".") and not _ABBREV_END.search(t):
        return False
    if t[0].islower() and not _lower_name(t) or t[0] in "•·-–*(" or "@" in t:
        return False
    if find_range(t):
        return False
    if len(t.split()) > 12:
        return False
    return not _URL_IN.fullmatch(t)


def _lower_name(t: str) -> bool:
    """A short name written in lower case, not the end of a sentence:
    "widget2go", "acme-werke IT-Service GmbH", "iOS Developer"."""
    words = t.split()
    return (
        len(words) <= 4
        and not t.endswith((",", ":", ";"))
        and (any(c.isupper() or c.isdigit() for c in t) or company_score(t) > 0)
    )


_MARKUP = re.compile(r"<a\s+href=|</a>", re.IGNORECASE)


def _unclosed_markup(s: str) -> bool:
    """A line cut inside printed HTML: "... <a" or "<a href='...'>Name" with no "</a>"."""
    low = s.casefold()
    return low.rstrip().endswith("<a") or low.count("<a ") > low.count("</a>")


def _clean_part(s: str) -> str:
    if _MARKUP.search(s):
        # A theme that prints the owner's HTML as text: the value is printed so.
        return re.sub(r"\s+", " ", s).strip(" ,;:|·•-–—")
    s = _HTML_ANY.sub("", strip_html(s))
    s = _URL_IN.sub("", s)
    return re.sub(r"\s+", " ", s).strip(" ,;:|·•-–—")


def _split_at(s: str) -> tuple[str, str] | None:
    if not _SPLIT_AT.search(s, 1):
        return None
    # the last " at " wins: "Engineer - 18 months / Lead - 13 months at Remote"
    idx = max(
        s.rfind(f" {w} ")
        for w in ("at", "@", "bei", "chez", "en", "presso", "bij", "в", "às", "na", "no")
    )
    a, b = s[:idx].strip(), s[idx:].strip().split(" ", 1)[-1].strip()
    if not a or not b:
        return None
    return a, b


# --------------------------------------------------------------------------- entries
ENTRY_SECTIONS = (
    "work",
    "education",
    "volunteer",
    "projects",
    "awards",
    "certificates",
    "publications",
    "references",
    "interests",
    "languages",
)


def entries(lines: list[Line]) -> tuple[list[dict], list[dict]]:
    """Work and education entries, each anchored on a line with a date range."""
    anchors = [i for i, ln in enumerate(lines) if ln.range]
    work: list[dict] = []
    education: list[dict] = []
    bounds = []
    for n, i in enumerate(anchors):
        prev = anchors[n - 1] if n else -1
        nxt = anchors[n + 1] if n + 1 < len(anchors) else len(lines)
        bounds.append((prev, i, nxt))
    detached = _detached_headers(lines, anchors)
    attributes = _attribute_lines(lines, anchors)
    templates = _section_templates(lines, bounds, attributes)
    bodies: list[tuple[dict, int, int]] = []
    for prev, i, nxt in bounds:
        ln = lines[i]
        if (
            ln.section
            in (
                "skills",
                "languages",
                "interests",
                "references",
                "summary",
                "awards",
                "certificates",
                "publications",
            )
            and not ln.range.has_range
        ):
            continue
        if i in detached:
            parts, consumed = [detached[i]], []
        else:
            parts, consumed = _header_parts(
                lines, prev, i, nxt, attributes, templates.get(ln.section)
            )

        text = " ".join(p for p in parts)
        if not parts:
            continue
        is_edu = (
            ln.section == "education"
            or degree_score(text) > 0
            or (institution_score(text) > 0 and title_score(text) == 0)
        )
        if ln.section == "education" and title_score(text) > degree_score(text) + institution_score(
            text
        ):
            is_edu = False
        if (
            ln.section
            in ("projects", "volunteer", "awards", "certificates", "publications", "references")
            and not is_edu
        ):
            continue
        for j in consumed:
            lines[j].used = True
        ln.used = True
        entry = _education(parts) if is_edu else _work(parts)
        if not entry:
            continue
        if not is_edu:
            _complete_work(entry, lines, prev, i, nxt)
        entry["startDate"] = ln.range.start
        if ln.range.end:
            entry["endDate"] = ln.range.end
        entry["_conf"] = entry_confidence(entry, "education" if is_edu else "work", ln)
        if not is_edu:
            bodies.append((entry, i, nxt))
        (education if is_edu else work).append(entry)
    for entry, i, nxt in bodies:  # after every entry took its title lines
        body = _body(lines, i + 1, nxt)
        if body:
            entry["highlights"] = body
    _inherit_employer(work)
    return work, education


def _inherit_employer(work: list[dict]) -> None:
    """Several roles at one employer print its name once, above the first:
    a role with a title but no employer, right after one with an employer,
    is at the same employer."""
    for before, entry in zip(work, work[1:], strict=False):
        if entry.get("position") and not entry.get("name") and before.get("name"):
            entry["name"] = before["name"]
            entry.setdefault("_conf", {})["name"] = "low"


def _section_templates(
    lines: list[Line], bounds: list[tuple[int, int, int]], attributes: set[int]
) -> dict[str, tuple[int, int]]:
    """Per section, where its entries print their title lines, read off its
    first entry: (lines between the heading and its dates, lines its own
    reading takes below them). One layout prints every entry of a section the
    same way, so every entry takes its title lines at the same places instead
    of the next entry's (or the previous one's) by what they look like. A
    first entry dated on its title line, or with no heading right above it,
    sets nothing."""
    out: dict[str, tuple[int, int]] = {}
    seen: set[str | None] = set()
    for prev, i, nxt in bounds:
        ln = lines[i]
        if ln.section in seen:
            continue
        seen.add(ln.section)
        if ln.section is None or _clean_part(remove_range(ln.text, ln.range)):
            continue
        k = i - 1
        while k >= 0 and lines[k].section == ln.section and not lines[k].range:
            k -= 1
        if k >= 0 and lines[k].section == ln.section:
            continue  # a dated line of another kind above: no heading to count from
        above = sum(1 for j in range(k + 1, i) if not lines[j].used)
        _, consumed = _header_parts(lines, prev, i, nxt, attributes)
        below = sum(1 for j in consumed if j > i)
        if above or below:
            out[ln.section] = (above, below)
    return out


def _header_parts(
    lines: list[Line],
    prev: int,
    i: int,
    nxt: int,
    attributes: set[int] | frozenset = frozenset(),
    template: tuple[int, int] | None = None,
) -> tuple[list[str], list[int]]:
    ln = lines[i]
    rest = _clean_part(remove_range(ln.text, ln.range))
    if template is not None and not rest:
        parts, consumed = _header_parts(lines, prev, i, nxt, attributes)
        above = sum(1 for k in consumed if k < i)
        below = sum(1 for k in consumed if k > i)
        if (
            (below and not template[1])
            or (above and not template[0])
            or above < min(template[0], _most_parts(ln, []))
        ):
            return _template_parts(lines, prev, i, nxt, attributes, template)
        return parts, consumed
    if rest and _split_at(rest):
        more = _wrapped_rest(lines, i, nxt)
        if more:  # "Developer at Widgetry and" / "Sons (Europe)": a full line wrapped
            return [_clean_part(_join_wrapped(rest, lines[i + 1].text))], [i + 1]
        return [rest], []
    nxt_line = lines[i + 1].text if i + 1 < nxt else ""
    if (
        not rest
        and nxt_line
        and header_like(nxt_line)
        and len(nxt_line.split()) <= 12
        and not _continues(nxt_line)
        and _split_at(_clean_part(nxt_line))
    ):
        return [_clean_part(nxt_line)], [i + 1]
    above = lines[i - 1] if i - 1 > prev else None
    if not rest and above and not above.used and _header_line(above.text):
        whole = _clean_part(above.text)
        if _split_at(whole):  # "Engineer at Acme" right above the dates
            return [whole], [i - 1]
    if not rest and ln.section != "education":
        block = _wrapped_title_block(lines, prev, i)
        if block:
            return block
    parts: list[tuple[int, str]] = []
    if rest and len(rest) > 1:
        parts.append((i, rest))
    consumed = []
    if rest and ln.section != "education":
        # "Acme 2020 – 2022" / (acme.com) / "Senior Engineer": the title below
        k = i + 1
        while k < nxt and _BARE_DOMAIN.fullmatch(lines[k].text.strip()):
            k += 1
        if (
            k < nxt
            and not lines[k].range
            and header_like(lines[k].text, 70)
            and title_score(lines[k].text) > title_score(rest)
            and not _heads_next_dates(lines, k)
        ):
            return [rest, _clean_part(lines[k].text)], [k]
    j = i - 1
    limit = prev + 1
    while j >= limit and len(parts) < _most_parts(ln, parts) and not lines[j].used:
        if j - 1 >= limit and not lines[j - 1].used and _unclosed_markup(lines[j - 1].text):
            # "<a href='...'>Acme</a> / <a" / "href='...'>Widgetry</a>": printed HTML, wrapped
            parts.insert(0, (j - 1, _clean_part(lines[j - 1].text + " " + lines[j].text)))
            consumed.extend([j, j - 1])
            j -= 2
            continue
        if (
            _CONTINUATION.match(lines[j].text)
            and j - 1 >= limit
            and not lines[j - 1].used
            and header_like(lines[j - 1].text, 70)
            and len(lines[j].text) <= 40
        ):
            # "Springfield Academy of Mathematics" / "and Science"
            parts.insert(0, (j - 1, _clean_part(lines[j - 1].text + " " + lines[j].text)))
            consumed.extend([j, j - 1])
            j -= 2
            continue
        if not _header_line(lines[j].text) or _model_body_line(lines[j]):
            break
        if lines[j].section != ln.section and lines[j].section is not None and ln.section:
            break
        text = _clean_part(lines[j].text)
        if j - 1 >= limit and _continues(lines[j - 1].text) and _header_line(lines[j - 1].text):
            # "Leading University, Springfield," / "Freedonia": one wrapped line
            text = _clean_part(_join_wrapped(lines[j - 1].text, text))
            consumed.append(j - 1)
            j -= 1
        parts.insert(0, (j, text))
        consumed.append(j)
        j -= 1
        if len(parts) == 1 and ln.section != "education" and _whole_header(text):
            return [text], consumed  # "Engineer, Acme" says all: the line above is not ours
    j = i + 1
    while j < nxt and len(parts) < _most_parts(ln, parts) and not lines[j].range:
        if _BARE_DOMAIN.fullmatch(lines[j].text.strip()) or j in attributes:
            j += 1  # the employer's web address or the place printed under the dates
            continue
        if not header_like(lines[j].text, 70) and not _model_title_line(lines[j]):
            break
        if _model_body_line(lines[j]):
            break
        if ln.section and lines[j].section != ln.section:
            break
        if _heads_next_dates(lines, j):
            break
        t = _clean_part(lines[j].text)
        if len(t.split()) > 8:
            break
        parts.append((j, t))
        consumed.append(j)
        j += 1
    if (
        ln.section == "education"
        and j < nxt
        and not lines[j].range
        and not lines[j].used
        and header_like(lines[j].text, 90)
        and all(k >= i for k, _ in parts)
        and not any(_institution_like(p) for _, p in parts)
        and _institution_like(lines[j].text)
        and not _heads_next_dates(lines, j)
    ):
        # "B.Arch" / "Architecture" / "University of Oregon" under the dates
        parts.append((j, _clean_part(lines[j].text)))
        consumed.append(j)
    return [p for _, p in sorted(parts) if p], consumed


def _template_parts(
    lines: list[Line],
    prev: int,
    i: int,
    nxt: int,
    attributes: set[int] | frozenset,
    template: tuple[int, int],
) -> tuple[list[str], list[int]]:
    """An entry's title lines where its section's first entry had them
    (`_section_templates`): up to as many lines right above the dates, and
    right below them."""
    ln = lines[i]
    above, below = template
    taken: list[tuple[int, str]] = []
    j = i - 1
    while j > prev and len(taken) < min(above, _most_parts(ln, [])) and not lines[j].used:
        if lines[j].section != ln.section or not _header_line(lines[j].text):
            break
        if _model_body_line(lines[j]):
            break
        taken.insert(0, (j, _clean_part(lines[j].text)))
        j -= 1
    j, n = i + 1, 0
    if not above:  # every title line below the dates: as many as an entry has
        below = _most_parts(ln, [])
    most = _most_parts(ln, []) if not above else _most_parts(ln, taken)
    while j < nxt and n < below and len(taken) < most and not lines[j].range:
        if _BARE_DOMAIN.fullmatch(lines[j].text.strip()) or j in attributes:
            j += 1
            continue
        if not header_like(lines[j].text, 70) and not _model_title_line(lines[j]):
            break
        if _model_body_line(lines[j]) or lines[j].section != ln.section:
            break
        if len(lines[j].text.split()) > 8:
            break
        taken.append((j, _clean_part(lines[j].text)))
        j += 1
        n += 1
        if len(taken) == 1 and ln.section != "education" and _split_at(taken[0][1]):
            break  # "Engineer at Acme" says all
    if not taken:
        return _header_parts(lines, prev, i, nxt, attributes)
    return [t for _, t in taken], [k for k, _ in taken]


def _model_title_line(ln: Line) -> bool:
    """A long title line ("Senior Engineer, Acme Widgets Ltd (Springfield,
    Freedonia)") the line model reads as an entry's title, where it is sure."""
    return sum(ln.probs.get(k, 0.0) for k in learned.TITLE_LABELS) >= 0.6 and header_like(
        ln.text, 120
    )


def _model_body_line(ln: Line) -> bool:
    """A line of an entry's text (a highlight, a sentence), no title, where the
    line model is sure: "Built a tool for clinical trials" above the next dates."""
    return ln.probs.get("other", 0.0) >= learned.BODY_P


def _most_parts(ln: Line, parts: list[tuple[int, str]]) -> int:
    """Title lines an entry takes: two (employer and title), for education
    three (institution, area, degree) until a degree is among them."""
    if ln.section == "education" and not any(degree_score(p) for _, p in parts):
        return 3
    return 2


def _institution_like(text: str) -> bool:
    if institution_score(text) > 0:
        return True
    p = learned.phrase(text)
    return p is not None and p.get("institution", 0) >= 0.5


def _wrapped_rest(lines: list[Line], i: int, nxt: int) -> bool:
    """The line after a full-width title line is its wrapped end: short, not a
    sentence, and the title line as long as the section's long lines; or the
    title line stops inside printed HTML."""
    if i + 1 >= nxt or lines[i + 1].range or lines[i + 1].used:
        return False
    if _unclosed_markup(lines[i].text):
        return True
    t = lines[i + 1].text.strip()
    if len(t.split()) > 5 or t.endswith((".", ":")) or _prose(t) or not header_like(t, 60):
        return False
    same = sorted(len(ln.text) for ln in lines if ln.section == lines[i].section)
    if len(same) < 4:
        return False
    return len(lines[i].text) >= same[len(same) * 3 // 4]


def _join_wrapped(a: str, b: str) -> str:
    """Two parts of one wrapped line: "Leading University, Lowtown," + "Freedonia"
    keeps its comma; "Full Stack Developer -" + "Acme" its dash."""
    a, b = a.rstrip(), b.lstrip(", ")
    if a.endswith(","):
        return a.rstrip(",") + ", " + b
    return a + " " + b


def _whole_header(text: str) -> bool:
    """A title line naming both the position and the employer."""
    if _split_at(text):
        return True
    return ", " in text and title_score(text.rsplit(", ", 1)[0]) > 0


def _wraps_into(a: str, b: str) -> bool:
    """Line b goes on with the phrase of line a (narrow columns wrap titles):
    a ends open ("-", "&", "of"), b opens with "(" / "&" / lower case, b is a
    lone word, or a holds no title word and b starts with one ("Custom Game"
    / "Developer - ...")."""
    first = b.split()[0] if b.split() else ""
    return (
        _continues(a)
        or b[:1] in "(&/"
        and b[:1] != ""
        or b[:1].islower()
        or len(b.split()) == 1
        or title_score(a) == 0
        and _is_title_word(first.casefold())
    )


def _prose(t: str) -> bool:
    """A line of a sentence, not a name: it ends with a full stop after
    several words, or most of its words are lower case ("Creation of layouts
    using Sass, Bootstrap and jQuery")."""
    words = t.split()
    if len(words) <= 4:
        return False
    lower = sum(1 for w in words if w[:1].islower())
    return t.endswith(".") or lower * 2 >= len(words)


def _wrapped_title_block(
    lines: list[Line], prev: int, i: int
) -> tuple[list[str], list[int]] | None:
    """Employer, then a title wrapped over two or more lines, then a line of
    bare dates (narrow columns): ["Acme", "Senior Site Reliability &",
    "Engineer"] -> employer "Acme", title "Senior Site Reliability & Engineer"."""
    block: list[int] = []
    j = i - 1
    while j > prev and len(block) < 5 and not lines[j].used and not lines[j].range:
        t = lines[j].text.strip()
        if len(t) > 60 or lines[j].section != lines[i].section or _prose(t):
            break
        if not (header_like(t, 60) or t[:1] in "(&" and not t.endswith(".")):
            break
        block.insert(0, j)
        j -= 1
    if len(block) < 3:
        return None
    texts = [lines[k].text.strip() for k in block]
    tail = texts[1:]
    if not all(_wraps_into(a, b) for a, b in zip(tail, tail[1:], strict=False)):
        return None
    title = tail[0]
    for t in tail[1:]:
        title = _join_wrapped(title, t)
    return [_clean_part(texts[0]), _clean_part(title)], block


def _attribute_lines(lines: list[Line], anchors: list[int]) -> set[int]:
    """Lines printed right under the dates of several entries with the same
    text ("Lowtown", "Remote"): a place or a kind of work, not a title."""
    after: dict[str, list[int]] = {}
    for i in anchors:
        if i + 1 < len(lines) and not lines[i + 1].range:
            t = lines[i + 1].text.strip()
            if len(t.split()) <= 4 and title_score(t) == 0 and company_score(t) == 0:
                after.setdefault(t, []).append(i + 1)
    return {j for js in after.values() if len(js) >= 2 for j in js}


def _header_line(text: str) -> bool:
    """A title line: short, or a longer "Area, Degree, Institution" list."""
    if header_like(text, 70):
        return True
    if not (text.count(", ") >= 2 or _split_at(text) is not None) or len(text) > 120:
        return False
    return header_like(re.sub(r"[\s\-–/|]+", " ", text)[:70], 70) and not text.endswith(".")


_OPEN_WORDS = (
    " and",
    " und",
    " y",
    " et",
    " e",
    " of",
    " de",
    " del",
    " da",
    " do",
    " des",
    " der",
    " die",
    " with",
    " for",
    " to",
    " the",
    " in",
    " con",
    " en",
    " para",
    " por",
    " mit",
    " für",
    " von",
    " avec",
    " pour",
    " dans",
    " con",
    " per",
    " met",
    " voor",
    " van",
)


def _continues(text: str) -> bool:
    """A line cut short, its phrase going on on the next line."""
    t = text.rstrip()
    return t.endswith((",", "&", "/", " -")) or t.casefold().endswith(_OPEN_WORDS)


def _heads_next_dates(lines: list[Line], j: int) -> bool:
    """Line j stands right before a line of bare dates: it is that entry's title."""
    if j + 2 < len(lines) and _CONTINUATION.match(lines[j + 1].text) and lines[j + 2].range:
        j += 1  # "Eastvale Academy of Mathematics" / "and Science" / dates
    if j + 1 >= len(lines) or not lines[j + 1].range:
        return False
    nxt = lines[j + 1]
    return not _clean_part(remove_range(nxt.text, nxt.range))


def _squash_name(s: str) -> str:
    s = re.sub(r"^(?:https?://)?(?:www\.)?", "", s.casefold())
    return re.sub(r"[^\w]+", "", s)


# An employer's web address is printed beside its dates, within the first
# characters of the line: the patterns below see no more (a run of "a-a-a-..."
# made the bare-domain pattern restart after every "-": quadratic).
DOMAIN_SCAN_MAX = 300


def _domain_labels(text: str) -> list[str]:
    text = text[:DOMAIN_SCAN_MAX]
    out = []
    for u in _URL_IN.findall(text) + re.findall(
        r"(?<![\w@.])(?:[\w-]+\.)+[a-z]{2,6}(?:/\S*)?", text
    ):
        host = re.sub(r"^(?:https?://)?(?:www\.)?", "", u.casefold()).split("/")[0]
        labels = host.split(".")[:-1]
        out.extend(re.sub(r"[^\w]+", "", lab) for lab in labels if len(lab) >= 3)
    return out


def _complete_work(entry: dict, lines: list[Line], prev: int, i: int, nxt: int) -> None:
    """Fill a missing company or position from around the entry.

    - company missing, the anchor line names a website: a stand-alone line
      elsewhere whose letters are the site's name ("north-star.example" ->
      "North Star") is the company; wrapped title lines before the date
      are the position.
    - position missing: the line after an earlier mention of the company
      above the date ("www.acme.com" / "Senior Engineer" / ... / "Acme 2020 –").
    """
    ln = lines[i]
    if "name" not in entry:
        labels = [lab for lab in _domain_labels(ln.text) if lab not in ("com", "www")]
        if labels:
            for other in lines:
                if other.used or other.range or not header_like(other.text, 60):
                    continue
                sq = _squash_name(other.text)
                if sq and any(sq == lab or (len(sq) >= 4 and lab.startswith(sq)) for lab in labels):
                    entry["name"] = other.text.strip()
                    break
        if "name" in entry:
            before = []
            j = i - 1
            while (
                j > prev
                and len(before) < 2
                and not lines[j].used
                and header_like(lines[j].text, 60)
            ):
                if not before and title_score(lines[j].text) == 0:
                    break
                if before and len(lines[j].text) > 40:
                    break
                before.insert(0, lines[j].text)
                j -= 1
            pos = entry.get("position", "")
            if before and not pos:
                entry["position"] = " ".join(before)
            elif before and pos and len(before) == 1 and len(pos.split()) <= 1:
                entry["position"] = before[0] + " " + pos
    if "position" not in entry and entry.get("name"):
        target = _squash_name(entry["name"])
        for j in range(prev + 1, i):
            sq = _squash_name(lines[j].text)
            if sq and len(lines[j].text) <= 60 and (sq == target or sq.startswith(target)):
                if j + 1 < i and header_like(lines[j + 1].text, 70) and not lines[j + 1].range:
                    entry["position"] = lines[j + 1].text
                    lines[j + 1].used = True
                break


def _detached_headers(lines: list[Line], anchors: list[int]) -> dict[int, str]:
    """Two-column renders read out of order print "Title, Company" lines apart
    from their dates. When several such lines stand away from any date, give
    them, in order, to the dated entries of the section that have no title."""
    anchor_set = set(anchors)
    cands = []
    for j, ln in enumerate(lines):
        t = ln.text.strip()
        if ln.range or ln.used or ", " not in t or not header_like(t, 80):
            continue
        if ln.section not in (None, "work", "education"):
            continue
        left = t.rsplit(", ", 1)[0]
        if title_score(left) > 0 and degree_score(t) == 0 and len(t.split(", ")) == 2:
            cands.append((j, "work", t))
        elif t.count(", ") >= 2 and degree_score(t) > 0:
            cands.append((j, "education", t))
    out: dict[int, str] = {}
    for kind in ("work", "education"):
        own = [c for c in cands if c[1] == kind]
        far = [c for c in own if c[0] - 1 not in anchor_set and c[0] + 1 not in anchor_set]
        if len(own) < 2 or len(far) * 2 < len(own):
            continue
        targets = []
        for a in anchors:
            if lines[a].section != kind:
                continue
            rest = _clean_part(remove_range(lines[a].text, lines[a].range))
            if not rest:
                targets.append(a)
        for (j, _, t), a in zip(own, targets, strict=False):
            out[a] = t
            lines[j].used = True
    return out


# Where an entry's header joins its pieces: "Acme — Engineer", "Engineer | Acme",
# "Engineer @ Acme", "Acme, Springfield".
_PIECE_SEP = re.compile(r"\s+(?:[—–|·•@]|-{1,2}|at)\s+|,\s+|\s{2,}")
_PIECE_TAIL = re.compile(r"(?i)^(?:inc|llc|ltd|gmbh|s\.?a|s\.?l|ag|co|corp|plc|b\.?v)\.?$")


def _part_pieces(part: str) -> list[tuple[str, str]]:
    """(piece, the separator before it) of one header part; a legal form
    after a comma ("Acme, Inc.") stays with its name."""
    bits = _split_outside_brackets(part)
    out: list[tuple[str, str]] = []
    sep = ""
    for k, bit in enumerate(bits):
        if k % 2:
            sep = bit
            continue
        x = bit.strip(" ,;|·•")
        if not x:
            continue
        if out and _PIECE_TAIL.match(x):
            out[-1] = (f"{out[-1][0]}{sep}{x}", out[-1][1])
        else:
            out.append((x, sep))
    return out if 1 < len(out) <= 4 else [(part, "")]


def _split_outside_brackets(part: str) -> list[str]:
    """`part` split at its separators, as `re.split` with the separators kept,
    except inside brackets: "Acme (Springfield, IL) — Engineer"."""
    depth, inside = 0, []
    for ch in part:
        depth = depth + 1 if ch == "(" else max(0, depth - 1) if ch == ")" else depth
        inside.append(depth > 0)
    bits, last = [], 0
    for m in _PIECE_SEP.finditer(part):
        if inside[m.start()]:
            continue
        bits.extend([part[last : m.start()], m.group(0)])
        last = m.end()
    bits.append(part[last:])
    return bits


def header_pieces(parts: list[str]) -> list[str]:
    """The parts of an entry's header cut where separators join them."""
    return [x for p in parts for x, _ in _part_pieces(p)]


def _work_by_model(parts: list[str]) -> tuple[dict, float] | None:
    """Title and employer among the header's pieces, by the phrase model, where
    it is sure; None to let the rules decide."""
    pieces = header_pieces(parts)
    probs = [learned.phrase(x) for x in pieces]
    if not probs or probs[0] is None:
        return None
    if len(pieces) == 1:
        p = probs[0]
        if p.get("position", 0) >= 0.6:
            return {"position": pieces[0]}, p["position"]
        if p.get("employer", 0) >= 0.6:
            return {"name": pieces[0]}, p["employer"]
        return None
    # Which piece reads most as the title and which as the employer, each
    # measured against the other (an employer the model never saw still reads
    # less as a title than "Senior Engineer" does).
    best, best_score = None, 0.0
    for i, pi in enumerate(probs):
        for j, pj in enumerate(probs):
            if i != j and not _DURATION.match(pieces[j]):
                score = (
                    pi.get("position", 0)
                    - pj.get("position", 0)
                    + pj.get("employer", 0)
                    - pi.get("employer", 0)
                )
                if score > best_score:
                    best, best_score = (i, j), score
    if best is None or best_score < learned.PAIR_MARGIN:
        return None
    i_pos, j_emp = best
    position = _span(parts, probs, i_pos, j_emp, "position")
    name = _without_place(_span(parts, probs, j_emp, i_pos, "employer"))
    return {"position": position, "name": name}, best_score


_DURATION = re.compile(r"^\(?\d+(?:[.,]\d+)?\+?\s+[^\W\d_]+\)?$")


def _span(parts: list[str], probs: list[dict], center: int, other: int, kind: str) -> str:
    """Piece `center` with its neighbours of the same part that are neither
    the other field, a place, nor a duration ("Acme - Games Division",
    "Leader, Developer & Consultant"), rejoined with their own separators."""
    spans: list[list[tuple[int, str, str]]] = []
    n = 0
    for p in parts:
        spans.append([])
        for piece, sep in _part_pieces(p):
            spans[-1].append((n, piece, sep))
            n += 1
    group = next(g for g in spans if any(k == center for k, _, _ in g))
    pieces = {k: (piece, sep) for k, piece, sep in group}
    opposite = "employer" if kind == "position" else "position"

    def joinable(k: int, towards: int) -> bool:
        sep = pieces[max(k, towards)][1].strip().casefold()
        return (
            k != other
            and sep not in ("at", "@", "|", "—", "–")
            and pieces[k][0] != pieces[towards][0]
            and not _DURATION.match(pieces[k][0])
            and probs[k].get("location", 0) < 0.5
            and probs[k].get(opposite, 0) < 0.5
        )

    idx = [k for k, _, _ in group]
    at = idx.index(center)
    lo = hi = at
    while lo > 0 and joinable(idx[lo - 1], idx[lo]):
        lo -= 1
    while hi + 1 < len(idx) and joinable(idx[hi + 1], idx[hi]):
        hi += 1
    text = ""
    for pos in range(lo, hi + 1):
        _, piece, sep = group[pos]
        text = piece if pos == lo else f"{text}{sep}{piece}"
    return text


_TRAILING_PAREN = re.compile(r"\s*\(([^()]{2,40})\)\s*$")


def _without_place(name: str) -> str:
    """ "Acme (Springfield)", "Acme (Remote)": the employer without the place
    in brackets after it, where the phrase model reads it as a place."""
    m = _TRAILING_PAREN.search(name)
    if not m or m.start() == 0:
        return name
    p = learned.phrase(m.group(1))
    if p is not None and p.get("location", 0) >= 0.5:
        return name[: m.start()]
    if re.search(r"(?i)\b(?:remote|remoto|télétravail|hybrid)\b", m.group(1)):
        return name[: m.start()]
    return name


def _work(parts: list[str]) -> dict:
    """Title and employer of a job's header parts: the rules, and where they
    find only one of the two, or cannot tell which is which, the model."""
    ruled = _work_by_rules(parts)
    if len(parts) >= 2 and role_score(parts[0]) == role_score(parts[1]):
        order = learned.work_order(parts[0], parts[1])
        if order is not None:
            a, b = parts[0], parts[1]
            return {"position": a, "name": b} if order else {"position": b, "name": a}
    by_model = _work_by_model(parts)
    if by_model is None:
        return ruled
    model, sure = by_model
    if "name" in ruled and "position" in ruled and sure < learned.OVERRULE_MARGIN:
        return ruled  # the rules found both; the model is not sure enough to differ
    return model


def _work_by_rules(parts: list[str]) -> dict:
    if len(parts) == 1:
        p = parts[0]
        s = _split_at(p)
        if s:
            return {"position": s[0], "name": s[1]}
        if ", " in p and title_score(p.rsplit(", ", 1)[0]) > 0:
            a, b = p.rsplit(", ", 1)
            return {"position": a, "name": b}
        if role_score(p) > 0:
            return {"position": p}
        return {"name": p}
    a, b = parts[0], parts[1]
    sa, sb = role_score(a), role_score(b)
    if sb > sa:
        return {"position": b, "name": a}
    return {"position": a, "name": b}


# A degree written first: "BS", "B.S.", "M.Sc.", "PhD", "High School", "Bachelor
# of Science", "Master of Arts", "Diplom-Ingenieur" ... the rest of the line is the area.
_DEGREE = (
    r"(?:(?:bachelor|master|doctor)(?:'?s)?(?:\s+of\s+(?:[\w.]+\s+)?"
    r"(?:science|arts|engineering|business administration|laws|fine arts|philosophy|"
    r"technology|education|computer applications|commerce))?"
    r"|ph\.?\s?d\.?|mba|b\.?\s?sc\.?|m\.?\s?sc\.?|b\.?\s?s\.?|m\.?\s?s\.?|b\.?\s?a\.?|m\.?\s?a\.?"
    r"|b\.?\s?eng\.?|m\.?\s?eng\.?|b\.?\s?tech\.?|m\.?\s?tech\.?|m\.?\s?res\.?|m\.?\s?phil\.?"
    r"|high school(?: diploma)?|diplom(?:a)?(?:-\w+)?|licence|licenciatura|grado|máster|master"
    r"|maestría|doctorado|laurea(?: magistrale| triennale)?|mestrado|bacharelado|dut|bts"
    r"|magister|licencjat|бакалавр|магистр|学士|硕士|博士|本科|修士)"
)
# A degree written first: "BS", "B.S.", "M.Sc.", "PhD", "High School", "Bachelor
# of Science", "Master of Arts", "Diplom-Ingenieur", "Bachelor & Master" ... the
# rest of the line is the area.
_DEGREES = _DEGREE + r"(?:\s*(?:&|/|\+|and|und|et|y|e)\s*" + _DEGREE + r")?"
_DEGREE_HEAD = re.compile(
    r"^(?P<deg>" + _DEGREES + r")"
    r"(?:\s*[:,\-–]\s*|\s+(?:in|en|em|im|of|de|in der)\s+|\s+)(?P<area>\S.*)$",
    re.IGNORECASE,
)
_DEGREE_ONLY = re.compile(_DEGREES, re.IGNORECASE)
# "Degree in Area": the first " in " of a stripped line, tried only where a run
# of spaces starts, so that no run is scanned once per position inside it.
_DEGREE_IN = re.compile(r"(?<!\s)\s+(?:in|en|em|im|in der|en el)\s+(.+)$")
_PLACE_PIECE = re.compile(r"^[^\W\d_][\w'’.-]*(?: [^\W\d_][\w'’.-]*){0,2}$")


def split_degree(text: str) -> tuple[str, str | None]:
    """(studyType, area) of a degree line: "BS Computer Science" -> ("BS",
    "Computer Science"); "Bachelor of Science: Physics" -> ("Bachelor of
    Science", "Physics"); "Master in Data Science" -> ("Master", "Data Science")."""
    t = text.strip()
    # "Degree: Area" at the first colon after the first character (string
    # operations: a lazy `^(.+?)\s*:` is quadratic on a long run of spaces)
    colon = min((k for k in (t.find(":", 1), t.find("：", 1)) if k >= 0), default=-1)
    if 0 < colon < len(t) - 1 and degree_score(t[:colon]) > 0:
        return t[:colon].strip(), t[colon + 1 :].strip()
    if _DEGREE_ONLY.fullmatch(t):
        return t, None
    m = _DEGREE_HEAD.match(t)
    if m and m.group("area") and not re.match(r"(?i)^(?:&|and|und|y|et)(?:\s|$)", m.group("area")):
        area = m.group("area").strip(" ,;-–")
        if area and degree_score(area) == 0 or area and len(area.split()) > 2:
            return m.group("deg").strip(), area
    m = _DEGREE_IN.search(t)
    if m and degree_score(t[: m.start()]) > 0:
        return t[: m.start()].strip(), m.group(1).strip()
    by_model = learned.split_degree(t.split())
    if by_model is not None:
        return by_model
    return t, None


def _education_by_model(parts: list[str]) -> dict | None:
    """Institution, degree and field among the header's pieces, by the phrase
    model, where it is sure of the institution; None to let the rules decide."""
    pieces = header_pieces(parts)
    probs = [learned.phrase(x) for x in pieces]
    if not probs or probs[0] is None:
        return None
    inst = max(range(len(pieces)), key=lambda k: probs[k].get("institution", 0))
    if probs[inst].get("institution", 0) < 0.5:
        return None
    # "Leading University, Springfield, Freedonia": the places after a school's
    # name in its own part stay with it, as the rules keep them.
    owner = [n for n, p in enumerate(parts) for _ in _part_pieces(p)]
    tail = [k for k in range(inst + 1, len(pieces)) if owner[k] == owner[inst]]
    places = (
        tail
        if tail
        and all(
            probs[k].get("location", 0) >= 0.5
            or _PLACE_PIECE.match(pieces[k])
            and degree_score(pieces[k]) == 0
            and institution_score(pieces[k]) == 0
            and probs[k].get("area", 0) < 0.5
            for k in tail
        )
        else []
    )
    out: dict = {"institution": ", ".join(pieces[x] for x in [inst, *places])}
    roles = ("studyType", "area", "location", "other")
    rest = [k for k in range(len(pieces)) if k != inst and k not in places]
    kinds = {k: max(roles, key=lambda r: probs[k].get(r, 0)) for k in rest}
    study = [k for k in rest if kinds[k] == "studyType"]
    area = [k for k in rest if kinds[k] == "area"]
    if len(area) >= 2 and not study:
        # two fields: the more degree-like one is the degree
        k = max(area, key=lambda k: probs[k].get("studyType", 0))
        study, area = [k], [x for x in area if x != k]
    if study and area:
        out.update(studyType=pieces[study[0]], area=pieces[area[0]])
    elif study or area:
        k = (study or area)[0]
        s, a = split_degree(pieces[k])
        if a:
            out.update(studyType=s, area=a)
        elif study:
            out["studyType"] = s
        else:
            out["area"] = s
    return out


def _education(parts: list[str]) -> dict:
    """School, degree and field of an education header's parts: the rules,
    and where they miss the school or both degree and field, the model."""
    ruled = _education_by_rules(parts)
    complete = ruled.get("institution") and (ruled.get("studyType") or ruled.get("area"))
    if not (complete and (ruled.get("area") or institution_score(ruled["institution"]) > 0)):
        ruled = _education_by_model(parts) or ruled
    if ruled.get("area") and not ruled.get("studyType"):
        # "Associate of Science Computer Science": degree and field in one piece
        split = learned.split_degree(ruled["area"].split())
        if split and split[1]:
            ruled["studyType"], ruled["area"] = split
    return ruled


def _education_by_rules(parts: list[str]) -> dict:
    out: dict = {}
    pieces: list[str] = []
    for p in parts:
        s = _split_at(p) if " at " in f" {p} " else None
        if s:
            pieces.extend([s[0], s[1]])
        elif p.count(", ") >= 2 or (", " in p and degree_score(p)):
            subs = [x.strip() for x in p.split(", ")]
            # "Leading University, Springfield, Freedonia": an institution
            # followed by places only stays one piece
            k = next((n for n, x in enumerate(subs) if institution_score(x) > 0), None)
            if k is not None and k + 1 < len(subs):
                tail = subs[k + 1 :]
                if all(
                    _PLACE_PIECE.match(x) and degree_score(x) == 0 and institution_score(x) == 0
                    for x in tail
                ):
                    subs = subs[:k] + [", ".join(subs[k:])]
            pieces.extend(subs)
        else:
            pieces.append(p)
    degree_part = next((p for p in pieces if degree_score(p) > 0), None)
    inst = [p for p in pieces if institution_score(p) > 0 and p != degree_part]
    if inst:
        out["institution"] = inst[-1] if len(inst) > 1 and degree_part is None else inst[0]
    if degree_part:
        study, area = split_degree(degree_part)
        out["studyType"] = study
        if area:
            out["area"] = area
    rest = [p for p in pieces if p != degree_part and p != out.get("institution")]
    if "institution" not in out and rest:
        out["institution"] = rest[-1] if degree_part and pieces.index(degree_part) == 0 else rest[0]
        rest = [p for p in rest if p != out["institution"]]
    if "area" not in out and rest:
        out["area"] = rest[0]
    return out


def entry_confidence(entry: dict, kind: str, anchor: Line | None) -> dict[str, str]:
    """ "high" / "low" per field of an entry: a value that matched its own
    kind of words (a title word, a company form, an institution or degree
    word) under its own heading is high; a value placed by position only is low."""
    own = anchor is not None and anchor.section == kind

    def level(ok: bool) -> str:
        return "high" if ok and own else "low"

    conf: dict[str, str] = {}
    if kind == "work":
        name, pos = entry.get("name", ""), entry.get("position", "")
        if name:
            conf["name"] = level(role_score(name) <= 0 and (role_score(pos) > 0 or not pos))
        if pos:
            conf["position"] = level(role_score(pos) > 0)
    else:
        if entry.get("institution"):
            conf["institution"] = level(institution_score(entry["institution"]) > 0)
        if entry.get("studyType"):
            conf["studyType"] = level(degree_score(entry["studyType"]) > 0)
        if entry.get("area"):
            conf["area"] = level(bool(entry.get("studyType")))
    if anchor is not None and anchor.range:
        dated = level(anchor.range.has_range)
        conf["startDate"] = dated
        conf["endDate"] = dated
    return conf


def _degree_line_by_model(ln: Line) -> bool:
    return ln.probs.get("degree", 0.0) >= 0.5 and header_like(ln.text, 90)


def undated_education(lines: list[Line]) -> list[dict]:
    """Education entries printed without dates: an institution line of the
    education section that no dated entry took, with its degree line."""
    out = []
    for j, ln in enumerate(lines):
        if ln.section != "education" or ln.used or ln.range:
            continue
        t = _clean_part(ln.text)
        if not header_like(t, 90) or institution_score(t) == 0:
            continue
        if j and lines[j - 1].used and lines[j - 1].section == "education":
            continue  # the wrapped end of a dated entry's title
        parts = [t]
        ln.used = True
        for k in (j + 1, j - 1):
            if 0 <= k < len(lines) and lines[k].section == "education" and not lines[k].used:
                other = _clean_part(lines[k].text)
                if header_like(other, 90) and degree_score(other) > 0 and not lines[k].range:
                    parts.append(other)
                    lines[k].used = True
                    # "Master of Arts" / "Communications" / "Indiana University":
                    # the field on a line of its own beside the degree
                    far = k + (k - j)
                    if (
                        0 <= far < len(lines)
                        and lines[far].section == "education"
                        and not lines[far].used
                        and not lines[far].range
                        and _degree_line_by_model(lines[far])
                    ):
                        parts.append(_clean_part(lines[far].text))
                        lines[far].used = True
                    break
        entry = _education(parts)
        if entry:
            entry["_conf"] = {k: "low" for k in entry}
            out.append(entry)
    return out


def _body(lines: list[Line], start: int, end: int) -> list[str]:
    out: list[str] = []
    for j in range(start, end):
        ln = lines[j]
        if ln.used or ln.range:
            continue
        t = strip_html(strip_bullet(ln.text))
        if not t:
            continue
        if out and (
            t[0].islower() or not out[-1].endswith((".", "!", "?", ":", "。")) and len(out[-1]) > 60
        ):
            out[-1] = out[-1] + " " + t
        else:
            out.append(t)
    return [o for o in out if len(o) > 2][:30]


# --------------------------------------------------------------------------- skills
# A keyword separator anywhere in the line (only ever searched for: the
# spaces around it, once part of this pattern, cost a scan per position).
_KW_SPLIT = re.compile(r"[,;·•|、，；]")
_KW_DOTS = re.compile(r"[;·•|、；]")


# A word a skill or group name cannot end with: the name goes on on the next
# line ("Procesamiento de" / "Datos").
_OPEN_END = re.compile(
    r"(?i)(?:^|\s)(?:[&/+]|and|of|for|in|with|de|del|y|e|et|des|du|la|und|für|mit|von|por|para)$"
)


def _skill_lines(lines: list[Line]) -> list[tuple[str, tuple[str, ...], bool]]:
    """The skills section's lines (text, runs, indented), a name wrapped after
    an open word joined to its next line."""
    out: list[tuple[str, tuple[str, ...], bool]] = []
    joinable = False
    for ln in lines:
        if ln.section != "skills" or ln.range:
            joinable = False
            continue
        t = ln.text if ln.text.startswith("&") else strip_bullet(ln.text)
        if out and not out[-1][1] and t.startswith("& ") and len(t.split()) <= 4:
            joinable = True  # "Additional Languages" / "& Frameworks"
        if joinable and not ln.cells and len(t.split()) <= 3:
            out[-1] = (out[-1][0] + " " + t, (), out[-1][2])
            joinable = False
            continue
        if out and re.fullmatch(r"\([^()]{1,30}\)", t):
            # "Continuous Delivery" / "(CI/CD)": an item's abbreviation wrapped
            prev_t, prev_cells, ind = out[-1]
            cells = (*prev_cells[:-1], prev_cells[-1] + " " + t) if prev_cells else ()
            out[-1] = (prev_t + " " + t, cells, ind)
            joinable = False
            continue
        if out and _open_paren(out[-1][0]) and ")" in t.split("(")[0]:
            # "Database Management (MySQL," / "PostgreSQL)": an item wrapped in its parentheses
            prev_t, prev_cells, ind = out[-1]
            cells = ln.cells or (t,)
            if prev_cells:
                cells = (*prev_cells[:-1], prev_cells[-1] + " " + cells[0], *cells[1:])
            elif len(cells) > 1:
                cells = (prev_t + " " + cells[0], *cells[1:])
            else:
                cells = ()
            out[-1] = (prev_t + " " + t, cells, ind)
            joinable = False
            continue
        out.append((t, ln.cells, ln.indented))
        joinable = not ln.cells and len(t) <= 60 and bool(_OPEN_END.search(t))
    return out


def _open_paren(t: str) -> bool:
    return t.count("(") > t.count(")")


def _outside_parens(t: str) -> str:
    return re.sub(r"\([^()]*\)?", "", t)


def _cell_keywords(cells: tuple[str, ...]) -> list[str]:
    """Keywords of a row of separate runs ("pills"): one per run, a run split
    further only on its own separators outside parentheses."""
    return [k for cell in cells for k in _keywords(strip_bullet(cell))]


def _names_kind(items: list[tuple[str, tuple[str, ...], bool]]) -> bool | None:
    """Word processors set a list's name and its items apart by indentation,
    either way round ("Cloud" / "\t\tAWS" / "\t\tAzure", or the names
    indented): the indentation whose lines stand alone between runs of the
    other is the names'. None when the lines are not set apart so."""
    kinds = [ind for t, cells, ind in items if not cells and not _is_level(t)]
    if len(set(kinds)) < 2:
        return None
    runs: dict[bool, list[int]] = {True: [], False: []}
    prev = None
    for k in kinds:
        if k == prev:
            runs[k][-1] += 1
        else:
            runs[k].append(1)
        prev = k
    mean = {k: sum(v) / len(v) for k, v in runs.items()}
    if mean[True] == 1 and mean[False] > 1:
        return True
    if mean[False] == 1 and mean[True] > 1:
        return False
    return None


def _is_level(t: str) -> bool:
    return t.casefold().strip(" :()") in LEVEL_WORDS


def _many_words(t: str) -> bool:
    """Several capitalised names run together with single spaces ("Python Go
    Rust Docker"), not one name of several words ("An Amount of Pytest")."""
    words = t.split()
    return len(words) >= 4 and all(w[0].isupper() or w[0].isdigit() for w in words)


def skills(lines: list[Line]) -> list[dict]:
    """Skill groups of the skills section. A line is one of: a level word (the
    group's level), "Name: a, b, c", a row of separate runs ("pills", one
    keyword each), a list with separators, or one item; a lone item followed
    by a level or a list names a group, otherwise it is one keyword. In a
    section of one item per line, a comma does not split an item."""
    items = _skill_lines(lines)
    names_kind = _names_kind(items)
    plain = [_outside_parens(t) for t, cells, _ in items if not cells and not _is_level(t)]
    comma_lists = sum(1 for t in plain if "," in t or "，" in t) * 10 >= len(plain) * 3
    out: list[dict] = []
    current: dict | None = None
    last = ""

    def start(name: str) -> dict:
        group = {"name": name, "keywords": []}
        out.append(group)
        return group

    for n, (t, cells, indented) in enumerate(items):
        if not t or len(t) > 200:
            continue
        if _is_level(t):
            if current is not None and "level" not in current:
                current["level"] = t.strip(" ()")
            continue
        if names_kind is not None and not cells:
            if indented == names_kind:
                current = start(t.strip(" :"))
            else:
                if current is None or current.get("closed"):
                    current = start("")
                seps = _KW_SPLIT.search(t) and (comma_lists or _KW_DOTS.search(t))
                current["keywords"].extend(_keywords(t) if seps else [t.strip(" .")])
                current["sure"] = True
            continue
        m = re.match(r"^([^:：]{1,60}?)\s*(?:\(([^)]{1,20})\))?\s*[:：]\s*(.+)$", t)
        if not m and not cells and current is not None and current.get("closed"):
            # the wrapped end of a "Name: a, b, c" line
            if last.rstrip().endswith((",", "，", ";")):
                current["keywords"].extend(_keywords(t))
                last = t
                continue
            if current["keywords"] and len(t.split()) <= 3:
                current["keywords"][-1] += " " + t.strip(" .")
                last = t
                continue
        last = t
        if m:
            current = start(m.group(1).strip())
            if m.group(2):
                current["level"] = m.group(2)
            current["keywords"] = _keywords(m.group(3))
            current["closed"] = True  # "Name: a, b" says all on one line
            current["sure"] = True
            continue
        has_seps = _KW_DOTS.search(t) or comma_lists and _KW_SPLIT.search(t)
        if cells or has_seps or t.endswith(("·", ",")):
            kws = _cell_keywords(cells) if cells else _keywords(t)
            if current is None or current.get("closed"):
                current = start("")
            current["sure"] = True
            current["keywords"].extend(kws)
            continue
        nxt = items[n + 1] if n + 1 < len(items) else None
        heads_list = nxt is not None and (
            _is_level(nxt[0])
            or nxt[1]
            or _KW_DOTS.search(nxt[0])
            or nxt[0].endswith(("·", ","))
            or comma_lists
            and _KW_SPLIT.search(nxt[0])
        )
        if heads_list and len(t.split()) <= 6 and not t.endswith("."):
            current = start(t.strip(" :"))
            continue
        kws = _space_keywords(t) if _many_words(t) else [t.strip(" .")]
        if current is None or current.get("closed"):
            current = start("")
        current["keywords"].extend(kws)
    result = []
    for s in out:
        kws = [k for k in dict.fromkeys(s.get("keywords") or []) if k]
        item = {k: v for k, v in (("name", s.get("name")), ("level", s.get("level"))) if v}
        if kws:
            item["keywords"] = kws
        item["_sure"] = bool(s.get("sure"))
        if len(item) > 1:
            result.append(item)
    return result


def _keywords(s: str) -> list[str]:
    """Split a keyword list on its separators outside parentheses; a list
    written with dots or bars ("Mentoring, Teaching · Empathy") keeps its
    commas inside the keywords."""
    seps = "·•|" if any(ch in s for ch in "·•|") else ",;、，；"
    out = []
    depth = 0
    buf = ""
    for ch in s:  # split on separators outside parentheses
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if depth == 0 and ch in seps:
            out.append(buf)
            buf = ""
        else:
            buf += ch
    out.append(buf)
    return [k.strip(" .:-–") for k in out if k.strip(" .:-–")]


def _space_keywords(s: str) -> list[str]:
    """Split "SDLC HTML Threat Modeling OWASP Top 10" on spaces, keeping a word
    with its lower-case, numeric or parenthesised continuation."""
    tokens = re.findall(r"\S+\s*\([^)]*\)|\S+", s)
    out: list[str] = []
    for tok in tokens:
        if out and (
            tok[0].islower()
            or tok[0].isdigit()
            and not out[-1][-1].isdigit()
            or tok.startswith("(")
            or out[-1].endswith(("/", "&", "-"))
            or tok in ("/", "&", "-")
        ):
            out[-1] = out[-1] + " " + tok
        else:
            out.append(tok)
    return out


# --------------------------------------------------------------------------- languages
def languages(lines: list[Line]) -> list[dict]:
    out: list[dict] = []
    for ln in lines:
        if ln.section != "languages" or ln.range:
            continue
        t = strip_bullet(ln.text)
        if not t or len(t) > 60:
            continue
        low = t.casefold()
        words = low.replace("(", " ").replace(")", " ").replace(":", " ").split()
        if out and "fluency" not in out[-1] and words and all(w in FLUENCY_WORDS for w in words):
            out[-1]["fluency"] = t
            continue
        m = re.match(r"^([^\W\d_][\w-]*)\s*(?:[:(\-–]\s*|\s+)(.+?)\)?$", t)
        if m and any(w in FLUENCY_WORDS for w in m.group(2).casefold().split()):
            out.append({"language": m.group(1), "fluency": m.group(2)})
        elif len(t.split()) <= 2:
            out.append({"language": t})
    return out[:20]

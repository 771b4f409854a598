"""Entries of a CV: work and education blocks, skills, languages."""

from __future__ import annotations

import re

from .dates import DateRange, find_range, remove_range
from .headings import heading
from .text import has_cjk, strip_bullet, strip_html

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
    "dhbw",
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
    "master",
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
_SPLIT_AT = re.compile(
    r"^(?P<a>.+?)\s+(?:at|@|bei|chez|en|presso|bij|в|às|na|no)\s+(?P<b>[^\s].*)$",
    re.IGNORECASE,
)
_ABBREV_END = re.compile(r"(?:^|\s)(?:[\w]{1,4}\.|(?:\w\.){2,})$")
_HTML_ANY = re.compile(r"<[^>]*>?|&[a-z]+;")
_URL_IN = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def _words(s: str) -> list[str]:
    return re.findall(r"[\w.&'-]+", s.casefold())


def title_score(s: str) -> int:
    words = _words(s)
    n = sum(1 for w in words if w.strip(".-") in TITLE_WORDS)
    return n + sum(1 for sub in TITLE_SUBSTRINGS if sub in s)


def company_score(s: str) -> int:
    words = _words(s)
    n = sum(1 for w in words if w in COMPANY_WORDS)
    if re.search(r"\.(com|io|ai|net|org|de|co)\b", s.casefold()):
        n += 1
    return n + sum(1 for sub in COMPANY_SUBSTRINGS if sub in s)


def institution_score(s: str) -> int:
    low = " " + s.casefold() + " "
    n = sum(
        1
        for w in INSTITUTION_WORDS
        if re.search(r"(?<!\w)" + re.escape(w.strip()) + r"(?!\w)", low)
    )
    return n + sum(1 for sub in INSTITUTION_SUBSTRINGS if sub in s)


def degree_score(s: str) -> int:
    low = " " + s.casefold() + " "
    n = sum(
        1 for w in DEGREE_WORDS if re.search(r"(?<!\w)" + re.escape(w.strip()) + r"(?![\w])", low)
    )
    return n + sum(1 for sub in DEGREE_SUBSTRINGS if sub in s)


# --------------------------------------------------------------------------- lines
class Line:
    __slots__ = ("text", "section", "range", "used")

    def __init__(self, text: str, section: str | None) -> None:
        self.text = text
        self.section = section
        self.range: DateRange | None = None
        self.used = False


def segment(lines: list[str]) -> list[Line]:
    """Lines with the section each falls in; heading lines become section marks."""
    out: list[Line] = []
    section = None
    for raw in lines:
        h = heading(raw)
        if h:
            section, rest = h
            if not rest:
                continue
            raw = rest
        line = Line(raw, section)
        r = find_range(raw)
        if r and (r.has_range or len(remove_range(raw, r)) <= 2 or r.span[0] == 0):
            line.range = r
        out.append(line)
    return out


def header_like(text: str, max_len: int = 90) -> bool:
    t = text.strip()
    if not t or len(t) > max_len or heading(t):
        return False
    if t.endswith((";", "。")) or t.endswith(".") and not _ABBREV_END.search(t):
        return False
    if t[0].islower() or t[0] in "•·-–*(" or "@" in t:
        return False
    if find_range(t):
        return False
    if len(t.split()) > 12:
        return False
    return not _URL_IN.fullmatch(t)


def _clean_part(s: str) -> str:
    s = _HTML_ANY.sub("", strip_html(s))
    s = _URL_IN.sub("", s)
    return re.sub(r"\s+", " ", s).strip(" ,;:|·•-–—")


def _split_at(s: str) -> tuple[str, str] | None:
    m = None
    for m2 in _SPLIT_AT.finditer(s):
        m = m2
    if not m:
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
            parts, consumed = _header_parts(lines, prev, i, nxt)
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
        if not is_edu:
            bodies.append((entry, i, nxt))
        (education if is_edu else work).append(entry)
    for entry, i, nxt in bodies:  # after every entry took its title lines
        body = _body(lines, i + 1, nxt)
        if body:
            entry["highlights"] = body
    return work, education


def _header_parts(lines: list[Line], prev: int, i: int, nxt: int) -> tuple[list[str], list[int]]:
    ln = lines[i]
    rest = _clean_part(remove_range(ln.text, ln.range))
    if rest and _split_at(rest):
        return [rest], []
    nxt_line = lines[i + 1].text if i + 1 < nxt else ""
    if not rest and nxt_line and header_like(nxt_line) and _split_at(_clean_part(nxt_line)):
        return [_clean_part(nxt_line)], [i + 1]
    parts: list[tuple[int, str]] = []
    if rest and len(rest) > 1:
        parts.append((i, rest))
    consumed = []
    j = i - 1
    limit = prev + 1
    while j >= limit and len(parts) < 2 and not lines[j].used and header_like(lines[j].text, 70):
        if lines[j].section != ln.section and lines[j].section is not None and ln.section:
            break
        parts.insert(0, (j, _clean_part(lines[j].text)))
        consumed.append(j)
        j -= 1
    j = i + 1
    while j < nxt and len(parts) < 2 and header_like(lines[j].text, 70) and not lines[j].range:
        t = _clean_part(lines[j].text)
        if len(t.split()) > 8:
            break
        parts.append((j, t))
        consumed.append(j)
        j += 1
    return [p for _, p in sorted(parts) if p], consumed


def _squash_name(s: str) -> str:
    s = re.sub(r"^(?:https?://)?(?:www\.)?", "", s.casefold())
    return re.sub(r"[^\w]+", "", s)


def _domain_labels(text: str) -> list[str]:
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
      elsewhere whose letters are the site's name ("kinetic-vision.com" ->
      "Kinetic Vision") is the company; wrapped title lines before the date
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


def _work(parts: list[str]) -> dict:
    if len(parts) == 1:
        p = parts[0]
        s = _split_at(p)
        if s:
            return {"position": s[0], "name": s[1]}
        if ", " in p and title_score(p.rsplit(", ", 1)[0]) > 0:
            a, b = p.rsplit(", ", 1)
            return {"position": a, "name": b}
        if title_score(p) > company_score(p):
            return {"position": p}
        return {"name": p}
    a, b = parts[0], parts[1]
    sa = title_score(a) - company_score(a)
    sb = title_score(b) - company_score(b)
    if sb > sa:
        return {"position": b, "name": a}
    return {"position": a, "name": b}


def _education(parts: list[str]) -> dict:
    out: dict = {}
    degree_part = None
    pieces: list[str] = []
    for p in parts:
        s = _split_at(p) if " at " in f" {p} " else None
        if s:
            pieces.extend([s[0], s[1]])
        elif p.count(", ") >= 2 or (", " in p and degree_score(p)):
            pieces.extend(x.strip() for x in p.split(", "))
        else:
            pieces.append(p)
    inst = [p for p in pieces if institution_score(p) > 0 and degree_score(p) == 0]
    for p in pieces:
        if degree_score(p) > 0 and degree_part is None:
            degree_part = p
    if inst:
        out["institution"] = inst[-1] if len(inst) > 1 and degree_part is None else inst[0]
    if degree_part:
        m = re.match(
            r"^(.+?)\s*(?::|：| in | en | em | of | im | in der | en el )\s*(.+)$", degree_part
        )
        if (
            m
            and degree_score(m.group(1)) > 0
            and not re.match(r"(?i)^(bachelor|master)$", m.group(2))
        ):
            study, area = m.group(1), m.group(2)
            if m.group(0)[len(m.group(1)) :].strip().startswith("of"):
                # "Bachelor of Science in X" -> keep "of ..." with the degree
                m2 = re.match(r"^(.+?)\s+(?:in|en)\s+(.+)$", degree_part)
                study, area = (m2.group(1), m2.group(2)) if m2 else (degree_part, None)
            out["studyType"] = study
            if area:
                out["area"] = area
        else:
            out["studyType"] = degree_part
    rest = [p for p in pieces if p != degree_part and p != out.get("institution")]
    if "institution" not in out and rest:
        out["institution"] = rest[-1] if degree_part and pieces.index(degree_part) == 0 else rest[0]
        rest = [p for p in rest if p != out["institution"]]
    if "area" not in out and rest:
        out["area"] = rest[0]
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
_KW_SPLIT = re.compile(r"\s*(?:[,;·•|]|\s/\s|、|，|；)\s*")


def skills(lines: list[Line]) -> list[dict]:
    out: list[dict] = []
    current: dict | None = None
    for ln in lines:
        if ln.section != "skills" or ln.range:
            continue
        t = strip_bullet(ln.text)
        if not t or len(t) > 200:
            continue
        low = t.casefold().strip(" :()")
        if low in LEVEL_WORDS:
            if current is not None and "level" not in current:
                current["level"] = t.strip(" ()")
            continue
        m = re.match(r"^([^:：]{1,60}?)\s*(?:\(([^)]{1,20})\))?\s*[:：]\s*(.+)$", t)
        if m:
            current = {"name": m.group(1).strip()}
            if m.group(2):
                current["level"] = m.group(2)
            current["keywords"] = _keywords(m.group(3))
            current["closed"] = True  # "Name: a, b" says all on one line
            out.append(current)
            continue
        if _KW_SPLIT.search(t) or t.endswith(("·", ",")):
            kws = _keywords(t)
            if current is None or current.get("closed"):
                current = {"name": "", "keywords": []}
                out.append(current)
            current.setdefault("keywords", []).extend(kws)
            continue
        words = t.split()
        if current is not None and current.get("keywords") == [] and len(words) <= 4:
            # a second short line right after a group name: its keywords
            current["keywords"] = _space_keywords(t)
            continue
        if len(words) <= 3 and not has_cjk(t):
            current = {"name": t, "keywords": []}
            out.append(current)
            continue
        if current is None:
            current = {"name": "", "keywords": []}
            out.append(current)
        current.setdefault("keywords", []).extend(_space_keywords(t))
    result = []
    for s in out:
        kws = [k for k in dict.fromkeys(s.get("keywords") or []) if k]
        item = {k: v for k, v in (("name", s.get("name")), ("level", s.get("level"))) if v}
        if kws:
            item["keywords"] = kws
        if item:
            result.append(item)
    return result


def _keywords(s: str) -> list[str]:
    out = []
    depth = 0
    buf = ""
    for ch in s:  # split on separators outside parentheses
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        if depth == 0 and ch in ",;·•|、，；":
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

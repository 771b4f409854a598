"""Words, dates and content shared by the Word, LaTeX and plain-text layouts.

Each layout prints a person's render-ready truth (`Person.ready()`) in its own
form; what the layouts share is here: section headings and "Present" in the
person's language (es/fr/de/pt, English otherwise), month names, date ranges
in a few written forms, "Title, Employer" orders, degree lines, contact lines.
Nothing here invents content: every value printed is the owner's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# Each heading has a few alternatives a layout picks from with its rng.
HEADINGS: dict[str, dict[str, list[str]]] = {
    "en": {
        "summary": ["Summary", "Profile", "About Me", "Professional Summary"],
        "work": ["Experience", "Work Experience", "Professional Experience", "Employment"],
        "education": ["Education", "Education and Training"],
        "skills": ["Skills", "Technical Skills", "Core Skills"],
        "languages": ["Languages"],
        "projects": ["Projects", "Selected Projects"],
        "awards": ["Awards", "Honors and Awards"],
        "contact": ["Contact", "Contact Details"],
        "present": ["Present", "Present", "Current", "now"],
        "in": ["in"],
    },
    "es": {
        "summary": ["Perfil", "Resumen", "Sobre mí", "Perfil profesional"],
        "work": ["Experiencia", "Experiencia laboral", "Experiencia profesional"],
        "education": ["Formación", "Educación", "Formación académica"],
        "skills": ["Habilidades", "Competencias", "Conocimientos"],
        "languages": ["Idiomas"],
        "projects": ["Proyectos"],
        "awards": ["Premios", "Reconocimientos"],
        "contact": ["Contacto", "Datos de contacto"],
        "present": ["Actualidad", "Actualmente", "Presente"],
        "in": ["en"],
    },
    "fr": {
        "summary": ["Profil", "Résumé", "À propos"],
        "work": ["Expérience professionnelle", "Expériences", "Parcours professionnel"],
        "education": ["Formation", "Études", "Diplômes et formation"],
        "skills": ["Compétences", "Compétences techniques"],
        "languages": ["Langues"],
        "projects": ["Projets"],
        "awards": ["Distinctions", "Prix"],
        "contact": ["Contact", "Coordonnées"],
        "present": ["Présent", "aujourd'hui", "ce jour"],
        "in": ["en"],
    },
    "de": {
        "summary": ["Profil", "Über mich", "Kurzprofil"],
        "work": ["Berufserfahrung", "Beruflicher Werdegang"],
        "education": ["Ausbildung", "Bildungsweg", "Studium"],
        "skills": ["Kenntnisse", "Fähigkeiten", "Kompetenzen"],
        "languages": ["Sprachen", "Sprachkenntnisse"],
        "projects": ["Projekte"],
        "awards": ["Auszeichnungen"],
        "contact": ["Kontakt"],
        "present": ["heute", "Heute", "laufend"],
        "in": ["in"],
    },
    "pt": {
        "summary": ["Perfil", "Resumo", "Sobre mim"],
        "work": ["Experiência", "Experiência profissional"],
        "education": ["Formação", "Formação acadêmica", "Educação"],
        "skills": ["Competências", "Habilidades"],
        "languages": ["Idiomas"],
        "projects": ["Projetos"],
        "awards": ["Prêmios"],
        "contact": ["Contato", "Contacto"],
        "present": ["Atual", "Presente", "o momento"],
        "in": ["em"],
    },
}

MONTHS_SHORT = {
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    "es": "ene feb mar abr may jun jul ago sep oct nov dic",
    "fr": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.",
    "de": "Jan. Feb. März Apr. Mai Juni Juli Aug. Sept. Okt. Nov. Dez.",
    "pt": "jan fev mar abr mai jun jul ago set out nov dez",
}
MONTHS_LONG = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro "
    "dezembro",
}


def lang_of(person) -> str:
    return person.lang if person.lang in HEADINGS else "en"


@dataclass
class Style:
    """The choices one layout makes for one person (fixed by stable_rng)."""

    lang: str
    rng: random.Random
    date_form: str = "numeric"  # numeric | short | long | dotted
    dash: str = " – "
    upper_headings: bool = False
    title_order: str = "title-employer"  # title-employer | employer-title | two-lines
    degree_together: bool = True
    location_beside_employer: bool = True
    with_projects: bool = True
    with_awards: bool = True
    words: dict = field(default_factory=dict)

    @classmethod
    def pick(cls, person, rng: random.Random, **fixed) -> Style:
        lang = lang_of(person)
        table = HEADINGS[lang]
        words = {k: rng.choice(v) for k, v in table.items()}
        s = cls(
            lang=lang,
            rng=rng,
            date_form=rng.choice(["numeric", "short", "long", "dotted"]),
            dash=rng.choice([" – ", " - ", " — ", "–"]),
            upper_headings=rng.random() < 0.5,
            title_order=rng.choice(["title-employer", "employer-title", "two-lines"]),
            degree_together=rng.random() < 0.6,
            location_beside_employer=rng.random() < 0.5,
            with_projects=rng.random() < 0.6,
            with_awards=rng.random() < 0.6,
            words=words,
        )
        for k, v in fixed.items():
            setattr(s, k, v)
        return s

    def heading(self, key: str) -> str:
        h = self.words[key]
        return h.upper() if self.upper_headings else h

    # ------------------------------------------------------------------ dates
    def date(self, iso: str | None) -> str:
        if not iso:
            return ""
        y, _, rest = iso.partition("-")
        month = int(rest[:2]) if rest[:2].isdigit() else 0
        if not month:
            return y  # the truth has the year only: so does the document
        if self.date_form == "numeric":
            return f"{month:02d}/{y}"
        if self.date_form == "dotted":
            return f"{month:02d}.{y}"
        names = (MONTHS_SHORT if self.date_form == "short" else MONTHS_LONG).get(
            self.lang, MONTHS_SHORT["en"]
        )
        return f"{names.split()[month - 1]} {y}"

    def period(self, entry: dict, *, present: bool = True) -> str:
        start, end = self.date(entry.get("startDate")), self.date(entry.get("endDate"))
        if start and end:
            return start if start == end else f"{start}{self.dash}{end}"
        if start:
            return f"{start}{self.dash}{self.words['present']}" if present else start
        return end

    # ------------------------------------------------------------------ entries
    def job_title(self, w: dict) -> list[str]:
        """The title/employer line(s) of a job: one line or two."""
        pos, name = (w.get("position") or "").strip(), (w.get("name") or "").strip()
        loc = (w.get("location") or "").strip() if self.location_beside_employer else ""
        employer = f"{name} ({loc})" if name and loc else name
        if not pos or not employer:
            return [pos or employer]
        if self.title_order == "title-employer":
            return [f"{pos}, {employer}"]
        if self.title_order == "employer-title":
            return [f"{employer} — {pos}"]
        return [pos, employer]

    def job_location(self, w: dict) -> str:
        """The location when it is not printed beside the employer."""
        return "" if self.location_beside_employer else (w.get("location") or "").strip()

    def degree(self, e: dict) -> list[str]:
        """The degree line(s): "MSc Computer Science" / "Master in X", or apart."""
        st, area = (e.get("studyType") or "").strip(), (e.get("area") or "").strip()
        if not st or not area:
            return [x for x in (st, area) if x]
        if self.degree_together:
            if self.rng.random() < 0.5:
                return [f"{st} {self.words['in']} {area}"]
            return [f"{st} {area}" if len(st) <= 6 else f"{st}, {area}"]
        return [st, area]


# ---------------------------------------------------------------------- person content
def location_line(b: dict) -> str:
    loc = b.get("location") or {}
    parts = [
        loc.get(k)
        for k in ("city", "region", "country", "countryCode")
        if isinstance(loc.get(k), str) and loc.get(k).strip()
    ]
    out = []
    for p in parts:
        if p.strip() not in out:
            out.append(p.strip())
    # country and countryCode together read oddly: keep the first of the two
    if isinstance(loc.get("country"), str) and isinstance(loc.get("countryCode"), str):
        code = loc["countryCode"].strip()
        if code in out and len(out) > 1:
            out.remove(code)
    return ", ".join(out)


def strip_scheme(url: str) -> str:
    for pre in ("https://", "http://"):
        if url.startswith(pre):
            url = url[len(pre) :]
    return url.rstrip("/")


@dataclass
class Link:
    label: str  # what is printed
    url: str  # the target ("" when none)


def contact_items(b: dict, rng: random.Random, *, links: bool = True) -> list[Link]:
    """Email, phone, location, website, profiles, as printed items. Without
    links (plain text) a profile is printed by its URL, never by user name only."""
    items: list[Link] = []
    email = (b.get("email") or "").strip()
    if email:
        items.append(Link(email, f"mailto:{email}"))
    phone = (b.get("phone") or "").strip()
    if phone:
        items.append(Link(phone, ""))
    loc = location_line(b)
    if loc:
        items.append(Link(loc, ""))
    url = (b.get("url") or "").strip()
    if url:
        items.append(Link(strip_scheme(url) if rng.random() < 0.6 else url, url))
    form = rng.choice(["url", "network-url", "network-user"] if links else ["url", "network-url"])
    for p in b.get("profiles") or []:
        net, user, purl = (
            (p.get("network") or "").strip(),
            (p.get("username") or "").strip(),
            (p.get("url") or "").strip(),
        )
        if form == "network-user" and net and user:
            items.append(Link(f"{net}: {user}", purl))
        elif purl:
            label = strip_scheme(purl)
            items.append(Link(f"{net}: {label}" if net and form == "network-url" else label, purl))
        elif net and user:
            items.append(Link(f"{net}: {user}", ""))
    return items


def skill_groups(d: dict) -> list[tuple[str, list[str]]]:
    out = []
    for s in d.get("skills") or []:
        name = (s.get("name") or "").strip()
        kws = [k.strip() for k in s.get("keywords") or [] if k.strip()]
        if name or kws:
            out.append((name, kws))
    return out


def language_items(d: dict) -> list[tuple[str, str]]:
    out = []
    for item in d.get("languages") or []:
        name = (item.get("language") or item.get("name") or "").strip()
        level = (item.get("fluency") or item.get("level") or "").strip()
        if name:
            out.append((name, level))
    return out


def paragraphs(text) -> list[str]:
    if not isinstance(text, str):
        return []
    return [p.strip() for p in text.replace("\r", "").split("\n") if p.strip()]


def work_text(w: dict) -> list[str]:
    return paragraphs(w.get("summary") or w.get("description"))


def project_items(d: dict) -> list[dict]:
    out = []
    for p in d.get("projects") or []:
        name = (p.get("name") or "").strip()
        if name:
            out.append(p)
    return out


def award_items(d: dict) -> list[dict]:
    return [a for a in d.get("awards") or [] if (a.get("title") or "").strip()]


def highlights(entry: dict) -> list[str]:
    return [h.strip() for h in entry.get("highlights") or [] if isinstance(h, str) and h.strip()]

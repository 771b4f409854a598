"""Two plain-text CV styles, as people type them by hand (issue #11).

text-upper      UPPERCASE headings, "-" bullets, "03/2019 - 06/2021" dates,
                prose, bullets and skill lines wrapped at 80 columns (name,
                contact, title and degree lines left as typed)
text-underline  Title headings underlined with ==== (the name) and ----
                (sections), "•" bullets, "Mar 2019 – Present" dates with
                month names in the person's language, lines not wrapped

.venv/bin/python -m tools.cvcorpus.text_styles --out data/corpus [--people c-001,c-002]
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from pathlib import Path

from tools.cvcorpus.common import Part, Person, people, stable_rng
from tools.cvcorpus.cvwords import (
    Style,
    award_items,
    contact_items,
    highlights,
    language_items,
    paragraphs,
    project_items,
    skill_groups,
    work_text,
)

LAYOUTS = ("text-upper", "text-underline")
WIDTH = 80


class Writer:
    def __init__(self, st: Style, *, wrap: int | None, bullet: str, underline: bool):
        self.st, self.wrap, self.bullet_mark, self.underline = st, wrap, bullet, underline
        self.lines: list[str] = []

    def blank(self):
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def line(self, text: str = ""):
        self.lines.append(text.rstrip())

    def para(self, text: str, indent: str = ""):
        if not self.wrap:
            self.line(indent + text)
            return
        self.lines += textwrap.wrap(
            text,
            self.wrap,
            initial_indent=indent,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        ) or [""]

    def bullet(self, text: str, indent: str = ""):
        first = f"{indent}{self.bullet_mark} "
        if not self.wrap:
            self.line(first + text)
            return
        self.lines += textwrap.wrap(
            text,
            self.wrap,
            initial_indent=first,
            subsequent_indent=" " * len(first),
            break_long_words=False,
            break_on_hyphens=False,
        )

    def heading(self, key: str):
        self.blank()
        h = self.st.heading(key)
        self.line(h)
        if self.underline:
            self.line("-" * len(h))
        self.blank()

    def text(self) -> str:
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n"


def render(person: Person, layout: str) -> str:
    rng = stable_rng(person.id, layout)
    upper = layout == "text-upper"
    st = Style.pick(
        person,
        rng,
        upper_headings=upper,
        date_form="numeric" if upper else rng.choice(["short", "long"]),
        dash=" - " if upper else " – ",
    )
    w = Writer(
        st,
        wrap=WIDTH if upper else None,
        bullet="-" if upper else "•",
        underline=not upper,
    )
    d = person.ready()
    b = d["basics"]
    name = (b.get("name") or "").strip()
    w.line(name.upper() if upper and rng.random() < 0.5 else name)
    if not upper:
        w.line("=" * len(name))
    if (b.get("label") or "").strip():
        w.line(b["label"].strip())
    items = [it.label for it in contact_items(b, rng, links=False)]
    if items:
        w.blank()
        if upper and rng.random() < 0.5:
            w.line(" | ".join(items[:3]))
            for x in items[3:]:
                w.line(x)
        else:
            sep = " · " if not upper else " | "
            if rng.random() < 0.5:
                for x in items:
                    w.line(x)
            else:
                w.line(sep.join(items))

    summary = paragraphs(b.get("summary"))
    if summary:
        w.heading("summary")
        for t in summary:
            w.para(t)
            w.blank()

    if d["work"]:
        w.heading("work")
        for job in d["work"]:
            for x in st.job_title(job):
                w.line(x)
            sub = [x for x in (st.period(job), st.job_location(job)) if x]
            if sub:
                w.line((" | " if upper else ", ").join(sub))
            for t in work_text(job):
                w.para(t)
            for h in highlights(job):
                w.bullet(h)
            w.blank()
    if d["education"]:
        w.heading("education")
        for ed in d["education"]:
            inst = (ed.get("institution") or "").strip()
            deg = st.degree(ed)
            for x in deg:
                w.line(x)
            period = st.period(ed, present=False)
            if inst:
                w.line(f"{inst}, {period}" if period and rng.random() < 0.5 else inst)
                if period and not w.lines[-1].endswith(period):
                    w.line(period)
            elif period:
                w.line(period)
            w.blank()
    groups = skill_groups(d)
    if groups:
        w.heading("skills")
        for name_, kws in groups:
            if name_ and kws:
                w.bullet(f"{name_}: {', '.join(kws)}")
            else:
                w.bullet(name_ or ", ".join(kws))
    langs = language_items(d)
    if langs:
        w.heading("languages")
        for n, lv in langs:
            w.bullet(f"{n} ({lv})" if lv else n)
    if st.with_projects and project_items(d):
        w.heading("projects")
        for pr in project_items(d):
            period = st.period(pr, present=False)
            w.line(pr["name"].strip() + (f" ({period})" if period else ""))
            for t in paragraphs(pr.get("description") or pr.get("summary")):
                w.para(t)
            for h in highlights(pr):
                w.bullet(h)
            if isinstance(pr.get("url"), str) and pr["url"].strip():
                w.line(pr["url"].strip())
            w.blank()
    if st.with_awards and award_items(d):
        w.heading("awards")
        for a in award_items(d):
            bits = [a["title"].strip()]
            if isinstance(a.get("awarder"), str) and a["awarder"].strip():
                bits.append(a["awarder"].strip())
            if st.date(a.get("date")):
                bits.append(st.date(a.get("date")))
            w.bullet(", ".join(bits))
    return w.text()


def render_all(out: Path, persons: list, jobs: int = 2, layouts=LAYOUTS) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    n = 0
    for lay in layouts:
        part = Part(out, lay, lay)
        for p in persons:
            if part.done(p, "txt"):
                continue
            (out / part.file_name(p, "txt")).write_text(render(p, lay), encoding="utf-8")
            part.add(p, "txt")
            n += 1
    print(f"text styles: {n} written in {time.time() - t0:.1f}s", file=sys.stderr)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--people", help="comma-separated ids (default: everyone)")
    ap.add_argument("--layouts", help="comma-separated layouts (default: both)")
    ap.add_argument("--jobs", type=int, default=2, help="unused: writing text is instant")
    a = ap.parse_args(argv)
    only = a.people.split(",") if a.people else None
    layouts = tuple(a.layouts.split(",")) if a.layouts else LAYOUTS
    render_all(a.out, people(only=only), a.jobs, layouts)


if __name__ == "__main__":
    main()

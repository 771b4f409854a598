"""Four Word layouts of the development corpus, written with python-docx and
exported to PDF with LibreOffice (issue #11).

    docx-tabs     single column; "Title, Employer<TAB>dates" with a right tab stop
    docx-datecol  dates in a narrow left table column, the entry on the right
    docx-header   a header table (name left, contacts right), then sections
    docx-twocol   a side column (contacts, skills, languages) beside the main one

Each layout is one family; its DOCX and the PDF LibreOffice makes of it are two
documents of that family. Fonts, heading case, date forms, title/employer
order, degree lines and headings in the person's language vary per person
with `stable_rng(person.id, layout)`.

    .venv/bin/python -m tools.cvcorpus.docx_layouts --out data/corpus [--people c-001,c-002]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import _Cell

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

LAYOUTS = ("docx-tabs", "docx-datecol", "docx-header", "docx-twocol")
FONTS = [
    "Arial",
    "Times New Roman",
    "Lato",
    "DejaVu Sans",
    "Liberation Serif",
    "Liberation Sans Narrow",
    "P052",
    "URW Bookman",
    "Nimbus Sans",
]
ACCENTS = ["000000", "1F3864", "2E74B5", "7B2C2C", "385623", "404040"]
PAGE_W = Cm(21.0)
MARGIN = Cm(2.0)
TEXT_W = PAGE_W - 2 * MARGIN
SOFFICE = shutil.which("soffice") or "soffice"
BATCH = 20


# --------------------------------------------------------------------------- python-docx helpers
def _set_font(style, name: str) -> None:
    style.font.name = name
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def add_hyperlink(paragraph, text: str, url: str, *, color: str | None = "1F4E99", bold=False):
    part = paragraph.part
    r_id = part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    if color:
        c = OxmlElement("w:color")
        c.set(qn("w:val"), color)
        rpr.append(c)
    if bold:
        rpr.append(OxmlElement("w:b"))
    run.append(rpr)
    t = OxmlElement("w:t")
    t.text = text
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def bottom_border(paragraph, color: str) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", color)):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    ppr.append(bdr)


def shade(cell: _Cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def fixed_widths(table, widths) -> None:
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=False):
            cell.width = w
    grid = table._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths, strict=False):
        col.set(qn("w:w"), str(int(w.twips if hasattr(w, "twips") else w / 635)))


# --------------------------------------------------------------------------- a flow of text
class Flow:
    """Paragraphs written into a document or a table cell in one layout's style."""

    def __init__(self, container, st: Style, *, accent: str, rule: bool, size: float, width):
        self.c, self.st, self.accent, self.rule, self.size, self.width = (
            container,
            st,
            accent,
            rule,
            size,
            width,
        )
        self._fresh = container.paragraphs[0] if isinstance(container, _Cell) else None
        self.links = st.rng.random() < 0.6

    def p(
        self,
        text: str = "",
        *,
        bold=False,
        italic=False,
        size=None,
        align=None,
        after=2,
        before=0,
        style=None,
        color=None,
    ):
        if self._fresh is not None:
            par, self._fresh = self._fresh, None
            if style:
                par.style = style
        else:
            par = self.c.add_paragraph(style=style)
        pf = par.paragraph_format
        pf.space_after, pf.space_before = Pt(after), Pt(before)
        if align is not None:
            par.alignment = align
        if text:
            self.run(par, text, bold=bold, italic=italic, size=size, color=color)
        return par

    def run(self, par, text, *, bold=False, italic=False, size=None, color=None):
        r = par.add_run(text)
        r.bold, r.italic = bold or None, italic or None
        if size:
            r.font.size = Pt(size)
        if color:
            r.font.color.rgb = RGBColor.from_string(color)
        return r

    def heading(self, key: str):
        par = self.p(
            self.st.heading(key),
            bold=True,
            size=self.size + 2.5,
            before=10,
            after=4,
            color=self.accent,
        )
        if self.rule:
            bottom_border(par, self.accent)
        return par

    def bullet(self, text: str):
        return self.p(text, style="List Bullet", after=1)

    def link(self, par, item):
        if item.url and self.links:
            add_hyperlink(
                par,
                item.label,
                item.url,
                color=self.accent if self.accent != "000000" else "1F4E99",
            )
        else:
            self.run(par, item.label)

    def text_block(self, texts: list[str], bullets: list[str]):
        for t in texts:
            self.p(t, after=2)
        for h in bullets:
            self.bullet(h)

    # ---------------------------------------------------------------- sections
    def summary(self, d):
        texts = paragraphs(d["basics"].get("summary"))
        if texts:
            self.heading("summary")
            for t in texts:
                self.p(t, after=3)

    def job(self, w, *, dates_mode: str):
        """dates_mode: tab (right tab stop), line (own italic line), none (printed elsewhere)."""
        lines = self.st.job_title(w)
        period = self.st.period(w)
        first = self.p(before=4, after=1)
        self.run(first, lines[0], bold=True)
        if dates_mode == "tab" and period:
            first.paragraph_format.tab_stops.add_tab_stop(self.width, WD_TAB_ALIGNMENT.RIGHT)
            self.run(first, "\t" + period)
        for extra in lines[1:]:
            self.p(extra, italic=True, after=1)
        sub = [x for x in ((period if dates_mode == "line" else ""), self.st.job_location(w)) if x]
        if sub:
            self.p(" | ".join(sub), italic=True, after=1, color="595959")
        self.text_block(work_text(w), highlights(w))

    def school(self, e, *, dates_mode: str):
        inst = (e.get("institution") or "").strip()
        period = self.st.period(e, present=False)
        deg = self.st.degree(e)
        first = self.p(before=4, after=1)
        self.run(first, deg[0] if deg else inst, bold=True)
        if dates_mode == "tab" and period:
            first.paragraph_format.tab_stops.add_tab_stop(self.width, WD_TAB_ALIGNMENT.RIGHT)
            self.run(first, "\t" + period)
        rest = deg[1:] + ([inst] if deg and inst else [])
        for x in rest:
            self.p(x, italic=x == inst, after=1)
        if dates_mode == "line" and period:
            self.p(period, italic=True, after=1, color="595959")
        score = (
            (e.get("score") or e.get("gpa") or "").strip()
            if isinstance(e.get("score") or e.get("gpa"), str)
            else ""
        )
        if score:
            self.p(f"GPA: {score}" if self.st.lang == "en" else score, after=1)

    def skills(self, d, *, compact: bool):
        groups = skill_groups(d)
        if not groups:
            return
        self.heading("skills")
        for name, kws in groups:
            if compact and name:
                self.p(name, bold=True, after=0)
                if kws:
                    self.p(", ".join(kws), after=3)
            elif name and kws:
                par = self.p(after=1)
                self.run(par, name + ": ", bold=True)
                self.run(par, ", ".join(kws))
            else:
                self.p(name or ", ".join(kws), after=1)

    def languages(self, d):
        items = language_items(d)
        if items:
            self.heading("languages")
            for name, level in items:
                self.p(f"{name} — {level}" if level else name, after=1)

    def projects(self, d, *, dates_mode="line"):
        items = project_items(d) if self.st.with_projects else []
        if not items:
            return
        self.heading("projects")
        for pr in items:
            par = self.p(before=3, after=1)
            self.run(par, pr["name"].strip(), bold=True)
            period = self.st.period(pr, present=False)
            if period:
                self.run(par, f" ({period})")
            for t in paragraphs(pr.get("description") or pr.get("summary")):
                self.p(t, after=1)
            for h in highlights(pr):
                self.bullet(h)
            if isinstance(pr.get("url"), str) and pr["url"].strip():
                self.p(pr["url"].strip(), after=1, color="595959")

    def awards(self, d):
        items = award_items(d) if self.st.with_awards else []
        if not items:
            return
        self.heading("awards")
        for a in items:
            bits = [a["title"].strip()]
            if isinstance(a.get("awarder"), str) and a["awarder"].strip():
                bits.append(a["awarder"].strip())
            date = self.st.date(a.get("date"))
            if date:
                bits.append(date)
            self.bullet(", ".join(bits))


# --------------------------------------------------------------------------- the layouts
def _document(person: Person, layout: str):
    rng = stable_rng(person.id, layout)
    st = Style.pick(person, rng)
    font = rng.choice(FONTS)
    size = rng.choice([9.5, 10, 10.5, 11])
    accent = rng.choice(ACCENTS)
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = PAGE_W, Cm(29.7)
    sec.left_margin = sec.right_margin = MARGIN
    sec.top_margin = sec.bottom_margin = Cm(rng.choice([1.5, 2.0, 2.5]))
    normal = doc.styles["Normal"]
    _set_font(normal, font)
    normal.font.size = Pt(size)
    rule = rng.random() < 0.6
    return doc, st, rng, accent, size, rule


def _name_block(flow: Flow, d: dict, *, align, big: float):
    b = d["basics"]
    flow.p(
        (b.get("name") or "").strip(), bold=True, size=big, align=align, after=1, color=flow.accent
    )
    if (b.get("label") or "").strip():
        flow.p(b["label"].strip(), size=flow.size + 1.5, align=align, after=4)


def _contact_line(flow: Flow, items, *, align, sep: str):
    if not items:
        return
    par = flow.p(align=align, after=6)
    for i, it in enumerate(items):
        if i:
            flow.run(par, sep)
        flow.link(par, it)


def layout_tabs(person: Person):
    doc, st, rng, accent, size, rule = _document(person, "docx-tabs")
    d = person.ready()
    f = Flow(doc, st, accent=accent, rule=rule, size=size, width=TEXT_W)
    align = rng.choice([WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER])
    _name_block(f, d, align=align, big=size + 10)
    _contact_line(
        f, contact_items(d["basics"], rng), align=align, sep=rng.choice([" | ", " · ", "  •  "])
    )
    f.summary(d)
    if d["work"]:
        f.heading("work")
        for w in d["work"]:
            f.job(w, dates_mode="tab")
    if d["education"]:
        f.heading("education")
        for e in d["education"]:
            f.school(e, dates_mode="tab")
    f.skills(d, compact=False)
    f.projects(d)
    f.awards(d)
    f.languages(d)
    return doc


def layout_datecol(person: Person):
    doc, st, rng, accent, size, rule = _document(person, "docx-datecol")
    d = person.ready()
    f = Flow(doc, st, accent=accent, rule=rule, size=size, width=TEXT_W)
    _name_block(f, d, align=WD_ALIGN_PARAGRAPH.LEFT, big=size + 9)
    items = contact_items(d["basics"], rng)
    if rng.random() < 0.5:
        _contact_line(f, items, align=WD_ALIGN_PARAGRAPH.LEFT, sep=" | ")
    else:
        for it in items:
            f.link(f.p(after=0), it)
        f.p(after=4)
    f.summary(d)
    left = Cm(rng.choice([3.0, 3.5, 4.0]))
    widths = [left, TEXT_W - left]

    def rows(key, entries, fill):
        if not entries:
            return
        f.heading(key)
        table = doc.add_table(rows=0, cols=2)
        for entry in entries:
            cells = table.add_row().cells
            fill(cells, entry)
        fixed_widths(table, widths)

    def job(cells, w):
        Flow(cells[0], st, accent=accent, rule=False, size=size, width=left).p(
            st.period(w), size=size - 0.5, color="404040"
        )
        cf = Flow(cells[1], st, accent=accent, rule=False, size=size, width=widths[1])
        cf.job(w, dates_mode="none")
        cf.p(after=2)

    def school(cells, e):
        Flow(cells[0], st, accent=accent, rule=False, size=size, width=left).p(
            st.period(e, present=False), size=size - 0.5, color="404040"
        )
        cf = Flow(cells[1], st, accent=accent, rule=False, size=size, width=widths[1])
        cf.school(e, dates_mode="none")
        cf.p(after=2)

    def skill(cells, g):
        name, kws = g
        Flow(cells[0], st, accent=accent, rule=False, size=size, width=left).p(name, bold=True)
        Flow(cells[1], st, accent=accent, rule=False, size=size, width=widths[1]).p(", ".join(kws))

    def lang(cells, item):
        Flow(cells[0], st, accent=accent, rule=False, size=size, width=left).p(item[0], bold=True)
        Flow(cells[1], st, accent=accent, rule=False, size=size, width=widths[1]).p(item[1])

    rows("work", d["work"], job)
    rows("education", d["education"], school)
    rows("skills", skill_groups(d), skill)
    rows("languages", language_items(d), lang)
    f.projects(d)
    f.awards(d)
    return doc


def layout_header(person: Person):
    doc, st, rng, accent, size, rule = _document(person, "docx-header")
    d = person.ready()
    b = d["basics"]
    table = doc.add_table(rows=1, cols=2)
    left = Cm(rng.choice([9.5, 10.5, 11.5]))
    fixed_widths(table, [left, TEXT_W - left])
    if rng.random() < 0.4:
        shade(table.rows[0].cells[0], "F2F2F2")
        shade(table.rows[0].cells[1], "F2F2F2")
    lf = Flow(table.rows[0].cells[0], st, accent=accent, rule=False, size=size, width=left)
    _name_block(lf, d, align=WD_ALIGN_PARAGRAPH.LEFT, big=size + 11)
    rf = Flow(table.rows[0].cells[1], st, accent=accent, rule=False, size=size, width=TEXT_W - left)
    for it in contact_items(b, rng):
        rf.link(rf.p(align=WD_ALIGN_PARAGRAPH.RIGHT, after=0, size=size - 0.5), it)
    f = Flow(doc, st, accent=accent, rule=rule, size=size, width=TEXT_W)
    f.p(after=2)
    order = ["summary", "work", "education", "skills", "languages", "projects", "awards"]
    if rng.random() < 0.4:
        order = ["summary", "skills", "work", "education", "projects", "awards", "languages"]
    for key in order:
        if key == "summary":
            f.summary(d)
        elif key == "work" and d["work"]:
            f.heading("work")
            for w in d["work"]:
                f.job(w, dates_mode="line")
        elif key == "education" and d["education"]:
            f.heading("education")
            for e in d["education"]:
                f.school(e, dates_mode="line")
        elif key == "skills":
            f.skills(d, compact=False)
        elif key == "languages":
            f.languages(d)
        elif key == "projects":
            f.projects(d)
        elif key == "awards":
            f.awards(d)
    return doc


def layout_twocol(person: Person):
    doc, st, rng, accent, size, rule = _document(person, "docx-twocol")
    d = person.ready()
    top = Flow(doc, st, accent=accent, rule=False, size=size, width=TEXT_W)
    _name_block(top, d, align=WD_ALIGN_PARAGRAPH.LEFT, big=size + 11)
    side_w = Cm(rng.choice([5.5, 6.0, 6.5]))
    side_left = rng.random() < 0.7
    widths = [side_w, TEXT_W - side_w] if side_left else [TEXT_W - side_w, side_w]
    table = doc.add_table(rows=1, cols=2)
    fixed_widths(table, widths)
    side_cell, main_cell = table.rows[0].cells if side_left else table.rows[0].cells[::-1]
    if rng.random() < 0.6:
        shade(side_cell, rng.choice(["EDEDED", "DEEAF6", "F2F2F2"]))
    side = Flow(side_cell, st, accent=accent, rule=False, size=size - 0.5, width=side_w)
    main = Flow(main_cell, st, accent=accent, rule=rule, size=size, width=TEXT_W - side_w - Cm(0.4))
    items = contact_items(d["basics"], rng)
    if items:
        side.heading("contact")
        for it in items:
            side.link(side.p(after=1), it)
    side.skills(d, compact=True)
    side.languages(d)
    main.summary(d)
    if d["work"]:
        main.heading("work")
        mode = rng.choice(["tab", "line"])
        for w in d["work"]:
            main.job(w, dates_mode=mode)
    if d["education"]:
        main.heading("education")
        for e in d["education"]:
            main.school(e, dates_mode="line")
    main.projects(d)
    main.awards(d)
    return doc


BUILDERS = {
    "docx-tabs": layout_tabs,
    "docx-datecol": layout_datecol,
    "docx-header": layout_header,
    "docx-twocol": layout_twocol,
}


# --------------------------------------------------------------------------- PDF export
def _convert(batch: list[Path], outdir: Path, profile: str) -> None:
    """One soffice run over a batch, with its own profile; killed as a group on timeout."""
    cmd = [
        SOFFICE,
        f"-env:UserInstallation=file://{profile}",
        "--headless",
        "--norestore",
        "--convert-to",
        "pdf",
        "--outdir",
        str(outdir),
        *map(str, batch),
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        proc.wait(timeout=60 + 20 * len(batch))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def export_pdfs(docs: list[Path], outdir: Path, jobs: int) -> None:
    batches = [docs[i : i + BATCH] for i in range(0, len(docs), BATCH)]
    jobs = max(1, min(jobs, 2))
    profiles = [tempfile.mkdtemp(prefix=f"lo-{os.getpid()}-") for _ in range(jobs)]

    def work(slot: int):
        for i in range(slot, len(batches), jobs):
            _convert(batches[i], outdir, profiles[slot])
            print(f"  pdf batch {i + 1}/{len(batches)}", file=sys.stderr, flush=True)

    try:
        with ThreadPoolExecutor(jobs) as pool:
            list(pool.map(work, range(jobs)))
    finally:
        for profile in profiles:
            shutil.rmtree(profile, ignore_errors=True)


def render_all(out: Path, persons: list, jobs: int = 2, layouts=LAYOUTS) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    parts = {lay: Part(out, lay, lay) for lay in layouts}
    pending_pdf: list[tuple[Part, Person]] = []
    for lay in layouts:
        part = parts[lay]
        for person in persons:
            if not part.done(person, "docx"):
                BUILDERS[lay](person).save(out / part.file_name(person, "docx"))
                part.add(person, "docx")
            if not part.done(person, "pdf"):
                pending_pdf.append((part, person))
    print(f"docx written in {time.time() - t0:.1f}s; {len(pending_pdf)} to export", file=sys.stderr)
    export_pdfs([out / part.file_name(p, "docx") for part, p in pending_pdf], out, jobs)
    missing = 0
    for part, person in pending_pdf:
        if (out / part.file_name(person, "pdf")).exists():
            part.add(person, "pdf")
        else:
            missing += 1
            print(f"  no pdf for {part.file_name(person, 'docx')}", file=sys.stderr)
    print(f"docx layouts done in {time.time() - t0:.1f}s; {missing} PDFs missing", file=sys.stderr)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--people", help="comma-separated ids (default: everyone)")
    ap.add_argument("--layouts", help="comma-separated layouts (default: all four)")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    only = a.people.split(",") if a.people else None
    layouts = tuple(a.layouts.split(",")) if a.layouts else LAYOUTS
    render_all(a.out, people(only=only), a.jobs, layouts)


if __name__ == "__main__":
    main()

"""Two LaTeX layouts of the development corpus, compiled with pdflatex (issue #11).

    latex-moderncv  the moderncv class (classic, banking or casual style)
    latex-article   a plain article CV: titlesec rules, tabularx lines with the
                    dates in a right-aligned column, enumitem bullets

Every value is escaped for LaTeX; input is UTF-8 (inputenc + T1). pdflatex
cannot typeset CJK or Cyrillic with the installed packages: a person whose
printed letters it reports as "not set up for use with LaTeX" is skipped (and
counted); other characters it cannot set (emoji, arrows...) are left out of
the source and the document compiled again. pdflatex runs with
-interaction=nonstopmode -no-shell-escape and a timeout, each document in its
own temporary folder.

    .venv/bin/python -m tools.cvcorpus.latex --out data/corpus [--people c-001,c-002]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.cvcorpus.common import Part, Person, people, stable_rng
from tools.cvcorpus.cvwords import (
    Style,
    award_items,
    contact_items,
    highlights,
    language_items,
    location_line,
    paragraphs,
    project_items,
    skill_groups,
    strip_scheme,
    work_text,
)

LAYOUTS = ("latex-moderncv", "latex-article")
PDFLATEX = shutil.which("pdflatex") or "pdflatex"
TIMEOUT = 90

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "`": r"\textasciigrave{}",
    "[": "{[}",  # after a \\ a bracket would be read as its optional argument
    "\u00a0": "~",
}
_SAFE_URL = re.compile(r"[A-Za-z0-9./:?=@+\-]+")


def esc(text, drop: frozenset = frozenset()) -> str:
    """`text` as LaTeX source that prints it (characters in `drop` left out)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = unicodedata.normalize("NFC", text)
    out = []
    for ch in text:
        if ch in drop:
            continue
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in "\t\r\n\u2028\u2029" or unicodedata.category(ch) == "Zs":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn"):
            continue
        else:
            out.append(ch)
    s = "".join(out)
    # ligatures TeX would make of the owner's punctuation: -- ---, ?` !`, '' ``
    s = s.replace("--", "-{}-").replace("''", "'{}'").replace(",,", ",{},")
    return s


# --------------------------------------------------------------------------- the two templates
def moderncv_source(person: Person, e=esc) -> str:
    rng = stable_rng(person.id, "latex-moderncv")
    st = Style.pick(person, rng)
    d = person.ready()
    b = d["basics"]
    style = rng.choice(["classic", "banking", "casual"])
    color = rng.choice(["blue", "grey", "black", "green", "burgundy", "orange"])
    size = rng.choice(["10pt", "11pt"])
    font = rng.choice(["sans", "roman"])
    name = (b.get("name") or "").strip().split()
    first, last = (" ".join(name[:-1]), name[-1]) if len(name) > 1 else ((name or [""])[0], "")
    L = [
        rf"\documentclass[{size},a4paper,{font}]{{moderncv}}",
        # the default icons need fontawesome5 (not installed): letters instead
        rf"\moderncvstyle[nosymbols]{{{style}}}",
        rf"\moderncvcolor{{{color}}}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage{lmodern}",  # scalable T1 fonts (microtype needs them)
        rf"\usepackage[scale={rng.choice(['0.75', '0.8', '0.85'])}]{{geometry}}",
        r"\input{glyphtounicode}\pdfgentounicode=1",
        rf"\name{{{e(first)}}}{{{e(last)}}}",
    ]
    if (b.get("label") or "").strip():
        L.append(rf"\title{{{e(b['label'].strip())}}}")
    loc = b.get("location") or {}
    city_line = location_line(b)
    if city_line:
        street = loc.get("address") if isinstance(loc.get("address"), str) else ""
        if street and rng.random() < 0.5:
            L.append(rf"\address{{{e(street.strip())}}}{{{e(city_line)}}}{{}}")
        else:
            L.append(rf"\address{{{e(city_line)}}}{{}}{{}}")
    if (b.get("phone") or "").strip():
        L.append(rf"\phone[mobile]{{{e(b['phone'].strip())}}}")
    email = (b.get("email") or "").strip()
    if email:
        L.append(
            rf"\email{{{e(email)}}}" if _SAFE_URL.fullmatch(email) else rf"\extrainfo{{{e(email)}}}"
        )
    url = (b.get("url") or "").strip()
    extras = []
    if url:
        if _SAFE_URL.fullmatch(url):
            L.append(rf"\homepage{{{strip_scheme(url)}}}")
        else:
            extras.append(e(url))
    known = {"linkedin", "github", "twitter", "gitlab", "stackoverflow", "bitbucket", "orcid"}
    for p in b.get("profiles") or []:
        net = (p.get("network") or "").strip()
        user = (p.get("username") or "").strip()
        purl = (p.get("url") or "").strip()
        key = net.lower().replace(" ", "")
        if (
            key in known
            and user
            and _SAFE_URL.fullmatch(user)
            and (not purl or _SAFE_URL.fullmatch(purl))
        ):
            target = f"[{strip_scheme(purl)}]" if purl else ""
            L.append(rf"\social[{key}]{target}{{{user}}}")
        elif purl or user:
            extras.append(e(f"{net}: {strip_scheme(purl) or user}" if net else strip_scheme(purl)))
    if extras:
        # casual prints this in the page footer, where a \\ breaks the page output
        L.append(r"\extrainfo{" + r" \textbullet{} ".join(extras) + "}")
    L += [r"\begin{document}", r"\makecvtitle"]

    summary = paragraphs(b.get("summary"))
    if summary:
        L.append(rf"\section{{{e(st.heading('summary'))}}}")
        for t in summary:
            L.append(rf"\cvitem{{}}{{{e(t)}}}")

    def items(entries: list[str]) -> str:
        if not entries:
            return ""
        return r"\begin{itemize}" + "".join(rf"\item {e(h)}" for h in entries) + r"\end{itemize}"

    if d["work"]:
        L.append(rf"\section{{{e(st.heading('work'))}}}")
        for w in d["work"]:
            pos, emp = (w.get("position") or "").strip(), (w.get("name") or "").strip()
            if st.title_order == "employer-title":
                pos, emp = emp, pos
            desc = " ".join(e(t) for t in work_text(w))
            hl = items(highlights(w))
            body = desc + (r"\newline{}" if desc and hl else "") + hl if (desc or hl) else ""
            L.append(
                rf"\cventry{{{e(st.period(w))}}}{{{e(pos)}}}{{{e(emp)}}}"
                rf"{{{e((w.get('location') or '').strip())}}}{{}}{{{body}}}"
            )
    if d["education"]:
        L.append(rf"\section{{{e(st.heading('education'))}}}")
        for ed in d["education"]:
            deg = st.degree(ed)
            title = deg[0] if deg else ""
            rest = ", ".join(deg[1:])
            score = ed.get("score") or ed.get("gpa")
            score = score.strip() if isinstance(score, str) else ""
            L.append(
                rf"\cventry{{{e(st.period(ed, present=False))}}}{{{e(title)}}}"
                rf"{{{e((ed.get('institution') or '').strip())}}}{{{e(rest)}}}"
                rf"{{{e(score)}}}{{}}"
            )
    groups = skill_groups(d)
    if groups:
        L.append(rf"\section{{{e(st.heading('skills'))}}}")
        for name, kws in groups:
            L.append(rf"\cvitem{{{e(name)}}}{{{e(', '.join(kws))}}}")
    langs = language_items(d)
    if langs:
        L.append(rf"\section{{{e(st.heading('languages'))}}}")
        for name, level in langs:
            L.append(rf"\cvitemwithcomment{{{e(name)}}}{{{e(level)}}}{{}}")
    if st.with_projects and project_items(d):
        L.append(rf"\section{{{e(st.heading('projects'))}}}")
        for pr in project_items(d):
            desc = " ".join(e(t) for t in paragraphs(pr.get("description") or pr.get("summary")))
            L.append(
                rf"\cvitem{{{e(st.period(pr, present=False))}}}{{\textbf{{{e(pr['name'].strip())}}}"
                + (rf" -- {desc}" if desc else "")
                + "}"
            )
    if st.with_awards and award_items(d):
        L.append(rf"\section{{{e(st.heading('awards'))}}}")
        for a in award_items(d):
            bits = [a["title"].strip()] + (
                [a["awarder"].strip()]
                if isinstance(a.get("awarder"), str) and a["awarder"].strip()
                else []
            )
            L.append(rf"\cvitem{{{e(st.date(a.get('date')))}}}{{{e(', '.join(bits))}}}")
    L.append(r"\end{document}")
    return "\n".join(x for x in L if x) + "\n"


def article_source(person: Person, e=esc) -> str:
    rng = stable_rng(person.id, "latex-article")
    st = Style.pick(person, rng)
    d = person.ready()
    b = d["basics"]
    font = rng.choice(
        [
            r"\usepackage{lmodern}",
            r"\usepackage{charter}",
            r"\usepackage{mathpazo}",
            r"\usepackage{mathptmx}",
            r"\usepackage{tgpagella}",
            r"\usepackage[scaled]{helvet}\renewcommand{\familydefault}{\sfdefault}",
            r"\usepackage{tgheros}\renewcommand{\familydefault}{\sfdefault}",
        ]
    )
    size = rng.choice(["10pt", "11pt"])
    sc = r"\scshape" if rng.random() < 0.3 else ""
    rule = r"[\titlerule]" if rng.random() < 0.7 else ""
    L = [
        rf"\documentclass[{size},a4paper]{{article}}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage[T1]{fontenc}",
        font,
        rf"\usepackage[margin={rng.choice(['1.8cm', '2cm', '2.2cm'])}]{{geometry}}",
        r"\usepackage{titlesec,tabularx,enumitem,xcolor}",
        r"\usepackage[hidelinks]{hyperref}",
        r"\input{glyphtounicode}\pdfgentounicode=1",
        r"\pagestyle{empty}\setlength{\parindent}{0pt}\setlength{\parskip}{2pt}",
        rf"\titleformat{{\section}}{{\large\bfseries{sc}}}{{}}{{0pt}}{{}}{rule}",
        r"\titlespacing*{\section}{0pt}{10pt}{5pt}",
        r"\setlist[itemize]{leftmargin=1.4em,topsep=1pt,itemsep=0pt,parsep=0pt}",
        r"\raggedright",
        r"\begin{document}",
    ]
    center = rng.random() < 0.6
    L.append(r"\begin{center}" if center else "")
    L.append(rf"{{\LARGE\bfseries {e((b.get('name') or '').strip())}}}\\[3pt]")
    if (b.get("label") or "").strip():
        L.append(rf"{{\large {e(b['label'].strip())}}}\\[3pt]")
    parts = []
    for it in contact_items(b, rng):
        if it.url and _SAFE_URL.fullmatch(it.url):
            parts.append(rf"\href{{{it.url}}}{{{e(it.label)}}}")
        else:
            parts.append(e(it.label))
    sep = rng.choice([r" \textbar{} ", r" $\cdot$ ", r" \quad ", r" \textbullet{} "])
    L.append(sep.join(parts))
    L.append(r"\end{center}" if center else r"\par")

    def head(key):
        h = st.heading(key)
        L.append(rf"\section*{{{e(h)}}}")

    def line(left: str, right: str):
        L.append(
            r"\begin{tabularx}{\textwidth}{@{}X r@{}}" + f"{left} & {right}" + r"\end{tabularx}\\"
        )

    def bullets(entries):
        if entries:
            L.append(
                r"\begin{itemize}" + "".join(rf"\item {e(h)}" for h in entries) + r"\end{itemize}"
            )

    summary = paragraphs(b.get("summary"))
    if summary:
        head("summary")
        L.append(r"\par ".join(e(t) for t in summary) + r"\par")
    if d["work"]:
        head("work")
        for w in d["work"]:
            lines = st.job_title(w)
            line(rf"\textbf{{{e(lines[0])}}}", e(st.period(w)))
            for x in lines[1:]:
                L.append(rf"\textit{{{e(x)}}}\\")
            loc = st.job_location(w)
            if loc:
                L.append(rf"{{\small\textit{{{e(loc)}}}}}\\")
            for t in work_text(w):
                L.append(e(t) + r"\par")
            bullets(highlights(w))
            L.append(r"\smallskip")
    if d["education"]:
        head("education")
        for ed in d["education"]:
            deg = st.degree(ed)
            inst = (ed.get("institution") or "").strip()
            line(rf"\textbf{{{e(deg[0] if deg else inst)}}}", e(st.period(ed, present=False)))
            for x in deg[1:] + ([inst] if deg and inst else []):
                L.append(rf"{e(x)}\\")
            L.append(r"\smallskip")
    groups = skill_groups(d)
    if groups:
        head("skills")
        for name, kws in groups:
            if name and kws:
                L.append(rf"\textbf{{{e(name)}:}} {e(', '.join(kws))}\\")
            else:
                L.append(rf"{e(name or ', '.join(kws))}\\")
    langs = language_items(d)
    if langs:
        head("languages")
        L.append(", ".join(e(f"{n} ({lv})" if lv else n) for n, lv in langs) + r"\par")
    if st.with_projects and project_items(d):
        head("projects")
        for pr in project_items(d):
            line(rf"\textbf{{{e(pr['name'].strip())}}}", e(st.period(pr, present=False)))
            for t in paragraphs(pr.get("description") or pr.get("summary")):
                L.append(e(t) + r"\par")
            bullets(highlights(pr))
    if st.with_awards and award_items(d):
        head("awards")
        bullets(
            [
                ", ".join(
                    x
                    for x in (
                        a["title"].strip(),
                        a.get("awarder").strip() if isinstance(a.get("awarder"), str) else "",
                        st.date(a.get("date")),
                    )
                    if x
                )
                for a in award_items(d)
            ]
        )
    L.append(r"\end{document}")
    return "\n".join(x for x in L if x) + "\n"


SOURCES = {"latex-moderncv": moderncv_source, "latex-article": article_source}


# --------------------------------------------------------------------------- compiling
_UNSET = re.compile(r"Unicode character (.) \(U\+([0-9A-F]+)\)")


def _pdflatex(tex: str, workdir: Path) -> tuple[bool, str]:
    (workdir / "cv.tex").write_text(tex, encoding="utf-8")
    try:
        subprocess.run(
            [PDFLATEX, "-interaction=nonstopmode", "-no-shell-escape", "cv.tex"],
            cwd=workdir,
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False, "timeout"
    log = (
        (workdir / "cv.log").read_text(encoding="utf-8", errors="replace")
        if (workdir / "cv.log").exists()
        else ""
    )
    return (workdir / "cv.pdf").exists() and "\n! " not in log, log


def compile_one(layout: str, person: Person, dest: Path) -> str:
    """'ok', 'skip: <why>' or 'fail: <why>'; writes `dest` when 'ok'."""
    make = SOURCES[layout]
    drop: frozenset = frozenset()
    with tempfile.TemporaryDirectory(prefix="cvtex-") as tmp:
        work = Path(tmp)
        for _attempt in range(3):
            for f in work.iterdir():
                f.unlink()
            ok, log = _pdflatex(make(person, lambda s, _d=drop: esc(s, _d)), work)
            if ok:
                shutil.copyfile(work / "cv.pdf", dest)
                return "ok"
            unset = {chr(int(h, 16)) for _c, h in _UNSET.findall(log)}
            if not unset:
                errs = [ln for ln in log.splitlines() if ln.startswith("! ")][:2]
                return "fail: " + ("; ".join(errs) or log[-200:])
            letters = sorted(c for c in unset if unicodedata.category(c).startswith("L"))
            if letters:
                return "skip: letters pdflatex cannot set: " + "".join(letters[:8])
            drop = drop | unset
        return "fail: characters still unset after 3 passes"


def render_all(out: Path, persons: list, jobs: int = 2, layouts=LAYOUTS) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    parts = {lay: Part(out, lay, lay) for lay in layouts}
    todo = [(lay, p) for lay in layouts for p in persons if not parts[lay].done(p, "pdf")]

    def work(task):
        lay, p = task
        return task, compile_one(lay, p, out / parts[lay].file_name(p, "pdf"))

    counts: dict[str, int] = {}
    with ThreadPoolExecutor(max(1, min(jobs, 2))) as pool:
        for (lay, p), status in pool.map(work, todo):
            kind = status.split(":")[0]
            counts[f"{lay} {kind}"] = counts.get(f"{lay} {kind}", 0) + 1
            if kind == "ok":
                parts[lay].add(p, "pdf")
            else:
                print(f"  {p.id} {lay}: {status}", file=sys.stderr)
    print(f"latex done in {time.time() - t0:.1f}s: {counts}", file=sys.stderr)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--people", help="comma-separated ids (default: everyone)")
    ap.add_argument("--layouts", help="comma-separated layouts (default: both)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument(
        "--source", action="store_true", help="print the .tex of the first person and stop"
    )
    a = ap.parse_args(argv)
    only = a.people.split(",") if a.people else None
    layouts = tuple(a.layouts.split(",")) if a.layouts else LAYOUTS
    persons = people(only=only)
    if a.source:
        for lay in layouts:
            print(SOURCES[lay](persons[0]))
        return
    render_all(a.out, persons, a.jobs, layouts)


if __name__ == "__main__":
    main()

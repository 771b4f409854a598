"""JSON Resume themes from npm, printed to PDF by Chromium (and, for some, the
`pdftotext -layout` text of that PDF) for the development corpus.

    .venv/bin/python -m tools.cvcorpus.themes --out data/corpus \\
        [--people c-001,c-002] [--themes even,flat] [--jobs 2]

Each theme is a layout of its own and a family "theme-<name>"; the `.txt`
documents of the themes in TXT_THEMES share the layout and family of their
PDF. Steps, per run:

1. `render.js` (tools/cvcorpus/themes/) renders every person's render-ready
   resume to HTML, one node process per theme (`npm ci` first when the
   node_modules folder is missing). A person a theme crashes on is skipped
   and counted.
2. One headless Chromium (playwright) prints the HTML: A4 or Letter and, for a
   stable quarter of the (person, theme) pairs, scaled 0.6-0.9 so that long
   CVs fit on fewer pages ("printed to fit"). Nothing reaches the network: the
   stylesheets and icon fonts the themes link from CDNs (Bootstrap 3, Font
   Awesome 4/5/6) are answered from the npm copies in themes/node_modules,
   every other request that is not file:, data:, about: or blob: is aborted
   (web fonts fall back to the local ones).
3. Each document is recorded with `Part.add`, which reads its visibility from
   the file itself. Documents already recorded are not made again.

Beside each person's HTML the theme also renders a probe: the person with the
city, employers, titles, schools, degrees and fields replaced by marks
(`common.probe_truth`). A mark the probe's HTML does not show is a value the
theme has no place for: not printed, whatever words of it stand elsewhere in
the document (`common.unprinted_keys`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.cvcorpus.common import (
    Part,
    Person,
    people,
    probe_truth,
    render_ready,
    stable_rng,
    unprinted_keys,
)

HERE = Path(__file__).resolve().parent / "themes"
NODE_MODULES = HERE / "node_modules"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# short name -> npm package (pinned in themes/package.json)
THEMES = {
    name: f"jsonresume-theme-{name}"
    for name in (
        "actual",
        "autumn",
        "caffeine",
        "class",
        "compact",
        "cora",
        "crisp",
        "direct",
        "elegant",
        "eloquent",
        "even",
        "flat",
        "fullmoon",
        "jacrys",
        "kendall",
        "kwan",
        "lucide",
        "macchiato",
        "minyma",
        "mocha-responsive",
        "modern",
        "onepage",
        "onepage-plus",
        "orbit",
        "paper",
        "papirus",
        "rocketspacer",
        "short",
        "slick",
        "spartacus",
        "spartan",
        "srt",
        "stackoverflow",
        "straightforward",
    )
}
# themes whose PDF is also written as `pdftotext -layout` text
TXT_THEMES = (
    "even",
    "stackoverflow",
    "macchiato",
    "kendall",
    "autumn",
    "actual",
    "crisp",
    "jacrys",
    "srt",
)
# two-column among them: kendall, autumn, jacrys (sidebar left), actual (sidebar
# right), srt (contacts and education left)

PAGE_FORMATS = ("A4", "Letter")
SCALED_SHARE = 0.25


def print_options(person_id: str, theme: str) -> dict:
    """Paper size, margins and scale of one (person, theme) print: fixed by the seed."""
    rng = stable_rng(person_id, theme, "print")
    fmt = rng.choice(PAGE_FORMATS)
    margin = f"{rng.choice((8, 10, 12, 15))}mm"
    scaled = rng.random() < SCALED_SHARE
    scale = round(rng.uniform(0.6, 0.9), 2) if scaled else 1.0
    return {
        "format": fmt,
        "scale": scale,
        "print_background": True,
        "margin": {"top": margin, "bottom": margin, "left": margin, "right": margin},
    }


# ------------------------------------------------------------------- local copies of CDN assets
def _local_asset(url: str) -> Path | None:
    """The npm copy that answers a theme's CDN link, or None (the request is aborted)."""
    u = url.split("?")[0].split("#")[0].lower()
    name = u.rsplit("/", 1)[-1]
    bootstrap = NODE_MODULES / "bootstrap" / "dist"
    fa4 = NODE_MODULES / "font-awesome"
    fa5 = NODE_MODULES / "@fortawesome" / "fontawesome-free"
    if re.search(r"bootstrap(?:cdn)?\b.*?/3\.\d+\.\d+/css/bootstrap(?:\.min)?\.css$", u):
        return bootstrap / "css" / "bootstrap.min.css"
    if "font-awesome/4." in u or "font-awesome.min.css" in u or "font-awesome.css" in u:
        if name.endswith(".css"):
            return fa4 / "css" / "font-awesome.min.css"
        candidate = fa4 / "fonts" / name
        return candidate if candidate.is_file() else None
    if name.startswith("fontawesome-webfont."):
        candidate = fa4 / "fonts" / name
        return candidate if candidate.is_file() else None
    if "fontawesome" in u or "font-awesome" in u or name.startswith("fa-"):
        if name in ("all.css", "all.min.css"):
            return fa5 / "css" / "all.min.css"
        if name in ("v4-shims.css", "v4-shims.min.css"):
            return fa5 / "css" / "v4-shims.min.css"
        candidate = fa5 / "webfonts" / name
        return candidate if candidate.is_file() else None
    return None


async def _route(route) -> None:
    url = route.request.url
    if url.startswith(("file:", "data:", "about:", "blob:")):
        await route.continue_()
        return
    local = _local_asset(url)
    if local is not None and local.is_file():
        await route.fulfill(path=str(local))
    else:
        await route.abort()


# --------------------------------------------------------------------------- node side
def ensure_node_modules() -> None:
    if not NODE_MODULES.is_dir():
        print("themes: npm ci", file=sys.stderr)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)


def render_html(theme: str, jobs: list[tuple[Path, Path]]) -> dict[Path, str | None]:
    """Run render.js for one theme: {html path: None when written, else the error}."""
    if not jobs:
        return {}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump([[str(a), str(b)] for a, b in jobs], fh)
        jobs_file = Path(fh.name)
    try:
        proc = subprocess.run(
            ["node", str(HERE / "render.js"), theme, str(jobs_file)],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=60 + 35 * len(jobs),
        )
    finally:
        jobs_file.unlink(missing_ok=True)
    results: dict[Path, str | None] = {Path(b): "no result from render.js" for _, b in jobs}
    for line in proc.stdout.splitlines():
        if line.startswith("@@RESULT "):
            row = json.loads(line[len("@@RESULT ") :])
            results[Path(row["out"])] = None if row["ok"] else row.get("error", "failed")
    if proc.returncode != 0:
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        for k, v in results.items():
            if v == "no result from render.js":
                results[k] = f"render.js exited {proc.returncode}: {' | '.join(tail)}"
    return results


def probe(theme: str, persons: list[Person], tmp: Path) -> dict[str, list[str] | None]:
    """{person id: the probed keys `theme` does not print for that person}, or
    None where the probe did not render (then nothing more is hidden)."""
    marks, pairs = {}, []
    for p in persons:
        truth, marks[p.id] = probe_truth(p.truth)
        src = tmp / "probe" / theme / f"{p.id}.json"  # a folder per theme: no thread shares one
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(json.dumps(render_ready(truth), ensure_ascii=False), encoding="utf-8")
        pairs.append((src, src.with_suffix(".html")))
    results = render_html(theme, pairs)
    out: dict[str, list[str] | None] = {}
    for p, (_, html) in zip(persons, pairs, strict=True):
        if results.get(html) is None and html.exists():
            out[p.id] = unprinted_keys(html.read_text(encoding="utf-8"), marks[p.id])
        else:
            out[p.id] = None
            print(f"themes: {theme} {p.id}: probe did not render", file=sys.stderr)
    return out


def probe_missing(out: Path, persons: list[Person], jobs: int = 2) -> int:
    """Probe the theme documents already written that were recorded without
    one (`probe`), so that `common.revisit` adds what their theme does not
    print; returns how many rows were given one."""
    out = Path(out)
    by_id = {p.id: p for p in persons}
    given = 0
    with tempfile.TemporaryDirectory(prefix="cvcorpus-probe-") as tmp:
        tmp = Path(tmp)

        def one_theme(theme: str) -> int:
            path = out / "parts" / f"{theme}.jsonl"
            if not path.exists():
                return 0
            rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
            need = sorted(
                {r["person_id"] for r in rows if "unprinted" not in r and r["person_id"] in by_id}
            )
            if not need:
                return 0
            keys = probe(theme, [by_id[pid] for pid in need], tmp)
            n = 0
            for r in rows:
                if "unprinted" not in r and keys.get(r["person_id"]) is not None:
                    r["unprinted"] = keys[r["person_id"]]
                    n += 1
            path.write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
            )
            return n

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            given = sum(pool.map(one_theme, list(THEMES)))
    return given


# --------------------------------------------------------------------------- the run
def _needed(part: Part, person: Person, theme: str) -> list[str]:
    fmts = ["pdf"] + (["txt"] if theme in TXT_THEMES else [])
    return [f for f in fmts if not part.done(person, f)]


async def _print_all(
    out: Path,
    work: list[tuple[str, Person, Path]],
    parts: dict[str, Part],
    jobs: int,
    failures: Counter,
    unprinted: dict[tuple[str, str], list[str] | None],
) -> int:
    from playwright.async_api import async_playwright

    made = 0
    lock = threading.Lock()

    def record(theme: str, person: Person, pdf: Path) -> int:
        part = parts[theme]
        keys = unprinted.get((theme, person.id))
        n = 0
        with lock:
            if not part.done(person, "pdf"):
                part.add(person, "pdf", unprinted=keys)
                n += 1
            if theme in TXT_THEMES and not part.done(person, "txt"):
                txt = out / part.file_name(person, "txt")
                subprocess.run(
                    ["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), str(txt)], check=True
                )
                part.add(person, "txt", unprinted=keys)
                n += 1
        return n

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(java_script_enabled=True, offline=False)
        await context.route("**/*", _route)
        queue: asyncio.Queue = asyncio.Queue()
        for item in work:
            queue.put_nowait(item)

        async def worker() -> None:
            nonlocal made
            page = await context.new_page()
            page.set_default_timeout(60000)
            while True:
                try:
                    theme, person, html = queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
                pdf = out / parts[theme].file_name(person, "pdf")
                try:
                    await page.goto(html.as_uri(), wait_until="load")
                    await page.pdf(path=str(pdf), **print_options(person.id, theme))
                    made += await asyncio.to_thread(record, theme, person, pdf)
                except Exception as exc:  # noqa: BLE001 - one document, counted and skipped
                    failures[theme] += 1
                    print(f"themes: {theme} {person.id}: print failed: {exc}", file=sys.stderr)
                    if pdf.exists() and not parts[theme].done(person, "pdf"):
                        pdf.unlink()
                    await page.close()
                    page = await context.new_page()
                    page.set_default_timeout(60000)
            await page.close()

        await asyncio.gather(*(worker() for _ in range(max(1, jobs))))
        await context.close()
        await browser.close()
    return made


def render_all(
    out: Path, persons: list[Person], jobs: int = 2, themes: list[str] | None = None
) -> None:
    """Render every person with every theme into `out` (resumable)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    themes = list(themes or THEMES)
    unknown = [t for t in themes if t not in THEMES]
    if unknown:
        raise SystemExit(f"unknown themes: {', '.join(unknown)} (known: {', '.join(THEMES)})")
    ensure_node_modules()
    t0 = time.monotonic()
    parts = {t: Part(out, layout=t, family=f"theme-{t}") for t in themes}
    todo = {t: [p for p in persons if _needed(parts[t], p, t)] for t in themes}
    total = sum(len(v) for v in todo.values())
    print(f"themes: {total} (person, theme) pairs to make, {len(themes)} themes", file=sys.stderr)
    if not total:
        return
    failures: Counter = Counter()
    with tempfile.TemporaryDirectory(prefix="cvcorpus-themes-") as tmp:
        tmp = Path(tmp)
        for p in {p.id: p for ps in todo.values() for p in ps}.values():
            (tmp / f"{p.id}.json").write_text(
                json.dumps(p.ready(), ensure_ascii=False), encoding="utf-8"
            )

        unprinted: dict[tuple[str, str], list[str] | None] = {}

        def one_theme(theme: str) -> list[tuple[str, Person, Path]]:
            pairs = [(tmp / f"{p.id}.json", tmp / theme / f"{p.id}.html") for p in todo[theme]]
            results = render_html(theme, pairs)
            for pid, keys in probe(theme, todo[theme], tmp).items():
                unprinted[(theme, pid)] = keys
            ok = []
            for p in todo[theme]:
                html = tmp / theme / f"{p.id}.html"
                err = results.get(html)
                if err is None and html.exists():
                    ok.append((theme, p, html))
                else:
                    failures[theme] += 1
                    first = (err or "no HTML").strip().splitlines()[0][:200]
                    print(f"themes: {theme} {p.id}: render failed: {first}", file=sys.stderr)
            return ok

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            work = [item for items in pool.map(one_theme, themes) for item in items]
        t1 = time.monotonic()
        print(f"themes: {len(work)} HTML in {t1 - t0:.0f}s", file=sys.stderr)
        made = asyncio.run(_print_all(out, work, parts, jobs, failures, unprinted))
    t2 = time.monotonic()
    print(
        f"themes: {made} documents in {t2 - t0:.0f}s; skipped: "
        + (", ".join(f"{t} {n}" for t, n in sorted(failures.items())) or "none"),
        file=sys.stderr,
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--people", help="comma-separated person ids (default: all)")
    ap.add_argument("--themes", help=f"comma-separated (default: all): {','.join(THEMES)}")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    only = args.people.split(",") if args.people else None
    themes = args.themes.split(",") if args.themes else None
    render_all(args.out, people(only=only), jobs=args.jobs, themes=themes)


if __name__ == "__main__":
    main()

"""Compile the translation catalogues: locale/<lang>/LC_MESSAGES/django.po -> .mo.

With polib (pure Python, requirements-dev.txt) rather than GNU gettext's msgfmt,
which a machine with only Python may lack. The .mo files are committed, so
`make run` needs neither; tests/portfolios/test_i18n_catalogues.py fails when a
.po changed and its .mo was not compiled again.

    python scripts/compilemessages.py          # compile every catalogue
    python scripts/compilemessages.py --check  # exit 1 if a .mo is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def catalogues() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))


def compiled(po_path: Path) -> dict[tuple[str, str], str]:
    """What a catalogue says once compiled: (context, message) -> translation."""
    po = polib.pofile(str(po_path))
    return {(e.msgctxt or "", e.msgid): e.msgstr for e in po.translated_entries() if not e.obsolete}


def in_mo(mo_path: Path) -> dict[tuple[str, str], str]:
    mo = polib.mofile(str(mo_path))
    return {(e.msgctxt or "", e.msgid): e.msgstr for e in mo if e.msgid}


def stale() -> list[Path]:
    """The catalogues whose .mo is missing or says something else than the .po."""
    out = []
    for po in catalogues():
        mo = po.with_suffix(".mo")
        if not mo.exists() or in_mo(mo) != compiled(po):
            out.append(po)
    return out


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = stale()
        for po in bad:
            print(f"{po.relative_to(LOCALE.parent)}: its .mo is stale; run make messages")
        return 1 if bad else 0
    for po in catalogues():
        polib.pofile(str(po)).save_as_mofile(str(po.with_suffix(".mo")))
        print(f"compiled {po.relative_to(LOCALE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

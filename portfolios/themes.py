"""Portfolio themes (SPEC P-6): names, labels and where each theme's files live.

A theme is a Django template (`templates/portfolios/themes/<name>/index.html`,
sharing the partials in `templates/portfolios/themes/_partials/`) and a
stylesheet kept with the code (`portfolios/theme_assets/<name>/style.css`),
copied into every generated site as `style.css`. Themes use no JavaScript,
no web fonts and no external requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent / "theme_assets"


@dataclass(frozen=True)
class Theme:
    name: str
    label: str
    description: str

    @property
    def template(self) -> str:
        return f"portfolios/themes/{self.name}/index.html"

    @property
    def stylesheet_path(self) -> Path:
        return ASSETS_DIR / self.name / "style.css"


THEMES: dict[str, Theme] = {
    t.name: t
    for t in (
        Theme(
            "classic",
            "Classic",
            "A calm, centred page set in a book serif, with small-caps headings and "
            "thin rules: a printed CV, made for the screen.",
        ),
        Theme(
            "modern",
            "Modern",
            "A bold coloured header, section navigation and cards, with skills and "
            "contact details in a sidebar on wide screens.",
        ),
        Theme(
            "minimal",
            "Minimal",
            "Black on white, generous space, section names in a narrow left column "
            "and dates in monospace: nothing but the content.",
        ),
    )
}
DEFAULT_THEME = "modern"


def get_theme(name: str) -> Theme:
    """The theme called `name`; KeyError for an unknown name."""
    try:
        return THEMES[name]
    except (KeyError, TypeError):
        raise KeyError(f"unknown theme {name!r}") from None


def theme_choices() -> list[tuple[str, str]]:
    """(name, label) pairs, for a form's choices."""
    return [(t.name, t.label) for t in THEMES.values()]


@cache
def theme_stylesheet(name: str) -> bytes:
    """The bytes of a theme's `style.css`."""
    return get_theme(name).stylesheet_path.read_bytes()

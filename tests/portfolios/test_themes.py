"""The theme registry and each theme's stylesheet (SPEC P-6), without a browser."""

from __future__ import annotations

import re

import pytest
from django.template.loader import get_template

from portfolios.themes import DEFAULT_THEME, THEMES, Theme, get_theme, theme_stylesheet


def test_at_least_three_themes_with_a_default():
    assert len(THEMES) >= 3
    assert DEFAULT_THEME in THEMES
    for name, theme in THEMES.items():
        assert isinstance(theme, Theme)
        assert theme.name == name
        assert theme.label and theme.description


def test_get_theme():
    assert get_theme("classic").label == "Classic"
    with pytest.raises(KeyError):
        get_theme("no-such-theme")


def test_themes_are_distinct():
    sheets = {theme_stylesheet(name) for name in THEMES}
    assert len(sheets) == len(THEMES)


@pytest.mark.parametrize("name", sorted(THEMES))
def test_theme_files_exist(name):
    theme = get_theme(name)
    get_template(theme.template)
    assert theme.stylesheet_path.is_file()
    assert "static" not in theme.stylesheet_path.parts


@pytest.mark.parametrize("name", sorted(THEMES))
def test_stylesheet_has_what_p6_asks_for(name):
    css = theme_stylesheet(name).decode()
    assert "@media print" in css
    assert "@media (prefers-color-scheme: dark)" in css
    assert "overflow-wrap: anywhere" in css
    assert ":focus-visible" in css
    assert "attr(href)" in css  # printed links show their URL
    # No web fonts, no imports, nothing fetched.
    for forbidden in ("@font-face", "@import", "url(", "//"):
        assert forbidden not in re.sub(r"/\*.*?\*/", "", css, flags=re.S), forbidden


# --------------------------------------------------------------------------- contrast
def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _variables(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})\b", block))


def palettes(css: str) -> dict[str, dict[str, str]]:
    light = _variables(re.search(r":root\s*\{(.*?)\}", css, re.S).group(1))
    dark_block = re.search(
        r"@media \(prefers-color-scheme: dark\)\s*\{\s*:root\s*\{(.*?)\}", css, re.S
    ).group(1)
    return {"light": light, "dark": {**light, **_variables(dark_block)}}


# (foreground, background) pairs of every theme that carry text.
TEXT_PAIRS = {
    "classic": [("text", "bg"), ("muted", "bg"), ("accent", "bg"), ("text", "tag-bg")],
    "modern": [
        ("text", "bg"),
        ("muted", "bg"),
        ("text", "surface"),
        ("muted", "surface"),
        ("accent", "surface"),
        ("chip-text", "chip-bg"),
        ("hero-text", "hero-from"),
        ("hero-text", "hero-to"),
        ("hero-muted", "hero-from"),
        ("hero-muted", "hero-to"),
    ],
    "minimal": [("text", "bg"), ("muted", "bg"), ("accent", "bg")],
}


def test_every_theme_has_its_contrast_pairs_listed():
    assert set(TEXT_PAIRS) == set(THEMES)


@pytest.mark.parametrize("name", sorted(THEMES))
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_is_at_least_4_5_to_1(name, scheme):
    colours = palettes(theme_stylesheet(name).decode())[scheme]
    for fg, bg in TEXT_PAIRS[name]:
        ratio = contrast(colours[fg], colours[bg])
        assert ratio >= 4.5, f"{name} {scheme}: {fg} on {bg} is {ratio:.2f}:1"

"""Render a JSON Resume document into a static portfolio site (SPEC P-2, P-6, P-7).

Pure functions, no models and no database, one module per idea:

- `render`: `render_site(resume, theme, base_url=..., slug=...)` returns the
  files of the site: `index.html`, `style.css`, `resume.json`, `contact.vcf`
  and `site.zip` (all of the others). Every one of them is public, so all are
  made from `public_document(resume)`: exactly what the page shows (issue 10
  item 12). `render_owner_archive(...)` is the owner's ZIP: the same page with
  the whole document and a full vCard; it is never written to a sandbox.
  `render_preview(resume, theme)` returns the same `index.html` alone.
- `context`: the view model a theme template renders (`build_context`);
  `labels`: its words in the document's language (Django's catalogues) and its
  dates; `values`: text and safe URLs read out of a document.
- `public`: `public_document(resume, privacy)`, what every public file is
  made from, under the person's `Privacy` choices (what to hide, noindex);
  `jsonld`: the schema.org `Person`; `vcard`: `contact.vcf`; `files`: the
  `SiteFile`s, `resume.json` and the ZIP.
- `quality`: `check_quality(files)` is the gate before a site goes live; it
  raises `QualityError` listing what is wrong, in plain words.

The templates are safe on their own: everything is autoescaped, every URL goes
through the `safe_url` filter (http, https and mailto only) and the JSON-LD
block is escaped so that no value can close the `<script>` element.

The names below are what the rest of the project imports from `portfolios.site`.
"""

from __future__ import annotations

from .context import SIDE_SECTIONS, build_context
from .files import CONTENT_TYPES, SiteFile, resume_json
from .jsonld import person_jsonld, script_json
from .labels import date_range, format_date, labels, site_language
from .public import SHOW_ALL, Privacy, extension_fields, public_document
from .quality import (
    DEFAULT_WEIGHT_BUDGET_BYTES,
    FORBIDDEN_TAGS,
    NON_FETCHING_RELS,
    URL_ATTRS,
    QualityError,
    check_quality,
    weight,
)
from .render import render_index, render_owner_archive, render_preview, render_site
from .values import ALLOWED_SCHEMES, DESCRIPTION_MAX, safe_url
from .vcard import render_vcard

__all__ = [
    "ALLOWED_SCHEMES",
    "CONTENT_TYPES",
    "DEFAULT_WEIGHT_BUDGET_BYTES",
    "DESCRIPTION_MAX",
    "FORBIDDEN_TAGS",
    "NON_FETCHING_RELS",
    "SIDE_SECTIONS",
    "URL_ATTRS",
    "SHOW_ALL",
    "Privacy",
    "QualityError",
    "SiteFile",
    "build_context",
    "labels",
    "site_language",
    "check_quality",
    "date_range",
    "extension_fields",
    "format_date",
    "person_jsonld",
    "public_document",
    "render_index",
    "render_owner_archive",
    "render_preview",
    "render_site",
    "render_vcard",
    "resume_json",
    "safe_url",
    "script_json",
    "weight",
]

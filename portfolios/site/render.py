"""Render a document into the files of its site (SPEC P-2, P-7): the page, the
public copies and `site.zip`, or the owner's archive."""

from __future__ import annotations

from django.template.loader import render_to_string

from extraction.resume import document_language

from ..themes import get_theme, theme_stylesheet
from .context import build_context
from .files import CONTENT_TYPES, SiteFile, _zip, resume_json
from .public import SHOW_ALL, Privacy, public_document
from .vcard import render_vcard


def render_index(
    resume: dict,
    theme: str,
    *,
    base_url: str = "",
    lang: str | None = None,
    stylesheet_href: str = "style.css",
    privacy: Privacy = SHOW_ALL,
) -> str:
    # The page speaks the document's language unless told otherwise (issue 15 point 2).
    lang = lang or document_language(resume)
    context = build_context(resume, base_url=base_url, lang=lang, privacy=privacy)
    context["stylesheet_href"] = stylesheet_href
    return render_to_string(get_theme(theme).template, context)


def render_preview(
    resume: dict,
    theme: str,
    *,
    lang: str | None = None,
    stylesheet_href: str = "style.css",
    privacy: Privacy = SHOW_ALL,
) -> str:
    """`index.html` alone (as in the site; its stylesheet is `theme_stylesheet(theme)`)."""
    return render_index(resume, theme, lang=lang, stylesheet_href=stylesheet_href, privacy=privacy)


def render_site(
    resume: dict,
    theme: str,
    *,
    base_url: str,
    slug: str,
    lang: str | None = None,
    privacy: Privacy = SHOW_ALL,
) -> list[SiteFile]:
    """The files of the site, `site.zip` (a ZIP of all the others) last."""
    get_theme(theme)  # KeyError before any work for an unknown theme
    # Everything here is public: made from the public document only, which
    # leaves out what the person chose to hide.
    public = public_document(resume, privacy)
    lang = lang or document_language(resume)
    files = _site_files(public, public, theme, base_url=base_url, lang=lang, privacy=privacy)
    files.append(SiteFile("site.zip", _zip(files), CONTENT_TYPES["site.zip"]))
    return files


def _site_files(
    shown: dict,
    document: dict,
    theme: str,
    *,
    base_url: str,
    lang: str | None,
    privacy: Privacy,
) -> list[SiteFile]:
    """index.html and style.css of `shown`; resume.json and contact.vcf of `document`."""
    html = render_index(shown, theme, base_url=base_url, lang=lang, privacy=privacy)
    return [
        SiteFile("index.html", html.encode("utf-8"), CONTENT_TYPES["index.html"]),
        SiteFile("style.css", theme_stylesheet(theme), CONTENT_TYPES["style.css"]),
        SiteFile("resume.json", resume_json(document), CONTENT_TYPES["resume.json"]),
        SiteFile(
            "contact.vcf", render_vcard(document).encode("utf-8"), CONTENT_TYPES["contact.vcf"]
        ),
    ]


def render_owner_archive(
    resume: dict,
    theme: str,
    *,
    base_url: str,
    slug: str,
    lang: str | None = None,
    privacy: Privacy = SHOW_ALL,
) -> bytes:
    """The owner's ZIP of the site (SPEC P-7): the same page (as the person's
    privacy choices show it), with the whole document as resume.json and a
    vCard with every contact field."""
    get_theme(theme)
    lang = lang or document_language(resume)
    files = _site_files(
        public_document(resume, privacy),
        resume,
        theme,
        base_url=base_url,
        lang=lang,
        privacy=privacy,
    )
    return _zip(files)

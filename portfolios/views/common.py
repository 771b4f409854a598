"""What the people's pages share: private responses, redirects after a POST,
and the editor of a JSON Resume document (the review page and the edit page)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render

from .. import editing, publishing


def private(response: HttpResponse) -> HttpResponse:
    """Pages that show or carry a manage token: not cached, never sent to another
    site as referrer. (`no-referrer` would also make the browser send
    `Origin: null` on our own forms, which CSRF protection then refuses.)"""
    response["Cache-Control"] = "no-store, private"
    response["Referrer-Policy"] = "same-origin"
    return response


def see_other(url: str) -> HttpResponse:
    response = redirect(url)
    response.status_code = 303
    return response


def review_page(request, editor, *, status=200, error=None, **context):
    return render(
        request,
        "portfolios/pages/review.html",
        {
            "editor": editor,
            "error": error,
            "invalid": status == 400 and error is None,
            **context,
        },
        status=status,
    )


def edit_document(request, doc, warnings, save, page, confidence=None):
    """GET shows the form; POST adds an empty entry ("add") or validates and
    calls save(document) -> response, which may raise PublishError."""
    if request.method in ("GET", "HEAD"):
        return page(editing.Editor(doc, warnings=warnings, confidence=confidence))
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    editor = editing.Editor(doc, data=request.POST, warnings=warnings, confidence=confidence)
    if editor.adding:
        return page(editor)
    if not editor.is_valid():
        return page(editor, status=400)
    try:
        return save(editor.to_resume())
    except publishing.PublishError as exc:
        return page(editor, status=400, error=exc)

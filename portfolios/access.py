"""Who may control a portfolio (SPEC S-1, docs/security.md).

Control (read it on the API, edit, change the theme, keep alive, archive,
restore, download everything, erase) belongs to:
- its owner's account (registered users),
- the browser session that published it, or that opened its manage link
  (the link's token is traded for the session on first visit),
- whoever presents its manage token in a header (`X-Manage-Token: <token>` or
  `Authorization: Manage <token>`): the API's way for anonymous callers.

Never the client address: offices, universities, carrier NAT and a
misconfigured proxy put many people behind one. The address stays what it is
for: quotas and rate limits.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from cv2web import tokens

from .models import Portfolio, PortfolioRequest

SESSION_PORTFOLIOS = "portfolios:controls"
SESSION_REQUESTS = "portfolios:requests"
# A session remembers this many of the portfolios it may control.
REMEMBERED = 50


def _remembered(request, key: str) -> list[str]:
    session = getattr(request, "session", None)
    ids = session.get(key, []) if session is not None else []
    return ids if isinstance(ids, list) else []


def controlled(request) -> QuerySet[Portfolio]:
    """The portfolios the caller may control."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    allowed = Q(pk__in=_remembered(request, SESSION_PORTFOLIOS))
    requests = _remembered(request, SESSION_REQUESTS)
    if requests:
        # Published from the waiting list after this session asked for it.
        allowed |= Q(
            pk__in=PortfolioRequest.objects.filter(pk__in=requests, portfolio__isnull=False).values(
                "portfolio_id"
            )
        )
    if signed_in:
        # Signed in (Django empties the session when another user signs in; an
        # API token may ride on someone else's cookie): the session reaches
        # anonymous portfolios and the account's own, never another account's.
        allowed &= Q(owner__isnull=True) | Q(owner=user)
        allowed |= Q(owner=user)
    token_hash = tokens.presented_hash(request)
    if token_hash:
        allowed |= Q(manage_token_hash=token_hash)
    return Portfolio.objects.filter(allowed)


def controlled_or_404(request, **lookup) -> Portfolio:
    """The caller's portfolio; 404 alike for one that does not exist and one
    that is not theirs (SPEC A)."""
    portfolio = controlled(request).filter(**lookup).first()
    if portfolio is None:
        raise Http404
    return portfolio


def may_control(request, portfolio: Portfolio) -> bool:
    return controlled(request).filter(pk=portfolio.pk).exists()


def _remember(request, key: str, pk) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    ids = [i for i in _remembered(request, key) if i != str(pk)]
    session[key] = [*ids, str(pk)][-REMEMBERED:]


def grant(request, portfolio: Portfolio) -> None:
    """This browser session may control `portfolio` from now on."""
    _remember(request, SESSION_PORTFOLIOS, portfolio.pk)


def grant_request(request, req: PortfolioRequest) -> None:
    """... and the portfolio the waiting-list request `req` becomes."""
    _remember(request, SESSION_REQUESTS, req.pk)


def caller_scope(request) -> str:
    """Whose an idempotency key is: the account, else this browser session
    (made now if there is none; a caller that keeps no cookies gets a new
    scope each time, so its keys protect nothing, but they expose nothing)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    if not request.session.session_key:
        request.session.save()
    return f"session:{request.session.session_key}"

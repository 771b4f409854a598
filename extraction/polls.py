"""Polls of a job answered from what an earlier poll read (issue 13).

A client polls its job every second or two until it is done; between two
polls nothing it is shown has usually changed. Django's answer to a poll
(ExtractionDetail._quick_poll) reads the caller's token and the job from the
database; it leaves here what it read (`keep`), with the change stamps
(cv2web.stamps) it read before: "auth" for tokens, accounts and users, "jobs"
for jobs, their documents and so the queue. `PollAnswers`, an answerer of
settings.WSGI_FAST_PATHS, then answers the same caller's next polls of that
job before Django builds a request, for as long as both stamps are unchanged:

- the job's answer is the one Django made, with its place in the queue made
  again from the kept rows by the same function (`queue.place_of`), so a
  running job's ETA counts down as it would; a job whose place would ask
  the database (one waiting for a model batch, a background job) is
  declined;
- the rate limit is counted as Django counts it (and a refusal is left to
  Django, which reuses the decision), the allowance headers read from the
  cache with the queue's typical duration and the stamps (one round trip
  with Redis);
- headers are those of Django's first such answer in this process, with the
  body's, the caller's and the request's own made anew (as
  monitoring.api.StatusAnswers does).

Everything else goes to Django as before: another path or method, a query
string, an Accept header DRF would judge, a cookie or a conditional request,
a token this process has not seen answered, a token due for its "last used"
note, a stamp absent or changed, an answer older than POLL_ANSWERS_MAX_AGE_S
(a bound should a bump be lost), the allowance not in the cache.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.http import quote_etag
from rest_framework.renderers import JSONRenderer

from cv2web import stamps
from cv2web.fastpath import Answer, ConstantAnswers, host_allowed, is_secure
from cv2web.logs import REQUEST_ID_HEADER, new_request_id, sane_request_id
from quotas.identity import client_bucket, client_ip
from quotas.policy import today, usage_key_of, usage_of
from quotas.ratelimits import CHEAP_READ_DECISION, CheapReadThrottle, check_and_read

from . import queue
from .models import ExtractionJob, JobState

# The stamps a kept poll depends on (cv2web.stamps).
STAMPS = ("auth", "jobs")
POLL_PATH = re.compile(r"/api/v1/extractions/([0-9a-fA-F-]{32,36})")
TOKEN_HEADER = re.compile(r"[Tt][Oo][Kk][Ee][Nn] ([A-Za-z0-9_-]{1,128})")
_PLAIN_ACCEPT = ("*/*", "application/json")
# What makes a poll Django's: a session, a manage token, a conditional or range request.
_DJANGOS = (
    "HTTP_COOKIE",
    "HTTP_X_MANAGE_TOKEN",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_RANGE",
)
# ApiTokenAuthentication.touch writes a token's use at most this often; a
# kept token due for it is Django's, which writes it.
_TOUCH_EVERY = timedelta(minutes=1)


def token_hash(key: str) -> str:
    """As quotas.models stores keys (sha256)."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(slots=True)
class KeptPoll:
    stamps: tuple
    user: Any
    token: Any  # quotas.models.ApiToken, or None for an anonymous poll
    job: ExtractionJob
    ahead: int | None  # jobs ahead of a waiting one, as read with it
    payload: dict  # job_data's answer then; only the place is made again
    kept_at: float  # time.monotonic()
    # ((typical duration, day's count, day), (body, ETag, allowance headers))
    # of the last answer made from it, when its place owed nothing to the clock.
    made: tuple | None = None


class _Kept:
    """Kept polls by (token hash or None, job id), the oldest kept first (a
    poll that is answered from one does not move it: no lock on that path)."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple[str | None, str], KeptPoll] = OrderedDict()
        self.lock = threading.Lock()

    def put(self, key: tuple[str | None, str], entry: KeptPoll) -> None:
        limit = settings.POLL_ANSWERS_KEPT
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > limit:
                self.entries.popitem(last=False)

    def get(self, key: tuple[str | None, str]) -> KeptPoll | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if time.monotonic() - entry.kept_at > settings.POLL_ANSWERS_MAX_AGE_S:
            with self.lock:
                self.entries.pop(key, None)
            return None
        return entry

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


kept = _Kept()


def job_key(pk) -> str | None:
    try:
        return str(uuid.UUID(str(pk)))
    except ValueError:
        return None


def read_stamps() -> tuple | None:
    """The stamps before a poll reads the database (made if absent)."""
    now = stamps.read(STAMPS)
    if now is None:
        stamps.ensure(STAMPS)
        now = stamps.read(STAMPS)
    return now


def keep(read: tuple | None, key_hash: str | None, request, job: ExtractionJob, ahead, payload):
    """What Django's answer to a poll read, for the next polls: `read`, the
    stamps read before it (nothing is kept without them); `ahead`, the count
    of jobs ahead read with the job; `payload`, the answer made from them."""
    if read is None or settings.POLL_ANSWERS_KEPT <= 0 or job.is_finished:
        # A finished job is polled once more, not every second, and its
        # answer carries the whole result: not worth the memory.
        return
    if any(request.META.get(name) for name in _DJANGOS):
        # Read with a session or a manage token: what it saw is that caller's,
        # and a kept answer is given only to plain polls (PollAnswers).
        return
    pk = job_key(job.pk)
    if pk is None:
        return
    entry = KeptPoll(read, request.user, request.auth, job, ahead, payload, time.monotonic())
    kept.put((key_hash, pk), entry)


def _place(entry: KeptPoll, typical) -> queue.Place:
    """The kept job's place now (`queue.place_of`, which uses up the count of
    jobs ahead on the instance it is given: a copy sharing the kept related
    rows, which are only read)."""
    job = entry.job
    copy = object.__new__(type(job))
    copy.__dict__.update(job.__dict__)
    if entry.ahead is not None:
        copy.__dict__["counted_ahead"] = entry.ahead
    return queue.place_of(copy, typical=typical)


class _Caller:
    """What the rate limit and the allowance read of a request."""

    __slots__ = ("META", "user", "auth", "client_ip", "client_bucket")

    def __init__(self, environ: dict, user, auth) -> None:
        self.META = environ
        self.user, self.auth = user, auth
        self.client_ip = client_ip(environ)
        self.client_bucket = client_bucket(self.client_ip)


class _NoQueries(Exception):
    pass


def _refuse(execute, sql, params, many, context):
    raise _NoQueries


class PollAnswers(ConstantAnswers):
    """The answerer of kept polls (see the module's text)."""

    made_here = frozenset(
        {"x-request-id", "content-length", "etag", "x-quota-limit", "x-quota-remaining"}
        | {"x-quota-reset"}
    )

    def __init__(self) -> None:
        super().__init__([])

    def kept_key(self, environ: dict) -> tuple[str, bool]:
        # One set of headers for every job: none of them names the job.
        return ("poll", is_secure(environ))

    def _plain(self, environ: dict) -> bool:
        return self._job_of(environ) is not None and self._plain_headers(environ)

    @staticmethod
    def _job_of(environ: dict) -> str | None:
        match = POLL_PATH.fullmatch(environ.get("PATH_INFO", ""))
        return None if match is None else match.group(1)

    @staticmethod
    def _plain_headers(environ: dict) -> bool:
        return (
            not environ.get("QUERY_STRING")
            and environ.get("HTTP_ACCEPT", "*/*") in _PLAIN_ACCEPT
            and not any(environ.get(name) for name in _DJANGOS)
            and host_allowed(environ)
        )

    def learns(self, environ: dict) -> bool:
        return self.kept_key(environ) not in self.kept and self._plain(environ)

    def __call__(self, environ: dict) -> Answer | None:
        job_id = self._job_of(environ)
        if job_id is None:
            return None
        headers_kept = self.kept.get(self.kept_key(environ))
        if headers_kept is None or not self._plain_headers(environ):
            return None
        key_hash = None
        header = environ.get("HTTP_AUTHORIZATION")
        if header is not None:
            m = TOKEN_HEADER.fullmatch(header)
            if m is None:
                return None
            key_hash = token_hash(m.group(1))
        pk = job_key(job_id)
        entry = kept.get((key_hash, pk)) if pk else None
        if entry is None:
            return None
        token = entry.token
        if token is not None and (
            token.last_used_at is None or timezone.now() - token.last_used_at > _TOUCH_EVERY
        ):
            return None  # Django notes the token's use
        request = _Caller(environ, entry.user, token)
        usage_key = usage_key_of(request)
        # The count and what the answer reads from the cache: one round trip
        # to Redis. Counted once: Django reuses the decision if it answers.
        decision, known = check_and_read(
            request,
            CheapReadThrottle.limits_of(),
            [queue.TYPICAL_KEY, usage_key, *stamps.keys_for(STAMPS)],
        )
        environ[CHEAP_READ_DECISION] = decision
        if decision.limited or known is None:
            return None
        if usage_key not in known or stamps.current(STAMPS, known) != entry.stamps:
            return None
        typical = known.get(queue.TYPICAL_KEY)
        job = entry.job
        if typical is None and not job.is_finished:
            return None
        day = today()
        used = known[usage_key]
        made = entry.made
        if made is not None and made[0] == (typical, used, day):
            # The same inputs as the last answer, whose place owes nothing to
            # the clock: the same body and headers.
            body, etag, usage_headers = made[1]
        else:
            try:
                with connections[ExtractionJob.objects.db].execute_wrapper(_refuse):
                    place = _place(entry, typical)
                    usage = usage_of(request, known=known)
            except _NoQueries:
                return None  # this job's place asks the database each time
            payload = {
                **entry.payload,
                "position": place.position,
                "eta_seconds": place.eta_seconds,
            }
            body = JSONRenderer().render(payload)
            etag = quote_etag(hashlib.md5(body, usedforsecurity=False).hexdigest())
            usage_headers = list(usage.headers().items())
            if job.leader.state != JobState.RUNNING:  # a running job's ETA counts down
                entry.made = ((typical, used, day), (body, etag, usage_headers))
        headers = [
            *headers_kept.headers,
            ("Content-Length", str(len(body))),
            ("ETag", etag),
            *usage_headers,
            (
                REQUEST_ID_HEADER,
                sane_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id(),
            ),
        ]
        return Answer(headers_kept.route, 200, headers_kept.status_line, headers, [body])


def fast_polls() -> PollAnswers | None:
    """The answerer of settings.WSGI_FAST_PATHS for polls of a job (None when
    POLL_ANSWERS_KEPT is 0)."""
    return PollAnswers() if settings.POLL_ANSWERS_KEPT > 0 else None

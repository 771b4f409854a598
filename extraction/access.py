"""Who may read and who may change an extraction job (SPEC S-1, docs/security.md).

- Read (its page, its result, the API's GET): its owner's account, staff, or,
  for an anonymous job, whoever holds its id (a random UUID, redacted from
  every log: the link the uploader was given).
- Change (cancel it, review it, publish from it): its owner's account, staff,
  the browser session that uploaded it, or its secret token presented in a
  header (`X-Manage-Token`, `Authorization: Manage <token>`; anonymous API
  uploads get one in the answer).

Never the client address: offices, carrier NAT and a misconfigured proxy put
many people behind one (that address is for quotas and rate limits only).
"""

from __future__ import annotations

import functools

from django.db import connections
from django.db.models import Q, QuerySet
from django.http import Http404

from cv2web import rawrows, tokens

from .models import Document, ExtractionJob, JobState

SESSION_KEY = "extraction:jobs"
# A session remembers this many of its most recent uploads.
REMEMBERED = 100


def _base() -> QuerySet[ExtractionJob]:
    return ExtractionJob.objects.select_related("document", "joined_to")


def readable(request) -> QuerySet[ExtractionJob]:
    """Jobs the caller may see by id: their own, anonymous ones, all for staff."""
    return _base().visible_to(request.user)


def job_visible_to(job: ExtractionJob, request) -> bool:
    """May the caller of `request` see `job` (its page, its result, the API's GET)?"""
    return ExtractionJob.objects.filter(pk=job.pk).visible_to(request.user).exists()


def remembered(request) -> list[str]:
    session = getattr(request, "session", None)
    ids = session.get(SESSION_KEY, []) if session is not None else []
    return ids if isinstance(ids, list) else []


def controlled(request) -> QuerySet[ExtractionJob]:
    """Jobs the caller may cancel, review or publish from."""
    jobs = _base()
    user = request.user
    if user.is_authenticated and user.is_staff:
        return jobs
    allowed = Q(pk__in=remembered(request))
    token_hash = tokens.presented_hash(request)
    if token_hash:
        allowed |= Q(manage_token_hash=token_hash)
    # A session or a token reaches anonymous jobs only; an account's jobs
    # belong to the account.
    allowed &= Q(owner__isnull=True)
    if user.is_authenticated:
        allowed |= Q(owner=user)
    return jobs.filter(allowed)


def job_for(request, pk) -> ExtractionJob:
    """The job `pk` if the caller may see it; Http404 otherwise (never 403: an
    id the caller may not see is one that does not exist for them).

    The rule is ExtractionJobQuerySet.visible_to's, in one statement written
    once (cv2web.rawrows): every poll of a job reads it, and building it through
    the ORM cost many times what the database takes to answer it (issue 13).
    The job a duplicate joined (joined_to) is read only for such a job. A job
    waiting in the queue brings its count of jobs ahead from the same
    statement, which its place (queue.place_of) reads instead of asking again.
    """
    user = request.user
    db = ExtractionJob.objects.db
    j = rawrows.columns(ExtractionJob, "j", db)
    d = rawrows.columns(Document, "d", db)
    queued = rawrows.prep(ExtractionJob, "state", JobState.QUEUED, db)
    params = [queued, queued, rawrows.prep(ExtractionJob, "id", pk, db)]
    if user.is_authenticated and user.is_staff:
        who = "all"
    elif user.is_authenticated:
        who = "user"
        params.append(rawrows.prep(ExtractionJob, "owner", user.pk, db))
    else:
        who = "anonymous"
    with connections[db].cursor() as cursor:
        cursor.execute(_job_sql(db, j, d, who), params)
        row = cursor.fetchone()
    if row is None:
        raise Http404
    job = j.instance(row)
    ExtractionJob.document.field.set_cached_value(job, d.instance(row, j.width))
    ahead = row[j.width + d.width]
    if ahead is not None:
        job.counted_ahead = ahead
    return job


@functools.cache
def _job_sql(db: str, j, d, who: str) -> str:
    """job_for's statement: one job by id with its document, for `who`
    ("all": staff; "user": its owner's account, or an anonymous job; else an
    anonymous job only)."""
    qn = connections[db].ops.quote_name
    meta = ExtractionJob._meta
    owner = f"{qn('j')}.{qn(meta.get_field('owner').column)}"
    doc_fk = f"{qn('j')}.{qn(meta.get_field('document').column)}"

    def col(alias: str, name: str) -> str:
        return f"{qn(alias)}.{qn(meta.get_field(name).column)}"

    # ExtractionJobQuerySet.count_ahead_of's count, for a waiting job only.
    same_priority = f"{col('a', 'priority')} = {col('j', 'priority')}"
    ahead = (
        f"CASE WHEN {col('j', 'state')} = %s "  # noqa: S608 - ours: names from the model
        f"AND {col('j', 'joined_to')} IS NULL THEN ("
        f"SELECT COUNT(*) FROM {qn(meta.db_table)} {qn('a')} "
        f"WHERE {col('a', 'joined_to')} IS NULL AND {col('a', 'state')} = %s AND ("
        f"{col('a', 'priority')} < {col('j', 'priority')}"
        f" OR ({same_priority} AND {col('a', 'enqueued_at')} < {col('j', 'enqueued_at')})"
        f" OR ({same_priority} AND {col('a', 'enqueued_at')} = {col('j', 'enqueued_at')}"
        f" AND {col('a', 'id')} < {col('j', 'id')}))) END"
    )
    sql = (
        f"SELECT {j.sql}, {d.sql}, {ahead} FROM {j.table} "  # noqa: S608 - ours
        f"INNER JOIN {d.table} ON {doc_fk} = {qn('d')}.{qn(Document._meta.pk.column)} "
        f"WHERE {qn('j')}.{qn(meta.pk.column)} = %s"
    )
    if who == "user":
        sql += f" AND ({owner} = %s OR {owner} IS NULL)"
    elif who != "all":
        sql += f" AND {owner} IS NULL"
    return sql


def controlled_or_404(request, pk) -> ExtractionJob:
    job = controlled(request).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def remember(request, job: ExtractionJob, *, now: bool = False) -> None:
    """This browser session uploaded `job`: it may change it from now on.
    `now`: the session's row is written at once, in the caller's transaction
    (the one that makes the job), and the response does not write it again;
    a session without a row yet is still made by the response."""
    session = getattr(request, "session", None)
    if session is None:
        return
    pk = str(job.pk)
    ids = [i for i in remembered(request) if i != pk]
    session[SESSION_KEY] = [*ids, pk][-REMEMBERED:]
    save_now = getattr(session, "save_now", None)  # the product's store has it
    if now and save_now is not None:
        save_now()

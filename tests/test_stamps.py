"""Change stamps (cv2web.stamps): in files on one machine, in Redis when the
cache is Redis; bumped after commit; never trusted when absent."""

from __future__ import annotations

import multiprocessing

import pytest
from django.core.cache import caches
from django.db import transaction
from django.test import override_settings

from cv2web import stamps
from quotas.models import ApiToken

NAMES = ("alpha", "beta")
REDIS = {
    "BACKEND": "cv2web.cache.RedisCache",
    "LOCATION": "redis://127.0.0.1:6379/13",
    "KEY_PREFIX": "cv2web-stamps-test",
}


@pytest.fixture(params=["files", "redis"])
def backend(request, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    stamps._maps.clear()
    if request.param == "files":
        yield request.param
        return
    with override_settings(CACHES={"default": REDIS}):
        caches["default"].clear()
        yield request.param
        caches["default"].clear()


def test_absent_stamps_are_none_until_made(backend):
    assert stamps.read(NAMES) is None
    stamps.ensure(NAMES)
    first = stamps.read(NAMES)
    assert first is not None and len(first) == 2
    stamps.ensure(NAMES)  # made already: unchanged
    assert stamps.read(NAMES) == first


def test_a_bump_changes_only_its_own_stamp(backend):
    stamps.ensure(NAMES)
    before = stamps.read(NAMES)
    stamps.bump_now("alpha")
    after = stamps.read(NAMES)
    assert after[0] != before[0] and after[1] == before[1]
    seen = {after[0]}
    for _ in range(20):
        stamps.bump_now("alpha")
        seen.add(stamps.read(NAMES)[0])
    assert len(seen) == 21, "a value came back"


@pytest.mark.django_db(transaction=True)
def test_a_bump_waits_for_the_commit(backend):
    stamps.ensure(NAMES)
    before = stamps.read(NAMES)
    with transaction.atomic():
        stamps.bump("beta")
        assert stamps.read(NAMES) == before, "bumped before the rows were committed"
    assert stamps.read(NAMES)[1] != before[1]
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        stamps.bump("beta")
        1 / 0
    after_rollback = stamps.read(NAMES)
    assert after_rollback[1] != before[1]


@pytest.mark.django_db(transaction=True)
def test_one_transaction_bumps_a_name_once_unless_a_savepoint_rolls_back(backend, monkeypatch):
    stamps.ensure(NAMES)
    bumped = []
    real = stamps.bump_now
    monkeypatch.setattr(stamps, "bump_now", lambda *names: bumped.append(names) or real(*names))
    with transaction.atomic():
        stamps.bump("alpha")
        stamps.bump("alpha")  # the same rows' stamp, asked again
        stamps.bump("beta")
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            stamps.bump("beta")  # under a savepoint: its own bump
            1 / 0
        with transaction.atomic():
            stamps.bump("alpha", "beta")  # kept with the savepoint: its own too
    assert bumped == [("alpha",), ("beta",), ("alpha", "beta")]
    # A bump asked only inside a savepoint that rolls back is gone with it,
    # the one waiting outside it stays.
    bumped.clear()
    with transaction.atomic():
        stamps.bump("alpha")
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            stamps.bump("alpha")  # its own (another savepoint), gone with it
            stamps.bump("beta")
            1 / 0
    assert bumped == [("alpha",)]


def _bump_in_child(data_dir: str) -> None:
    import django
    from django.conf import settings

    if not settings.configured:
        django.setup()
    settings.DATA_DIR = data_dir
    stamps.bump_now("alpha")


def test_a_bump_in_another_process_is_seen_through_this_ones_map(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    stamps._maps.clear()
    stamps.ensure(NAMES)
    before = stamps.read(NAMES)  # maps the files
    process = multiprocessing.get_context("fork").Process(
        target=_bump_in_child, args=(str(tmp_path),)
    )
    process.start()
    process.join(30)
    assert process.exitcode == 0
    assert stamps.read(NAMES)[0] != before[0]


def test_a_stamps_folder_made_again_is_read_again(settings, tmp_path, monkeypatch):
    import shutil

    settings.DATA_DIR = tmp_path
    stamps._maps.clear()
    stamps.ensure(NAMES)
    before = stamps.read(NAMES)
    shutil.rmtree(tmp_path / "run")
    stamps.ensure(NAMES)  # new files, not the ones this process mapped
    now = stamps.time.monotonic()
    monkeypatch.setattr(stamps.time, "monotonic", lambda: now + 2)  # the next look
    after = stamps.read(NAMES)
    assert after is not None and after != before


@pytest.mark.django_db(transaction=True)
def test_bulk_writes_bump_but_a_last_used_note_does_not(settings, tmp_path, django_user_model):
    settings.DATA_DIR = tmp_path
    stamps._maps.clear()
    user = django_user_model.objects.create_user("s", "s@example.com", "x" * 20)
    token, _ = ApiToken.issue(user, "t")
    stamps.ensure(["auth"])
    before = stamps.read(("auth",))
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=token.created_at)
    assert stamps.read(("auth",)) == before
    token.revoke()
    revoked = stamps.read(("auth",))
    assert revoked != before
    ApiToken.objects.filter(pk=token.pk).delete()
    assert stamps.read(("auth",)) != revoked


CHECK_LOCALS = """
import threading
import django
django.setup()
from django.core.cache import caches
from django.utils.translation import trans_real
assert not hasattr(caches._connections, "_lock"), "cache handles behind a lock"
assert not hasattr(trans_real._active, "_lock"), "the language behind a lock"
mine = caches["default"]
theirs = []
thread = threading.Thread(target=lambda: theirs.append(caches["default"]))
thread.start()
thread.join()
assert caches["default"] is mine and theirs[0] is not mine, "not one handle per thread"
print("ok")
"""


def test_a_process_finds_its_cache_and_language_without_a_lock(tmp_path):
    """Django's per-thread cache handles and active language are plain
    thread-locals once the project is set up (cv2web.apps.plain_thread_locals):
    still one cache object per thread, and no lock taken to find it."""
    import subprocess
    import sys

    from tests.processes import child_env

    env = child_env() | {"DJANGO_SETTINGS_MODULE": "cv2web.settings", "DATA_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", CHECK_LOCALS], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.stdout.strip() == "ok", out.stderr[-2000:]

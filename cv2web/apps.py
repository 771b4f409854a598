from django.apps import AppConfig


class Cv2webConfig(AppConfig):
    """The project itself, installed so that its system checks are registered."""

    name = "cv2web"
    verbose_name = "cv2web"

    def ready(self) -> None:
        # Imported here: the checks read models and settings (the AppConfig.ready() idiom).
        from . import checks  # noqa: F401 - registers the project-wide checks

        plain_thread_locals()
        csrf_strings_in_one_read()


def plain_thread_locals() -> None:
    """Django's per-thread cache handles and active language in plain
    thread-local storage, without a lock.

    Django keeps both in asgiref's `Local` in its non-thread-critical form,
    which takes an RLock on every read: every `cache.get`, every rate-limit
    check (`caches[alias]`) and every translated string of a page. A web
    worker here runs four threads (gunicorn gthread); under load one thread
    lost the interpreter lock while holding that RLock, the others queued on
    it, and each wait cost two thread switches: an answer that read the cache
    twice cost twice as much with four busy threads as with one (issue 13).
    The thread-critical form keeps the same values per thread in a plain
    `threading.local` (and per task in an event loop) with no lock. What it
    gives up is the non-critical form's hand-over of values from async code
    to `sync_to_async` threads, which this WSGI application does not use.
    Django's test signals put the locked form back when a test changes
    CACHES or the languages; that costs only speed."""
    from asgiref.local import Local
    from django.core.cache import caches
    from django.utils.translation import trans_real

    caches._connections = Local(thread_critical=True)
    trans_real._active = Local(thread_critical=True)


def csrf_strings_in_one_read() -> None:
    """Django's CSRF secrets and masks made from one read of the system's
    random source each, not one per character.

    Django makes each 32-character string with `get_random_string`, which
    asks `secrets.choice` per character: 32 reads of os.urandom, each a
    system call that gives up the interpreter lock. A page with a form (the
    upload page for a first-time visitor) needs two such strings: 64 system
    calls, over which a web worker's other threads fought (issue 13: the
    upload page cost 360 us of CPU in one thread and three times that in
    four). Here 48 random bytes are read at once and each byte under 248
    (62 x 4) picks one of Django's 62 allowed characters, `b % 62`: uniform,
    from the same source, in the same alphabet and length Django checks."""
    import os

    from django.middleware import csrf

    chars = csrf.CSRF_ALLOWED_CHARS
    length = csrf.CSRF_SECRET_LENGTH
    bound = len(chars) * (256 // len(chars))

    def new_csrf_string() -> str:
        out: list[str] = []
        while len(out) < length:
            out.extend(chars[b % len(chars)] for b in os.urandom(48) if b < bound)
        return "".join(out[:length])

    csrf._get_new_csrf_string = new_csrf_string

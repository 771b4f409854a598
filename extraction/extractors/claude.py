"""The `claude` extractor: the official anthropic SDK, structured output by tool use (SPEC E-3).

Design notes
- One `anthropic.Anthropic` client per process (connection reuse), created on
  first use, never at import: a missing key is reported when the extractor
  is used (ExtractorUnavailable "model_not_configured", final).
- The SDK's own retries are off (`max_retries=0`): it honours `retry-after`
  with no cap and retries spend-limit 429s. This module runs the retry loop
  itself so that no attempt and no sleep outlives the job's deadline.
- Every failure to get a usable answer is raised as ExtractorUnavailable; the
  job runner then falls back to the local extractor. `final=True` means
  retrying will not help (spend limit, bad key, invalid request).
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx2
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from extraction import resume
from extraction.errors import ExtractorUnavailable

from . import Outcome, make_fingerprint
from .prompt import PROMPT_VERSION, SYSTEM_PROMPT, TOOL, build_user_message

log = logging.getLogger(__name__)

# Deadline handling, in seconds. An attempt is only started when at least
# MIN_ATTEMPT_S remain after keeping DEADLINE_MARGIN_S in hand (to raise and
# let the job fall back before its own deadline).
DEADLINE_MARGIN_S = 0.25
MIN_ATTEMPT_S = 0.5
CONNECT_TIMEOUT_S = 5.0
# Exponential backoff with jitter when the server gives no retry-after
# (same shape as the SDK's: 0.5 s, 1 s, 2 s, ... capped, minus up to 25%).
BACKOFF_INITIAL_S = 0.5
BACKOFF_MAX_S = 8.0

RATELIMIT_PREFIX = "anthropic-ratelimit-"

# 429 bodies whose `error.details.error_code` says money, not load: final.
_SPEND_LIMIT_CODES = frozenset(
    {
        "enforced_spend_limit_reached",
        "contract_spend_limit_reached",
        "linked_organization_spend_limit_reached",
        "linked_organization_billing_unavailable",
    }
)
_RETRY_STATUSES = frozenset({408, 409, 429, 529})

_client: anthropic.Anthropic | None = None
_client_pid: int | None = None
_client_lock = threading.Lock()


def _call_timeout_cap() -> float:
    """Longest single model call, whatever the deadline (ANTHROPIC_TIMEOUT_S)."""
    return float(settings.ANTHROPIC_TIMEOUT_S)


def get_client() -> anthropic.Anthropic:
    """The process-wide SDK client, created on first use (and again after a fork)."""
    global _client, _client_pid
    with _client_lock:
        if _client is None or _client_pid != os.getpid():
            key = settings.ANTHROPIC_API_KEY
            if not key:
                raise ExtractorUnavailable(
                    "model_not_configured",
                    "The AI extractor is not configured (ANTHROPIC_API_KEY is not set).",
                    final=True,
                )
            # A client inherited through fork() shares its sockets with the
            # parent: leave it alone (do not close) and make a fresh one.
            _client = anthropic.Anthropic(
                api_key=key,
                base_url=settings.ANTHROPIC_BASE_URL or None,
                max_retries=0,
                timeout=httpx2.Timeout(_call_timeout_cap(), connect=CONNECT_TIMEOUT_S),
            )
            _client_pid = os.getpid()
        return _client


def reset_client() -> None:
    """Drop the process-wide client (tests, settings changes); the next use makes a new one."""
    global _client, _client_pid
    with _client_lock:
        old, pid = _client, _client_pid
        _client, _client_pid = None, None
    if old is not None and pid == os.getpid():
        try:
            old.close()
        except Exception:  # pragma: no cover - closing is best effort
            log.debug("Closing the anthropic client failed", exc_info=True)


@receiver(setting_changed, dispatch_uid="extraction.claude.reset_client")
def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("ANTHROPIC_"):
        reset_client()


def ratelimit_headers(headers: Any) -> dict[str, str]:
    """The `anthropic-ratelimit-*` headers of a response, lower-cased names."""
    if not headers:
        return {}
    return {k.lower(): v for k, v in headers.items() if k.lower().startswith(RATELIMIT_PREFIX)}


def retry_after_seconds(headers: Any) -> float | None:
    """The server's requested wait: `retry-after-ms`, else `retry-after` (seconds or HTTP date)."""
    if not headers:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return float(email.utils.mktime_tz(parsed) - time.time())


def backoff_seconds(retry_number: int) -> float:
    """Exponential backoff with jitter for the n-th retry (0-based)."""
    delay = min(BACKOFF_INITIAL_S * (2.0 ** min(retry_number, 20)), BACKOFF_MAX_S)
    return delay * (1 - 0.25 * random.random())


def estimate_cost(input_tokens: int, output_tokens: int, *, batch: bool = False) -> float:
    """USD for one call; a Message Batches answer costs ANTHROPIC_BATCH_PRICE_RATIO of it."""
    cost = (
        input_tokens * settings.ANTHROPIC_PRICE_INPUT_PER_MTOK / 1_000_000
        + output_tokens * settings.ANTHROPIC_PRICE_OUTPUT_PER_MTOK / 1_000_000
    )
    if batch:
        cost *= settings.ANTHROPIC_BATCH_PRICE_RATIO
    return round(cost, 6)


def request_params(text: str) -> dict[str, Any]:
    """The Messages API parameters for one CV: the same for a call and a batch item."""
    return {
        "model": settings.ANTHROPIC_MODEL,
        "max_tokens": settings.ANTHROPIC_MAX_TOKENS,
        "system": SYSTEM_PROMPT,
        "tools": [TOOL],
        "tool_choice": {"type": "tool", "name": TOOL["name"]},
        "messages": [{"role": "user", "content": build_user_message(text)}],
    }


class _Retry(Exception):
    """Internal: this attempt failed in a way worth another attempt."""

    def __init__(self, error: ExtractorUnavailable, wait: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.wait = wait  # what the server asked for (retry-after), if anything


def _unavailable(
    code: str, message: str, *, final: bool = False, status: int | None = None
) -> ExtractorUnavailable:
    exc = ExtractorUnavailable(code, message, final=final)
    exc.model_status = status  # type: ignore[attr-defined]
    return exc


def _classify_status_error(e: anthropic.APIStatusError) -> ExtractorUnavailable | _Retry:
    status = e.status_code
    error_code = getattr(e, "error_code", None)
    error_type = getattr(e, "type", None)
    if error_code in _SPEND_LIMIT_CODES or status == 402 or error_type == "billing_error":
        return _unavailable(
            "model_spend_limit",
            "The AI service's spend limit is reached.",
            final=True,
            status=status,
        )
    if status == 401:
        return _unavailable(
            "model_auth_failed", "The AI service rejected the API key.", final=True, status=status
        )
    if status == 403:
        return _unavailable(
            "model_permission_denied",
            "The API key is not allowed to use this model.",
            final=True,
            status=status,
        )
    should_retry = e.response.headers.get("x-should-retry")
    retryable = status in _RETRY_STATUSES or status >= 500
    if should_retry == "true":
        retryable = True
    elif should_retry == "false":
        retryable = False
    if status == 429:
        err = _unavailable(
            "model_rate_limited", "The AI service is rate-limiting us.", status=status
        )
    elif status in (529, 503):
        err = _unavailable("model_overloaded", "The AI service is overloaded.", status=status)
    elif status >= 500 or status in (408, 409):
        err = _unavailable("model_error", f"The AI service failed (HTTP {status}).", status=status)
    else:
        # 400 invalid request, 404 unknown model, 413 too large, 422: resending
        # the same request cannot succeed.
        err = _unavailable(
            "model_request_invalid",
            f"The AI service refused the request (HTTP {status}).",
            final=True,
            status=status,
        )
    if retryable:
        return _Retry(err, retry_after_seconds(e.response.headers))
    return err


class ClaudeExtractor:
    name = "claude"

    def __init__(self) -> None:
        # The rate-limit headers of the last response seen (success or error),
        # for monitoring; the per-extraction copy is in Outcome.ratelimit.
        self.last_ratelimit: dict[str, str] = {}

    def fingerprint(self) -> str:
        return make_fingerprint(
            "claude", settings.ANTHROPIC_MODEL, PROMPT_VERSION, resume.SCHEMA_VERSION
        )

    def extract(self, text: str, *, deadline: float) -> Outcome:
        client = get_client()
        attempts = max(0, int(settings.ANTHROPIC_MAX_RETRIES)) + 1
        last: ExtractorUnavailable | None = None
        for attempt in range(attempts):
            remaining = deadline - time.monotonic() - DEADLINE_MARGIN_S
            if remaining < MIN_ATTEMPT_S:
                raise last or _unavailable(
                    "model_timeout", "Not enough time left to ask the AI service."
                )
            timeout = min(remaining, _call_timeout_cap())
            try:
                return self._attempt(client, text, timeout)
            except _Retry as retry:
                last = retry.error
                if attempt + 1 >= attempts:
                    break
                wait = retry.wait if retry.wait and retry.wait > 0 else backoff_seconds(attempt)
                # Sleep only if an attempt still fits after the wait; a long
                # retry-after (e.g. 3600 s) means giving up now.
                if time.monotonic() + wait + MIN_ATTEMPT_S + DEADLINE_MARGIN_S > deadline:
                    log.info(
                        "claude: giving up after %s (wait %.1fs does not fit the deadline)",
                        last.code,
                        wait,
                    )
                    raise last
                log.info("claude: %s, retrying in %.2fs", last.code, wait)
                time.sleep(wait)
        assert last is not None
        raise last

    def _attempt(self, client: anthropic.Anthropic, text: str, timeout: float) -> Outcome:
        try:
            raw = client.messages.with_raw_response.create(
                **request_params(text),
                # Per-request timeout (float or httpx2.Timeout; never an
                # httpx.Timeout, which the SDK rejects). Passing one also skips
                # the SDK's "streaming required" check on large max_tokens.
                timeout=httpx2.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT_S)),
            )
        except anthropic.APIStatusError as e:
            self.last_ratelimit = ratelimit_headers(e.response.headers)
            log.warning(
                "claude: HTTP %s %s (request-id %s)",
                e.status_code,
                getattr(e, "error_code", None) or getattr(e, "type", None) or "",
                e.response.headers.get("request-id"),
            )
            outcome = _classify_status_error(e)
            if isinstance(outcome, _Retry):
                outcome.error.ratelimit = self.last_ratelimit  # type: ignore[attr-defined]
                raise outcome
            outcome.ratelimit = self.last_ratelimit  # type: ignore[attr-defined]
            raise outcome from None
        except anthropic.APITimeoutError:
            log.warning("claude: request timed out after %.1fs", timeout)
            raise _Retry(_unavailable("model_timeout", "The AI service did not answer in time."))
        except anthropic.APIConnectionError:
            log.warning("claude: connection error", exc_info=True)
            raise _Retry(_unavailable("model_unreachable", "The AI service is unreachable."))

        ratelimit = ratelimit_headers(raw.headers)
        self.last_ratelimit = ratelimit
        request_id = raw.headers.get("request-id")
        try:
            message = raw.parse()
        except ValueError:  # json.JSONDecodeError: a 200 whose body is not JSON
            # A transport glitch rather than a model answer: worth another try.
            log.warning("claude: 200 with a body that is not JSON (request-id %s)", request_id)
            raise _Retry(
                _unavailable("model_bad_response", "The AI service sent an unreadable answer.")
            )
        if not isinstance(message, anthropic.types.Message):
            raise _Retry(
                _unavailable("model_bad_response", "The AI service sent an unreadable answer.")
            )
        return outcome_from_message(message, ratelimit=ratelimit, request_id=request_id)


def outcome_from_message(
    message: Any,
    *,
    ratelimit: dict[str, str] | None = None,
    request_id: str | None = None,
    batch: bool = False,
) -> Outcome:
    """Check and clean the model's answer (a Message, from a call or a batch result).

    Raises ExtractorUnavailable (with the tokens spent in `.usage`) when the
    answer cannot be used: truncated, no tool call, or not the schema.
    """
    ratelimit = ratelimit or {}
    model = settings.ANTHROPIC_MODEL
    usage = getattr(message, "usage", None)
    input_tokens = int(getattr(usage, "input_tokens", 0) or 0)
    output_tokens = int(getattr(usage, "output_tokens", 0) or 0)
    spent = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cost_usd": estimate_cost(input_tokens, output_tokens, batch=batch),
    }

    def invalid(code: str, why: str) -> ExtractorUnavailable:
        # The tokens were spent even though the answer is unusable.
        log.warning("claude: %s: %s (request-id %s)", code, why, request_id)
        exc = _unavailable(code, "The AI service's answer could not be used.")
        exc.usage = spent  # type: ignore[attr-defined]
        exc.ratelimit = ratelimit  # type: ignore[attr-defined]
        return exc

    # Truncated output (stop_reason "max_tokens"): the tool input is
    # partial, so it is rejected rather than salvaged (sections would be
    # silently missing). It is not retried here either: the same CV with
    # the same max_tokens would truncate again, at the same cost and
    # time; the local fallback answers instead. Not final, though: it is
    # specific to this input, not a reason to stop using the model.
    stop_reason = getattr(message, "stop_reason", None)
    if stop_reason == "max_tokens":
        raise invalid("model_output_truncated", "stop_reason max_tokens")
    block = next(
        (
            b
            for b in getattr(message, "content", None) or []
            if getattr(b, "type", None) == "tool_use" and getattr(b, "name", None) == TOOL["name"]
        ),
        None,
    )
    if block is None:
        raise invalid("model_output_invalid", f"no tool_use (stop_reason {stop_reason})")
    data = getattr(block, "input", None)
    if not isinstance(data, dict):
        raise invalid("model_output_invalid", f"tool input is {type(data).__name__}")
    try:
        doc, warnings = resume.clean(data)
    except resume.InvalidResume as e:
        raise invalid("model_output_invalid", f"schema: {e}") from None

    return Outcome(
        resume=doc,
        extractor=ClaudeExtractor.name,
        model=getattr(message, "model", None) or model,
        warnings=list(warnings),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=spent["cost_usd"],
        ratelimit=ratelimit,
    )


_extractor: ClaudeExtractor | None = None


def get_claude_extractor() -> ClaudeExtractor:
    """The process-wide extractor (it keeps `last_ratelimit` for monitoring)."""
    global _extractor
    if _extractor is None:
        _extractor = ClaudeExtractor()
    return _extractor


# --- Message Batches API (background mode) ------------------------------------
#
# The SDK calls only; which jobs go in a batch, and what becomes of them, is
# extraction/batches.py. Errors come out as ExtractorUnavailable, classified as
# for an interactive call (`final`: asking again cannot help).


def _batch_call(what: str, call: Any) -> Any:
    try:
        return call()
    except anthropic.APIStatusError as e:
        log.warning(
            "claude batches: %s: HTTP %s (request-id %s)",
            what,
            e.status_code,
            e.response.headers.get("request-id"),
        )
        outcome = _classify_status_error(e)
        raise (outcome.error if isinstance(outcome, _Retry) else outcome) from None
    except anthropic.APITimeoutError:
        raise _unavailable("model_timeout", "The AI service did not answer in time.") from None
    except anthropic.APIConnectionError:
        raise _unavailable("model_unreachable", "The AI service is unreachable.") from None
    except ValueError:  # a 200 whose body is not JSON
        raise _unavailable(
            "model_bad_response", "The AI service sent an unreadable answer."
        ) from None


def create_batch(requests: list[dict[str, Any]]) -> Any:
    """Send `requests` ({custom_id, params}) as one batch; the API's MessageBatch."""
    client = get_client()
    return _batch_call(
        "create",
        lambda: client.messages.batches.create(requests=requests),  # type: ignore[arg-type]
    )


def retrieve_batch(batch_id: str) -> Any:
    client = get_client()
    return _batch_call("retrieve", lambda: client.messages.batches.retrieve(batch_id))


def cancel_batch(batch_id: str) -> bool:
    """Ask the API to stop a batch; False when it would not (best effort)."""
    client = get_client()
    try:
        _batch_call("cancel", lambda: client.messages.batches.cancel(batch_id))
    except ExtractorUnavailable as exc:
        log.warning("claude batches: could not cancel %s: %s", batch_id, exc.code)
        return False
    return True


@dataclass
class BatchItem:
    """One line of a batch's results."""

    custom_id: str
    outcome: Outcome | None = None
    # Why there is no outcome: "errored:<type>", "expired", "canceled",
    # or the code of an unusable answer ("model_output_truncated", ...).
    failure: str = ""
    # What the job does instead: "retry" (an interactive call, local if that
    # fails) or "local" (asking the model again cannot help).
    fallback: str = ""
    # Tokens an unusable answer spent anyway.
    usage: dict[str, Any] | None = None


def _item(line: dict[str, Any]) -> BatchItem | None:
    custom_id = line.get("custom_id")
    result = line.get("result")
    if not isinstance(custom_id, str) or not isinstance(result, dict):
        return None
    kind = result.get("type")
    if kind == "succeeded":
        try:
            message = anthropic.types.Message.model_validate(result.get("message"))
        except Exception:  # noqa: BLE001 - pydantic's ValidationError and kin
            return BatchItem(custom_id, failure="model_bad_response", fallback="retry")
        try:
            return BatchItem(custom_id, outcome=outcome_from_message(message, batch=True))
        except ExtractorUnavailable as exc:
            # The interactive path gives this answer to the local extractor
            # too: the same CV asked again would be cut or refused again.
            return BatchItem(
                custom_id,
                failure=exc.code,
                fallback="local",
                usage=getattr(exc, "usage", None),
            )
    if kind == "errored":
        error = (result.get("error") or {}).get("error") or {}
        error_type = str(error.get("type") or "api_error")[:40]
        # A refused request would be refused again; overload and server
        # errors are worth an interactive try.
        fallback = "local" if error_type == "invalid_request_error" else "retry"
        return BatchItem(custom_id, failure=f"errored:{error_type}", fallback=fallback)
    if kind in ("expired", "canceled"):
        return BatchItem(custom_id, failure=str(kind), fallback="retry")
    return BatchItem(custom_id, failure=f"unknown:{str(kind)[:20]}", fallback="retry")


def batch_results(batch_id: str) -> Iterator[BatchItem]:
    """The results of an ended batch, line by line. A line that cannot be read
    is logged and skipped: its job finds no result and falls back."""
    client = get_client()

    def lines() -> Iterator[BatchItem]:
        with client.messages.batches.with_streaming_response.results(batch_id) as response:
            for number, raw in enumerate(response.iter_lines(), 1):
                if not raw.strip():
                    continue
                try:
                    line = json.loads(raw)
                except ValueError:
                    log.warning("claude batches: %s line %d is not JSON", batch_id, number)
                    continue
                item = _item(line) if isinstance(line, dict) else None
                if item is None:
                    log.warning("claude batches: %s line %d has no result", batch_id, number)
                    continue
                yield item

    try:
        yield from lines()
    except anthropic.APIStatusError as e:
        outcome = _classify_status_error(e)
        raise (outcome.error if isinstance(outcome, _Retry) else outcome) from None
    except anthropic.APITimeoutError:
        raise _unavailable("model_timeout", "The AI service did not answer in time.") from None
    except (anthropic.APIConnectionError, httpx2.HTTPError):
        raise _unavailable("model_unreachable", "The AI service is unreachable.") from None
    except anthropic.AnthropicError as e:  # "No results_url": not ended after all
        raise _unavailable("model_bad_response", str(e)[:200]) from None

"""Length caps on the values of a document, in characters: set here, once."""

from __future__ import annotations

# Length caps, in characters, applied after cleaning. Names, titles, dates and
# other one-line fields are short; summaries, highlights, descriptions and
# references are free text. URLs get their own (browsers cope with ~2,000).
SHORT_TEXT_MAX = 300
LONG_TEXT_MAX = 5000
URL_MAX = 2000
# RFC 5321: the longest address a mail server accepts. Every pattern below
# runs on a value cut to its kind's cap first (SPEC S-4): a regex on an
# unbounded string is how one request froze a worker (issue 10).
EMAIL_MAX = 254
# Raw input past these is refused before any work: no sane date or "Present"
# is that long, and a URL that long could never come under URL_MAX.
DATE_INPUT_MAX = 100
PRESENT_INPUT_MAX = 64
URL_INPUT_MAX = 4 * URL_MAX
# Items kept per array by normalise(); the stricter per-snapshot limit is
# SNAPSHOT_MAX_ITEMS (apply_snapshot_limits).
LIST_MAX = 1000

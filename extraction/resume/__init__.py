"""JSON Resume: validation, normalisation and snapshot limits, in one place (SPEC E-2, E-6).

- `normalise(doc)` turns anything into a document of the JSON Resume schema:
  known sections and keys only, legacy (v0) keys mapped, strings trimmed,
  cleaned of control characters and length-capped, dates as `YYYY-MM-DD`,
  `YYYY-MM` or `YYYY`, URLs only `http`, `https` or `mailto`, empty values
  pruned. It never raises; what it drops or fixes is said in its warnings.
- `validate(doc)` checks a document against the shipped official schema
  (`schema/jsonresume.schema.json`, `@jsonresume/schema` 1.3.1, JSON Schema draft-07).
- `clean(doc)` is both: what every extractor's output goes through.
- `apply_snapshot_limits(doc)` cuts a document to `SNAPSHOT_MAX_BYTES`.

Text is stored as given (HTML is escaped when shown, not here).

Modules: `limits` (length caps), `dates`, `text`, `urls` (links and email
addresses), `schema` (version, schema file, the map of sections and keys),
`normalise`, `validation`, `snapshot` and `language` (the CV's language,
`meta.language`). The names below are what the rest
of the project imports from `extraction.resume`.
"""

from __future__ import annotations

from .dates import MONTHS, PRESENT_PHRASES, PRESENT_WORDS, is_present_word, parse_date
from .language import SUPPORTED as LANGUAGES
from .language import detect as detect_language
from .language import document_language, with_language
from .limits import (
    DATE_INPUT_MAX,
    EMAIL_MAX,
    LIST_MAX,
    LONG_TEXT_MAX,
    PRESENT_INPUT_MAX,
    SHORT_TEXT_MAX,
    URL_INPUT_MAX,
    URL_MAX,
)
from .normalise import normalise
from .schema import (
    BASICS,
    DATE,
    DATE_KEYS,
    EMAIL,
    LEGACY,
    LEGACY_SECTIONS,
    LOCATION,
    LONG,
    LONGS,
    PROFILE,
    SCHEMA_PATH,
    SCHEMA_VERSION,
    SECTIONS,
    STRING_ITEM_KEY,
    TEXT,
    TEXTS,
    URL,
)
from .snapshot import FREE_TEXT_FIELDS, NESTED_LISTS, SECTION_WORDS, apply_snapshot_limits
from .text import clean_text
from .urls import clean_email, clean_url, is_email
from .validation import InvalidResume, clean, in_schema_order, schema_errors, validate
from .validation import _get_validator as _get_validator  # private: for pipeline.warm_up()

__all__ = [
    "LANGUAGES",
    "detect_language",
    "document_language",
    "with_language",
    "BASICS",
    "DATE",
    "DATE_INPUT_MAX",
    "DATE_KEYS",
    "EMAIL",
    "EMAIL_MAX",
    "FREE_TEXT_FIELDS",
    "LEGACY",
    "LEGACY_SECTIONS",
    "LIST_MAX",
    "LOCATION",
    "LONG",
    "LONGS",
    "LONG_TEXT_MAX",
    "MONTHS",
    "NESTED_LISTS",
    "PRESENT_INPUT_MAX",
    "PRESENT_PHRASES",
    "PRESENT_WORDS",
    "PROFILE",
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "SECTIONS",
    "SECTION_WORDS",
    "SHORT_TEXT_MAX",
    "STRING_ITEM_KEY",
    "TEXT",
    "TEXTS",
    "URL",
    "URL_INPUT_MAX",
    "URL_MAX",
    "InvalidResume",
    "apply_snapshot_limits",
    "clean",
    "clean_email",
    "clean_text",
    "clean_url",
    "in_schema_order",
    "is_email",
    "is_present_word",
    "normalise",
    "parse_date",
    "schema_errors",
    "validate",
]

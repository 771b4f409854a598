"""`manage.py extract FILE`: print the JSON Resume document of a CV (SPEC E-7)."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from extraction import pipeline
from extraction.errors import ExtractionError
from extraction.extractors import configured_name, get_extractor
from extraction.intake import sha256_of
from extraction.models import CacheEntry
from extraction.readers import probe, sniff
from extraction.resume import in_schema_order


class Command(BaseCommand):
    help = "Extract a CV (PDF, DOCX or TXT) and print its JSON Resume document."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the CV file.")
        parser.add_argument(
            "--extractor",
            choices=["local", "claude"],
            default=None,
            help="Extractor to use (default: EXTRACTOR setting).",
        )
        parser.add_argument(
            "--no-cache", action="store_true", help="Neither read nor fill the extraction cache."
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        name = options["extractor"] or configured_name()
        try:
            kind = sniff(path, path.name)
            probe(path, kind)
            extractor = get_extractor(name)
            sha = sha256_of(path)
            key = CacheEntry.make_key(sha, extractor.fingerprint())
            use_cache = not options["no_cache"]
            entry = _cache_lookup(key) if use_cache else None
            if entry is not None:
                resume, warnings = entry.result, entry.warnings
            else:
                result = pipeline.run(path, kind, name)
                resume, warnings = result.resume, result.warnings
                if use_cache and result.cacheable:
                    _cache_store(sha, extractor.fingerprint(), result)
        except ExtractionError as exc:
            raise CommandError(f"{path.name}: {exc.message} ({exc.code})")
        for warning in warnings:
            sys.stderr.write(f"warning: {warning}\n")
        self.stdout.write(json.dumps(in_schema_order(resume), ensure_ascii=False, indent=2))


def _cache_lookup(key: str):
    try:
        return CacheEntry.lookup(key)
    except DatabaseError:
        # No database yet (before `migrate`): extraction works without the cache.
        return None


def _cache_store(sha: str, fingerprint: str, result) -> None:
    with contextlib.suppress(DatabaseError):
        CacheEntry.store(
            sha256=sha,
            fingerprint=fingerprint,
            extractor=result.outcome.extractor,
            model=result.outcome.model,
            result=result.resume,
            warnings=result.warnings,
            size_bytes=result.size_bytes,
            confidence=result.outcome.confidence,
        )

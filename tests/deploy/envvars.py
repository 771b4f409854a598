"""The environment variables the product reads, found in its source.

Read with the AST rather than a regular expression, so that a read whose name
is not a literal (`env.int(name)`) is reported instead of silently missed: the
lists built from this (.env.example, the deployment guide's check) would then
be incomplete without anyone noticing.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

from tests.conftest import REPO

# settings.py is where variables are read (DESIGN.md habit 4); gunicorn.conf.py
# reads its own before Django starts; the application packages may read a
# variable that a library also reads (PROMETHEUS_MULTIPROC_DIR).
SOURCES = [REPO / "cv2web" / "settings.py", REPO / "gunicorn.conf.py"] + [
    path
    for package in ("cv2web", "extraction", "portfolios", "quotas", "monitoring", "webhooks")
    for path in sorted((REPO / package).rglob("*.py"))
    if "migrations" not in path.parts and path.name != "settings.py"
]

# Set by the process for itself, never by an operator.
NOT_CONFIGURATION = {"DJANGO_SETTINGS_MODULE"}

_ENV_METHODS = {"str", "bool", "int", "float", "list", "db_url", "cache_url", "email_url", "json"}


def _env_read(node: ast.Call) -> bool:
    """`env.int(...)`, `env(...)`, `os.environ.get(...)`, `os.getenv(...)`."""
    func = node.func
    if isinstance(func, ast.Name):
        return func.id == "env"
    if not isinstance(func, ast.Attribute):
        return False
    owner = func.value
    if isinstance(owner, ast.Name) and owner.id == "env":
        return func.attr in _ENV_METHODS
    if isinstance(owner, ast.Name) and owner.id == "os":
        return func.attr == "getenv"
    return (
        func.attr == "get"
        and isinstance(owner, ast.Attribute)
        and owner.attr == "environ"
        and isinstance(owner.value, ast.Name)
        and owner.value.id == "os"
    )


def _environ_subscript(node: ast.Subscript) -> bool:
    value = node.value
    return (
        isinstance(node.ctx, ast.Load)
        and isinstance(value, ast.Attribute)
        and value.attr == "environ"
        and isinstance(value.value, ast.Name)
        and value.value.id == "os"
    )


# CPython 3.11.7 keeps the AST constructor's recursion depth in state the
# interpreter shares, and a parse while another thread builds an AST can fail
# with a spurious "SystemError: AST constructor recursion depth mismatch"
# (python/cpython#106905, fixed in 3.11.8 and 3.12). The same source parsed
# again is parsed; any other error stands.
PARSE_TRIES = 3


def _parse(path: Path) -> ast.Module:
    source = path.read_text()
    for attempt in range(PARSE_TRIES):
        try:
            return ast.parse(source, filename=str(path))
        except SystemError as exc:
            if "recursion depth mismatch" not in str(exc) or attempt == PARSE_TRIES - 1:
                raise
    raise AssertionError("unreachable")


def reads(path: Path) -> tuple[set[str], list[str]]:
    """(variable names read in `path`, reads whose name is not a literal)."""
    tree = _parse(path)
    names: set[str] = set()
    unnamed: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _env_read(node):
            arg = node.args[0] if node.args else None
        elif isinstance(node, ast.Subscript) and _environ_subscript(node):
            arg = node.slice
        else:
            continue
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            names.add(arg.value)
        else:
            unnamed.append(f"{path.relative_to(REPO)}:{node.lineno}")
    return names - NOT_CONFIGURATION, unnamed


def product_variables() -> tuple[set[str], list[str]]:
    """Every variable the product reads, and every read the scan cannot name."""
    names, unnamed = _scan()
    return set(names), list(unnamed)


@functools.cache
def _scan() -> tuple[frozenset[str], tuple[str, ...]]:
    # Once per run: the sources do not change under the tests (and each
    # parse is tried again on CPython 3.11.7's spurious SystemError: `_parse`).
    names: set[str] = set()
    unnamed: list[str] = []
    for path in SOURCES:
        found, odd = reads(path)
        names |= found
        unnamed += odd
    return frozenset(names), tuple(unnamed)


def env_example_variables(path: Path = REPO / ".env.example") -> set[str]:
    """Names in .env.example, set (`NAME=...`) or left at their default (`# NAME=...`)."""
    names = set()
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line.startswith("#"):
            line = line[1:].strip()
        name, sep, _ = line.partition("=")
        if sep and name.isidentifier() and name.isupper():
            names.add(name)
    return names

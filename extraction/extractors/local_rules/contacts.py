"""Contacts: name, label, email, phone, links and profiles (places are in `places`)."""

from __future__ import annotations

import re

from .text import has_cjk, squash

EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,24}(?![\w-])")
# International forms: +49 160 2050792, (+49) 157-30404362, 0049 ..., (86) 177...,
# +58 (426) 513-10-93, 415.555.0100.
PHONE_RE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\+?\d[\d\s().\-/]{5,22}\d(?![\w])")
_DATEISH = re.compile(
    r"^\d{4}[-/.]\d{1,2}([-/.]\d{1,2})?$|^\d{1,2}[/.]\d{4}$|^(19|20)\d{2}\s*[-–]\s*(19|20)\d{2}$"
)

TLDS = [
    "com",
    "net",
    "org",
    "io",
    "dev",
    "app",
    "ai",
    "co",
    "me",
    "info",
    "biz",
    "tech",
    "xyz",
    "site",
    "online",
    "blog",
    "page",
    "codes",
    "cloud",
    "de",
    "at",
    "ch",
    "fr",
    "es",
    "it",
    "pt",
    "nl",
    "be",
    "pl",
    "ru",
    "cn",
    "jp",
    "uk",
    "us",
    "ca",
    "au",
    "in",
    "br",
    "mx",
    "ar",
    "cl",
    "ve",
    "se",
    "no",
    "dk",
    "fi",
    "ie",
    "cz",
    "sk",
    "hu",
    "ro",
    "gr",
    "tr",
    "il",
    "za",
    "nz",
    "sg",
    "hk",
    "tw",
    "kr",
    "eu",
    "lol",
    "cc",
    "tv",
    "gg",
    "sh",
    "is",
    "ly",
]
_TLD = "|".join(sorted(TLDS, key=len, reverse=True))
URL_RE = re.compile(
    r"(?<![@\w.-])(?:(?:https?://)[^\s<>\"'()\[\]]+|(?:www\.)[^\s<>\"'()\[\]]+"
    r"|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:" + _TLD + r")(?::\d+)?(?:/[^\s<>\"'()\[\]]*)?)"
    r"(?![\w@])",
    re.IGNORECASE,
)

NETWORKS = [
    # (host suffix, network name, profile URL template for "user (Network)" forms)
    ("github.com", "GitHub", "https://github.com/{}"),
    ("linkedin.com", "LinkedIn", "https://www.linkedin.com/in/{}"),
    ("gitlab.com", "GitLab", "https://gitlab.com/{}"),
    ("stackoverflow.com", "Stack Overflow", None),
    ("stackexchange.com", "Stack Exchange", None),
    ("twitter.com", "Twitter", "https://twitter.com/{}"),
    ("x.com", "X", "https://x.com/{}"),
    ("bsky.app", "Bluesky", None),
    ("mastodon.social", "Mastodon", None),
    ("medium.com", "Medium", None),
    ("dev.to", "DEV", "https://dev.to/{}"),
    ("behance.net", "Behance", "https://www.behance.net/{}"),
    ("dribbble.com", "Dribbble", "https://dribbble.com/{}"),
    ("xing.com", "XING", None),
    ("youtube.com", "YouTube", None),
    ("facebook.com", "Facebook", None),
    ("instagram.com", "Instagram", None),
    ("kaggle.com", "Kaggle", "https://www.kaggle.com/{}"),
    ("codeberg.org", "Codeberg", "https://codeberg.org/{}"),
    ("bitbucket.org", "Bitbucket", "https://bitbucket.org/{}"),
    ("codepen.io", "CodePen", "https://codepen.io/{}"),
    ("leetcode.com", "LeetCode", "https://leetcode.com/{}"),
    ("hackerrank.com", "HackerRank", "https://www.hackerrank.com/{}"),
    ("npmjs.com", "npm", "https://www.npmjs.com/~{}"),
    ("huggingface.co", "Hugging Face", "https://huggingface.co/{}"),
    ("vk.com", "VK", "https://vk.com/{}"),
    ("habr.com", "Habr", None),
    ("zhihu.com", "Zhihu", None),
    ("qiita.com", "Qiita", "https://qiita.com/{}"),
    ("zenn.dev", "Zenn", "https://zenn.dev/{}"),
]
_NETWORK_BY_NAME = {squash(n): (n, t) for _, n, t in NETWORKS}
_NETWORK_BY_NAME.update({"twitterx": ("X", "https://x.com/{}"), "git hub": ("GitHub", None)})
# "jane-d-123 (LinkedIn)" / "LinkedIn: jane-d" / "GitHub - user"
_USER_NET = re.compile(r"^@?([\w.-]{2,60})\s*\(([\w .]{1,20})\)$")
_HANDLE = re.compile(r"@?[\w][\w.-]{1,38}")
_NET_USER = re.compile(r"^([\w .]{1,20}?)\s*[:|·\-–]\s*@?([\w.-]{2,60})$")


def network_for(url: str) -> str | None:
    host = re.sub(r"^[a-z]+://", "", url.lower()).split("/")[0].split(":")[0]
    host = host.removeprefix("www.")
    for suffix, name, _ in NETWORKS:
        if host == suffix or host.endswith("." + suffix):
            return name
    return None


def find_emails(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        for m in EMAIL_RE.finditer(line):
            e = m.group(0).strip(".")
            if e not in out:
                out.append(e)
    return out


def find_phone(lines: list[str]) -> str | None:
    best = None
    for line in lines:
        if len(line) > 160:
            continue
        for m in PHONE_RE.finditer(line):
            cand = m.group(0).strip(" -./")
            digits = re.sub(r"\D", "", cand)
            if not 7 <= len(digits) <= 15 or _DATEISH.match(cand.strip()):
                continue
            if re.fullmatch(r"(19|20)\d{2}\s*[-–]\s*(19|20)\d{2}", cand):
                continue
            if re.search(r"\d{4}[-/.]\d{2}[-/.]\d{2}", cand):
                continue
            score = (cand.startswith(("+", "(", "00")), len(digits) >= 9)
            if best is None or score > best[0]:
                best = (score, cand)
    if best and (best[0][0] or best[0][1]):
        return best[1]
    return None


def find_urls(lines: list[str]) -> list[str]:
    """Web addresses printed on short lines (not inside prose or HTML)."""
    out: list[str] = []
    for line in lines:
        if len(line) > 160 or "href=" in line:
            continue
        for m in URL_RE.finditer(line):
            u = m.group(0).rstrip(".,;:)")
            if "@" in u or re.search(r"\.(js|ts|py|net|md)$", u, re.I) and "/" not in u:
                continue
            if "://" not in u and "/" not in u and not u.lower().startswith("www."):
                # a bare domain: only on a line that is (nearly) just the domain
                rest = line.replace(m.group(0), "").strip(" ·|,:;-–")
                if len(rest) > 25 and not (u[0].islower() or u[0].isdigit()):
                    continue
                if re.match(r"^[A-Z][a-z]+\.[a-z]+$", u) and len(rest) > 0:
                    continue
            if not u.lower().startswith(("http://", "https://")):
                u = "https://" + u
            if u not in out:
                out.append(u)
    return out


def join_wrapped_urls(lines: list[str]) -> list[str]:
    """A link cut at a "-" or "/" ends its line, its rest alone on the next one:
    join them ("https://example.org/in/jane-" + "doe-1234/")."""
    out: list[str] = []
    joined = False
    for line in lines:
        if (
            out
            and not joined
            and _ends_inside_link(out[-1])
            and re.fullmatch(r"[a-z0-9][\w.%~/-]*/?", line)
        ):
            out[-1] = out[-1] + line
            joined = True
        else:
            out.append(line)
            joined = False
    return out


def _ends_inside_link(line: str) -> bool:
    """The line ends with a link cut after a "-" or "/" ("... https://x.org/in/jane-").

    String operations: `(?:https?://|www\\.)\\S+[-/]$` scanned the rest of the
    word from every "http://" in it, quadratic on a word of many.
    """
    if not line.endswith(("-", "/")):
        return False
    word = line.split()[-1]
    for prefix in ("http://", "https://", "www."):
        k = word.find(prefix)
        if k >= 0 and len(word) - k - len(prefix) >= 2:
            return True
    return False


def find_handle_profiles(lines: list[str]) -> list[dict]:
    """Profiles printed as "user (GitHub)", "GitHub: user" or "GitHub" with
    the user name alone on the next line, without a link."""
    out = []
    for n, line in enumerate(lines):
        if len(line) > 80:
            continue
        m = _USER_NET.match(line)
        if m:
            user, net = m.group(1), m.group(2)
        elif (m := _NET_USER.match(line)) is not None:
            net, user = m.group(1), m.group(2)
        elif (
            squash(line) in _NETWORK_BY_NAME
            and n + 1 < len(lines)
            and _HANDLE.fullmatch(lines[n + 1])
        ):
            net, user = line, lines[n + 1].lstrip("@")
        else:
            continue
        info = _NETWORK_BY_NAME.get(squash(net))
        if not info:
            continue
        name, template = info
        prof = {"network": name, "username": user}
        if template:
            prof["url"] = template.format(user)
        out.append(prof)
    return out


def site_profile(url: str) -> dict:
    """A profile for a link of no known network: named after its host."""
    host = re.sub(r"^[a-z]+://", "", url.lower()).split("/")[0].removeprefix("www.")
    labels = host.split(".")
    name = labels[-2] if len(labels) >= 2 else host
    return {"network": name.capitalize(), "url": url}


def profile_from_url(url: str) -> dict | None:
    net = network_for(url)
    if not net:
        return None
    path = re.sub(r"^[a-z]+://[^/]+/?", "", url, flags=re.I).strip("/")
    parts = [p for p in path.split("/") if p]
    user = ""
    if parts:
        user = parts[-1] if parts[0] in ("in", "profile", "u", "users", "user") else parts[0]
    prof = {"network": net, "url": url}
    if user:
        prof["username"] = user.lstrip("@")
    return prof


# --------------------------------------------------------------------------- name & label
_NAME_WORD = re.compile(r"^[\"“]?[A-ZÀ-ÖØ-ÞĀ-ſА-Я][\w'’.-]*[\"”]?$")
_NAME_PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "da",
    "del",
    "di",
    "du",
    "la",
    "le",
    "y",
    "e",
    "dos",
    "das",
    "ter",
    "zu",
    "bin",
    "al",
    "el",
}


def looks_like_name(line: str) -> bool:
    line = line.strip()
    if not line or len(line) > 50 or any(ch.isdigit() for ch in line) or "@" in line:
        return False
    if has_cjk(line):
        core = re.sub(r"[\s·•]", "", line)
        return 2 <= len(core) <= 5 and all("\u4e00" <= c <= "\u9fff" or c == "·" for c in core)
    words = line.split()
    if not 2 <= len(words) <= 5:
        return False
    caps = 0
    for w in words:
        if w.lower() in _NAME_PARTICLES:
            continue
        if not _NAME_WORD.match(w) or w.endswith((".", ",")) and len(w) > 2:
            return False
        caps += 1
    return caps >= 2

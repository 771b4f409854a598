"""The language a CV is written in (issue 15 point 2): detected from its text,
kept in the document as `meta.language` (an ISO 639-1 code; JSON Resume's
`meta` object allows properties of its own), changed by the person on the
review page, and the language of the published site.

Detection counts words only one language uses commonly: function words, the
months, and the words of a CV's headings and dates. A technical CV is full of
English terms whatever its language, so the English list holds only words a
sentence needs (articles, prepositions, pronouns), never jargon.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings

# The languages the site speaks (its labels, months and "present"), English first.
SUPPORTED: tuple[str, ...] = ("en", "de", "fr", "es", "pt", "it", "nl")
DEFAULT = "en"

_WORDS: dict[str, str] = {
    "en": """the and of to in for with on at from by as is are was were an this that which
        our my i have has had be been their they we will would also into over under
        january february march april may june july august september october november
        december present experience education skills languages summary responsible
        developed managed worked led""",
    "de": """und der die das den dem des ein eine einer einem eines mit von für bei auf im
        zu ist sind wurde wurden nicht auch als oder über aus zur zum sowie sich ich wir
        durch nach vom unter januar februar märz mai juni juli oktober dezember heute
        seit bis berufserfahrung ausbildung kenntnisse sprachen studium entwicklung
        verantwortlich tätigkeit tätigkeiten projekte erfahrung""",
    "fr": """le les des du et un une pour avec dans sur au aux par est sont été qui ou ainsi
        chez je nous ce cette ces leur mes janvier février mars avril mai juin juillet
        août septembre octobre novembre décembre aujourd’hui aujourd'hui actuellement
        expérience formation compétences langues développement gestion projets stage
        ingénieur""",
    "es": """el los las del y en un una para con por que es son fue como al sobre entre
        desde hasta también mi mis su sus nuestro enero febrero marzo abril mayo junio
        julio agosto septiembre setiembre octubre noviembre diciembre actualidad
        actualmente presente experiencia formación educación habilidades idiomas
        desarrollo gestión proyectos empresa trabajo""",
    "pt": """o os do da dos das e em um uma para com por que é são foi como ao na no nas
        nos sobre entre desde até também meu minha seu sua janeiro fevereiro março abril
        maio junho julho agosto setembro outubro novembro dezembro atual atualmente
        experiência formação educação competências habilidades idiomas desenvolvimento
        gestão projetos empresa trabalho""",
    "it": """il lo gli le del della dei delle degli di e in un una per con da su che è sono
        stato come al nel nella anche mio mia suo sua gennaio febbraio marzo aprile
        maggio giugno luglio agosto settembre ottobre novembre dicembre oggi attuale
        esperienza esperienze istruzione formazione competenze lingue sviluppo gestione
        progetti azienda lavoro""",
    "nl": """de het een en van in op voor met aan bij door als is zijn werd ook niet naar
        uit over tot ik wij mijn onze januari februari maart april mei juni juli
        augustus september oktober november december heden huidig werkervaring
        opleiding opleidingen vaardigheden talen ontwikkeling beheer projecten bedrijf
        werkzaamheden""",
}

_LANG_WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split()) for lang, words in _WORDS.items()
}
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def scores(text: str) -> dict[str, int]:
    """How many of `text`'s words belong to each supported language's list."""
    counts = dict.fromkeys(SUPPORTED, 0)
    for token in _TOKEN.findall(text.lower()):
        for lang in SUPPORTED:
            if token in _LANG_WORDS[lang]:
                counts[lang] += 1
    return counts


def detect(text: str) -> str | None:
    """The supported language `text` is written in, or None where it cannot tell
    (too few words it knows, two languages too close, or another script)."""
    ranked = sorted(scores(text or "").items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    # At least this many counted words, and this many more than the runner-up.
    enough, lead = settings.LANGUAGE_DETECT_MIN_WORDS, settings.LANGUAGE_DETECT_MIN_LEAD
    if top < enough or top - second < lead:
        return None
    return best


def normalise_code(value: object) -> str | None:
    """ "de", "DE", "de-AT", "de_AT" -> "de"; None unless supported."""
    if not isinstance(value, str):
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in SUPPORTED else None


# Not the person's own words: references quote others (often in English
# whatever the CV's language); links, addresses and numbers are no language.
_NOT_PROSE = frozenset({"meta", "$schema", "references", "url", "email", "phone", "image"})


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            if k not in _NOT_PROSE:
                yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def document_text(doc: object) -> str:
    """The words of a JSON Resume document (its values, not its keys)."""
    return "\n".join(_strings(doc))


def stored_language(doc: object) -> str | None:
    """The document's `meta.language` if it names a supported language."""
    meta = doc.get("meta") if isinstance(doc, dict) else None
    return normalise_code(meta.get("language")) if isinstance(meta, dict) else None


def document_language(doc: object) -> str:
    """The language of a document's site: `meta.language` as the person left it,
    else detected from its text, else English."""
    return stored_language(doc) or detect(document_text(doc)) or DEFAULT


def with_language(doc: dict, text: str) -> dict:
    """`doc` with `meta.language` set at extraction, unless it already names one:
    told from the document's own words first (the extracted fields, without the
    references a CV quotes), else from the CV's whole `text`; unchanged where
    neither tells."""
    if not isinstance(doc, dict) or stored_language(doc):
        return doc
    lang = detect(document_text(doc)) or detect(text)
    if not lang:
        return doc
    meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
    return {**doc, "meta": {**meta, "language": lang}}

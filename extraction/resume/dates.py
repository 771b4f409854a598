"""Dates as JSON Resume writes them (`YYYY-MM-DD`, `YYYY-MM`, `YYYY`) from the
ways people write them, in several languages, and the words for "still ongoing"."""

from __future__ import annotations

import calendar
import re
import unicodedata

from .limits import DATE_INPUT_MAX, PRESENT_INPUT_MAX

MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    [
        "jan january janv janvier ene enero jänner jän januar gen gennaio janeiro januari "
        "sty styczeń stycznia янв январь января 一月",
        "feb february fév févr fevr février fevrier febrero fev fevereiro februar febbraio "
        "februari lut luty lutego фев февраль февраля 二月",
        "mar march mars marzo março marco mär märz maerz maart marzec marca мар март марта 三月",
        "apr april avr avril abr abril aprile kwi kwiecień kwietnia апр апрель апреля 四月",
        "may mai mayo maio mag maggio mei maj maja май мая 五月",
        "jun june juin junio junho juni giu giugno cze czerwiec czerwca июн июнь июня 六月",
        "jul july juil juillet julio julho juli lug luglio lip lipiec lipca июл июль июля 七月",
        "aug august aoû août aout ago agosto augustus sie sierpień sierpnia авг август августа "
        "八月",
        "sep sept september septembre septiembre set setembro settembre wrz wrzesień września "
        "сен сент сентябрь сентября 九月",
        "oct october octobre oct octubre out outubro okt oktober ott ottobre paź październik "
        "października окт октябрь октября 十月",
        "nov november novembre noviembre novembro lis listopad listopada ноя ноябрь ноября 十一月",
        "dec december déc décembre decembre dic diciembre dez dezembro dezember dicembre "
        "gru grudzień grudnia дек декабрь декабря 十二月",
    ]
):
    for _n in _names.split():
        MONTHS[_n] = _i + 1

# Words meaning "still ongoing" as an end date; such an end date is removed.
PRESENT_WORDS = frozenset(
    [
        "present",
        "now",
        "current",
        "currently",
        "ongoing",
        "today",
        "heute",
        "aktuell",
        "jetzt",
        "gegenwärtig",
        "derzeit",
        "laufend",
        "actualidad",
        "actual",
        "presente",
        "hoy",
        "ahora",
        "actualmente",
        "présent",
        "aujourd'hui",
        "aujourdhui",
        "maintenant",
        "actuel",
        "actuellement",
        "atual",
        "atualmente",
        "hoje",
        "agora",
        "oggi",
        "attuale",
        "attualmente",
        "heden",
        "nu",
        "huidig",
        "obecnie",
        "teraz",
        "obecnie",
        "сейчас",
        "наст",
        "至今",
        "现在",
        "目前",
        "今",
        "現在",
        "現職",
        "現在まで",
        "在職中",
    ]
)
PRESENT_PHRASES = frozenset(
    {
        "bis heute",
        "en cours",
        "in corso",
        "to date",
        "to present",
        "till date",
        "till now",
        "up to now",
        "until now",
        "à ce jour",
        "a ce jour",
        "à présent",
        "hasta la fecha",
        "hasta hoy",
        "hasta ahora",
        "até o momento",
        "até hoje",
        "ad oggi",
        "tot heden",
        "tot nu",
        "do teraz",
        "do dziś",
        "do dzisiaj",
        "по настоящее время",
        "настоящее время",
        "по н.в.",
        "н.в.",
        "p r e s e n t",
    }
)


def is_present_word(value: str) -> bool:
    """True for "Present", "now", "heute", "至今"... (an ongoing end date)."""
    if len(value) > PRESENT_INPUT_MAX:
        return False
    s = unicodedata.normalize("NFKC", value).strip().casefold().strip(" .,;:()[]")
    s = re.sub(r"\s+", " ", s)
    return bool(s) and (s in PRESENT_WORDS or s in PRESENT_PHRASES)


# --------------------------------------------------------------------------- dates
_DATE_YMD = re.compile(
    r"(\d{4})(?:\s*[-/.]\s*(\d{1,2})(?:\s*[-/.]\s*(\d{1,2}))?)?(?:t\d.*| \d{1,2}:\d\d.*)?"
)
_DATE_MY = re.compile(r"(\d{1,2})\s*[-/.]\s*(\d{4})")
_DATE_DMY = re.compile(r"(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{4})")
_DATE_CJK = re.compile(r"(\d{4})\s*[年/.-]\s*(?:(\d{1,2})\s*月?)?\s*(?:(\d{1,2})\s*日)?")
_DATE_WORD_Y = re.compile(r"(?:(\d{1,2})\.?\s+)?([^\W\d_]+)\.?,?\s*(?:de\s+|of\s+)?'?(\d{4})")
_DATE_Y_WORD = re.compile(r"(\d{4})\s*[,\-/.]?\s*([^\W\d_]+)\.?(?:\s+(\d{1,2}))?")


def _fmt(year: int, month: int | None = None, day: int | None = None) -> str | None:
    if not 1000 <= year <= 2999:
        return None
    if month is None or not 1 <= month <= 12:
        return f"{year:04d}"
    if day is None or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_date(value: object) -> str | None:
    """Return `YYYY-MM-DD`, `YYYY-MM` or `YYYY` for a date written in a common way.

    Accepts "2020-01-05", "2020-1", "2023-9-28", "01/2020", "5.3.2020",
    "Jan 2020", "January, 2020", "janvier 2020", "marzo de 2020", "2020年3月",
    "2019" and ISO timestamps. Returns None for anything else, including
    present words (test those with `is_present_word`).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return _fmt(value)
    if isinstance(value, float):
        return _fmt(int(value)) if value.is_integer() else None
    if not isinstance(value, str) or len(value) > DATE_INPUT_MAX:
        return None
    s = unicodedata.normalize("NFKC", value).strip().casefold()
    if not s or len(s) > 40:
        return None
    if m := _DATE_YMD.fullmatch(s):
        y, mo, d = m.groups()
        return _fmt(int(y), int(mo) if mo else None, int(d) if d else None)
    if m := _DATE_MY.fullmatch(s):
        return _fmt(int(m.group(2)), int(m.group(1)))
    if m := _DATE_DMY.fullmatch(s):
        d, mo = int(m.group(1)), int(m.group(2))
        if mo > 12 >= d:  # US month/day/year
            d, mo = mo, d
        return _fmt(int(m.group(3)), mo, d)
    if m := _DATE_CJK.fullmatch(s):
        y, mo, d = m.groups()
        return _fmt(int(y), int(mo) if mo else None, int(d) if d else None)
    if (m := _DATE_WORD_Y.fullmatch(s)) and m.group(2) in MONTHS:
        day = int(m.group(1)) if m.group(1) else None
        return _fmt(int(m.group(3)), MONTHS[m.group(2)], day)
    if (m := _DATE_Y_WORD.fullmatch(s)) and m.group(2) in MONTHS:
        day = int(m.group(3)) if m.group(3) else None
        return _fmt(int(m.group(1)), MONTHS[m.group(2)], day)
    return None

"""Django's `timesince`, with its units translated once per language and number.

A long page says "Checked in 3 days ago" on every row, and each `timesince` call translated its
unit through the lazy plural strings (several look-ups of the active language) again: a tenth of
the OKR page's time. The words are Django's own, in the active language; only their translation
is remembered. Under 28 days (the shortest month) no calendar month has passed, so the one unit
is the largest of weeks, days, hours and minutes that fits: worked out here as `timesince` would,
without its calendar arithmetic.
"""

import datetime
import functools

from django.utils.html import avoid_wrapping
from django.utils.timesince import TIME_CHUNKS, TIME_STRINGS, timesince
from django.utils.translation import get_language

_NO_MONTH_YET = 28 * 24 * 60 * 60  # seconds
_SHORT_UNITS = tuple(zip(TIME_CHUNKS, ("week", "day", "hour", "minute"), strict=True))


@functools.lru_cache(maxsize=4096)
def _unit(language: str | None, name: str, number: int) -> str:
    """ "3 days" in `language` (the active one: the key only tells languages apart)."""
    return TIME_STRINGS[name] % {"num": number}


class _RememberedUnit:
    """What `timesince` asks of a unit: `unit % {"num": n}`."""

    def __init__(self, name: str):
        self.name = name

    def __mod__(self, values: dict) -> str:
        return _unit(get_language(), self.name, values["num"])


_REMEMBERED_UNITS = {name: _RememberedUnit(name) for name in TIME_STRINGS}


def time_since(moment: datetime.datetime, now: datetime.datetime | None = None, language: str | None = None) -> str:
    """ "3 days", "1 month": the largest unit of the time since `moment`, as Django's timesince;
    `language`: the active one, when the caller has it already."""
    if now is None:
        now = datetime.datetime.now(datetime.UTC if moment.tzinfo is not None else None)
    if moment.utcoffset() == now.utcoffset():
        seconds = (now - moment).total_seconds()
        if seconds < _NO_MONTH_YET:
            return avoid_wrapping(_short(language or get_language(), seconds))
    return timesince(moment, now, time_strings=_REMEMBERED_UNITS, depth=1)


def _short(language: str | None, seconds: float) -> str:
    """The largest whole unit in `seconds`, "0 minutes" for less than one (or for the future)."""
    for chunk, name in _SHORT_UNITS:
        if seconds >= chunk:
            return _unit(language, name, int(seconds // chunk))
    return _unit(language, "minute", 0)

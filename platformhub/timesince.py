"""Django's `timesince`, with its units translated once per language and number.

A long page says "Checked in 3 days ago" on every row, and each `timesince` call translated its
unit through the lazy plural strings (several look-ups of the active language) again: a tenth of
the OKR page's time. The words are Django's own, in the active language; only their translation
is remembered.
"""

import datetime
import functools

from django.utils.timesince import TIME_STRINGS, timesince
from django.utils.translation import get_language


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


def time_since(moment: datetime.datetime, now: datetime.datetime | None = None) -> str:
    """ "3 days", "1 month": the largest unit of the time since `moment`, as Django's timesince."""
    return timesince(moment, now, time_strings=_REMEMBERED_UNITS, depth=1)

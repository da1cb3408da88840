"""platformhub.timesince: Django's timesince, with its units' translations remembered."""

import datetime
import random
import zoneinfo

import pytest
from django.utils import translation
from django.utils.timesince import timesince

from platformhub.timesince import time_since

NOW = datetime.datetime(2026, 3, 28, 11, 0, tzinfo=datetime.UTC)
AGES = [
    datetime.timedelta(0),
    datetime.timedelta(seconds=59),
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5, seconds=30),
    datetime.timedelta(hours=1),
    datetime.timedelta(hours=23, minutes=59),
    datetime.timedelta(days=1),
    datetime.timedelta(days=6, hours=23),
    datetime.timedelta(days=13),
    datetime.timedelta(days=28, hours=1),  # 28 Feb 10:00 -> 28 Mar 11:00: Django says a month
    datetime.timedelta(days=29),
    datetime.timedelta(days=400),
]


@pytest.mark.parametrize("age", AGES)
def test_time_since_says_what_django_timesince_says_with_one_unit(age):
    assert time_since(NOW - age, NOW) == timesince(NOW - age, NOW, depth=1)


def test_time_since_speaks_the_active_language_and_remembers_each_apart():
    moment = NOW - datetime.timedelta(days=3)
    english = time_since(moment, NOW)
    with translation.override("de"):
        german = time_since(moment, NOW)
        assert german == timesince(moment, NOW, depth=1)
    assert (english, german) == ("3\xa0days", "3\xa0Tage")
    assert time_since(moment, NOW) == english


def test_time_since_agrees_with_django_for_every_age_under_a_month_and_across_month_ends():
    """The short path (under 28 days) against Django's own arithmetic, around every boundary."""
    rng = random.Random(7)
    nows = [
        NOW,
        datetime.datetime(2024, 3, 1, 0, 0, 30, tzinfo=datetime.UTC),
        datetime.datetime(2023, 1, 31, 23, 59, tzinfo=datetime.UTC),
    ]
    ages = [datetime.timedelta(seconds=rng.uniform(-90_000, 31 * 86_400)) for _ in range(3_000)]
    ages += [
        datetime.timedelta(seconds=s + d)
        for s in (0, 60, 3_600, 86_400, 604_800, 28 * 86_400)
        for d in (-1, -0.5, 0, 0.5, 1)
    ]
    for now in nows:
        for age in ages:
            assert time_since(now - age, now) == timesince(now - age, now, depth=1), (now, age)


def test_time_since_in_another_timezone_than_now_is_djangos():
    moment = datetime.datetime(2026, 3, 1, 0, 30, tzinfo=zoneinfo.ZoneInfo("Pacific/Kiritimati"))
    assert time_since(moment, NOW) == timesince(moment, NOW, depth=1)

"""Hypothesis strategies for form posts.

Each fuzzed form has a strategy for a *valid* body (so that saves succeed often enough to check
what is stored), which `corrupted()` then damages in a few fields: hostile values (NUL bytes, huge
and odd numbers, ids of other teams' objects, very long or strange text, wrong types), fields left
out, fields sent more than once, and fields the form does not know. Shrinking heads for the valid
body, so a failure is reported with the fewest damaged fields that still show it.
"""

import datetime
import json
import os
from decimal import Decimal
from urllib.parse import urlencode

from django.http import QueryDict
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from platformhub.forms import SIGNIFICANT_DIGITS

FUZZ_SETTINGS = {
    "deadline": None,
    "database": None,  # no .hypothesis/ example database in the checkout
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
}


def fuzz(max_examples: int):
    """Hypothesis settings for one fuzz target; FUZZ_SCALE=10 runs ten times the examples (a longer hunt)."""
    scale = float(os.environ.get("FUZZ_SCALE", "1"))
    return settings(max_examples=max(1, round(max_examples * scale)), **FUZZ_SETTINGS)


# Text

plain_text = st.text(st.characters(codec="utf-8"), max_size=40)


def good_text(max_length: int, *, multiline: bool = False) -> st.SearchStrategy[str]:
    """Text a form accepts: non-blank, no NUL, at most `max_length` once stripped."""
    characters = st.characters(codec="utf-8", exclude_characters="\x00")
    return st.one_of(
        st.from_regex(r"[A-Za-z][A-Za-z0-9 ,.'’é🎈-]{0,30}", fullmatch=True),
        st.text(characters, min_size=1, max_size=min(max_length, 60)),
        st.sampled_from(
            [
                "<script>alert(1)</script>",
                "{{ request }}{% debug %}",
                "**bold** [link](javascript:alert(1))",
                "'; DROP TABLE okrs_objective; --",
                "\u202eevil\u202c",
                "e\u0301" * 20,
                "\ufeffBOM",
                "%s%s%n",
                "Line one\r\nLine two" if multiline else "Line one\nLine two",
            ]
        ),
        st.just("x" * max_length),
        st.just("🎈" * max_length),
        st.just(f"  {'y' * max_length}  "),  # at the limit once stripped
    ).filter(lambda text: text.strip() and len(text.strip()) <= max_length)


def bad_text(max_length: int) -> st.SearchStrategy[str]:
    """Text a form must refuse or clean: blank, NUL bytes, over the limit."""
    return st.one_of(
        st.sampled_from(["", " ", "\t\r\n", "\u3000", "\x00", "a\x00b", "\x00" * 3]),
        good_text(max_length).map(lambda text: text[: len(text) // 2] + "\x00" + text[len(text) // 2 :]),
        st.sampled_from([1, 2, 1000, 100_000]).map(lambda extra: "x" * (max_length + extra)),
        st.just("é" * (max_length + 1)),
        plain_text,
    )


def any_text(max_length: int, *, multiline: bool = False) -> st.SearchStrategy[str]:
    return st.one_of(good_text(max_length, multiline=multiline), bad_text(max_length))


# Numbers


def decimals_for(max_digits: int = 20, places: int = 4) -> st.SearchStrategy[Decimal]:
    """Decimals the app's DecimalField(max_digits, decimal_places) accepts, up to its limits: at most
    15 significant digits, as small as its places allow and as large as its whole digits do."""
    digits = min(max_digits, SIGNIFICANT_DIGITS)
    largest = 10**digits - 1
    shift = max_digits - places - digits  # moves the digits up to the largest whole part
    return st.one_of(
        st.integers(min_value=-10_000, max_value=10_000).map(Decimal),
        st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
        st.integers(min_value=-largest, max_value=largest).map(lambda n: Decimal(n).scaleb(-places)),
        st.integers(min_value=-largest, max_value=largest).map(lambda n: Decimal(n).scaleb(shift)),
        st.sampled_from(
            [
                Decimal(largest).scaleb(-places),
                -Decimal(largest).scaleb(-places),
                Decimal(largest).scaleb(shift),
                -Decimal(largest).scaleb(shift),
                Decimal("0.0001"),
            ]
        ),
    )


def decimal_text(value: Decimal) -> st.SearchStrategy[str]:
    """Ways of writing `value` that a DecimalField reads as it."""
    return st.sampled_from([str(value), f" {value} ", f"{value:f}", f"{value:E}"])


hostile_decimals = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "NaN",
            "-NaN",
            "sNaN",
            "nan",
            "Infinity",
            "-Infinity",
            "inf",
            "1e999999",
            "1e-999999",
            "1e999999999999999999999",
            "1E+16",
            "1E+20",
            "1e-5",
            "-0",
            "0.00005",
            "99999999999999999999",
            "100000000000000000.0000",
            "9999999999999999.9999",  # fits max_digits=20, but more than 15 significant digits
            "-9999999999999999.9999",
            "1234567890123456.1234",
            "1234567890123456",
            "0.1234567890123456",
            "1,5",
            "1_000",
            "١٢٣",
            "０",
            "0x10",
            "1.2.3",
            "--1",
            "\x00",
            "1\x00",
            "٣.٥",
        ]
    ),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers().map(str),
    st.floats().map(lambda number: f"{number:.6g}"),
    plain_text,
)


def int_like(valid: list[int]) -> st.SearchStrategy[str]:
    """An id or version: the given valid ones, and everything that is not quite an integer."""
    hostile = st.one_of(
        st.sampled_from(
            [
                "",
                "0",
                "-1",
                "1.0",
                "1e3",
                " 1",
                "1 ",
                "+1",
                "٣",
                "１",
                "abc",
                "\x00",
                "1\x00",
                "null",
                str(2**31 - 1),
                str(2**31),
                str(2**63 - 1),
                str(2**63),
                str(2**64),
                "9" * 30,
                "0" * 30 + "1",
                "[1]",
            ]
        ),
        st.sampled_from([4300, 4301]).map(lambda digits: "9" * digits),  # int() refuses over 4300 digits
        st.integers().map(str),
        plain_text,
    )
    if not valid:
        return hostile
    return st.one_of(st.sampled_from([str(value) for value in valid]), hostile)


def id_values(valid: list[int], foreign: list[int]) -> st.SearchStrategy[str]:
    """Ids for a related object: allowed ones, existing ones that are not allowed here, and junk."""
    return st.one_of(
        st.sampled_from([str(value) for value in valid]) if valid else st.nothing(),
        st.sampled_from([str(value) for value in foreign]) if foreign else st.nothing(),
        int_like([]),
    )


def some_of(ids: list[int]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from([str(value) for value in ids]), unique=True) if ids else st.just([])


def choice_values(choices: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(choices),
        st.sampled_from(choices).map(str.upper),
        st.sampled_from(choices).map(lambda choice: f" {choice}"),
        st.sampled_from(choices).map(lambda choice: f"{choice}\x00"),
        bad_text(20),
    )


booleans = st.one_of(st.sampled_from(["on", "true", "false", "0", "1", "", "off", "False"]), plain_text)

date_values = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.sampled_from(
        [
            "",
            "2022-02-30",
            "2022-13-01",
            "0000-01-01",
            "0001-01-01",
            "9999-12-31",
            "10000-01-01",
            "-2022-01-01",
            "2022-12-31T00:00:00",
            "2022-12-31 25:00",
            "31/12/2022",
            "12/31/2022",
            "31.12.2022",
            "2022-1-1",
            "２０２２-１２-３１",
            "now",
            "\x00",
            "2022-12-31\x00",
            "1" * 400,
        ]
    ),
    plain_text,
)


def dates_between(first: datetime.date, last: datetime.date) -> st.SearchStrategy[str]:
    return st.dates(first, last).map(datetime.date.isoformat)


# Whole form bodies


@st.composite
def corrupted(draw, valid: st.SearchStrategy[dict], fields: dict[str, st.SearchStrategy], *, multi=()) -> dict:
    """A valid body with a few fields damaged: a hostile value, left out, or sent more than once
    (multi-valued fields get a list), plus now and then fields the form does not know."""
    body = dict(draw(valid))
    for name in draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=3)):
        how = draw(st.sampled_from(["value", "value", "missing", "repeated"]))
        if how == "missing":
            body.pop(name, None)
        elif name in multi:
            body[name] = draw(st.lists(fields[name], max_size=4))
        elif how == "value":
            body[name] = draw(fields[name])
        else:
            body[name] = draw(st.lists(fields[name], min_size=2, max_size=3))
    if draw(st.integers(0, 9)) == 0:
        extra = st.sampled_from(["id", "pk", "team", "order", "objective", "created_at", "csrfmiddlewaretoken"])
        body.update(draw(st.dictionaries(extra, plain_text, max_size=2)))
    return body


def as_querydict(data: dict) -> QueryDict:
    """What the view's request.POST holds for `data` (the last of a repeated field wins in .get())."""
    return QueryDict(urlencode(data, doseq=True))


# How the body goes: mostly as a browser sends a form, now and then as JSON (request.POST stays
# empty), with over 1000 fields, over the 2.5 MB limit, or as raw bytes labelled as a form.
encodings = st.sampled_from(["multipart", "urlencoded"] * 4 + ["json", "flood", "too-big", "bytes"]).flatmap(
    lambda kind: st.binary(max_size=300) if kind == "bytes" else st.just(kind)
)


def post(client, url: str, data: dict, *, encoding, htmx: bool = False, **headers):
    """POST `data` (as multipart or urlencoded form, as JSON, with over 1000 fields, over the
    2.5 MB limit, or as raw bytes), optionally as an HTMX request. Returns the response and what
    request.POST held, to compare the saved values with."""
    if htmx:
        headers["HTTP_HX_REQUEST"] = "true"
    form = "application/x-www-form-urlencoded"
    if isinstance(encoding, bytes):
        return client.post(url, encoding, content_type=form, **headers), QueryDict(encoding)
    if encoding == "multipart":
        return client.post(url, data, **headers), as_querydict(data)
    if encoding == "json":  # request.POST stays empty
        return client.post(url, json.dumps(data), content_type="application/json", **headers), QueryDict()
    if encoding in ("flood", "too-big"):  # over DATA_UPLOAD_MAX_NUMBER_FIELDS or DATA_UPLOAD_MAX_MEMORY_SIZE
        extra = {f"f{n}": "1" for n in range(1001)} if encoding == "flood" else {"title": "x" * 3_000_000}
        response = client.post(url, urlencode({**data, **extra}, doseq=True), content_type=form, **headers)
        assert 400 <= response.status_code < 500, f"{encoding}: {response.status_code}"
        return response, None
    return client.post(url, urlencode(data, doseq=True), content_type=form, **headers), as_querydict(data)

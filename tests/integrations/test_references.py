"""Reading pasted issue references: what counts as one, and the message for what does not."""

import re

import pytest

from integrations.references import (
    NOT_AN_ISSUE,
    TOO_BIG,
    InvalidReference,
    IssueReference,
    parse_reference,
    parse_references,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PostHog/posthog#123", IssueReference("posthog/posthog", 123)),
        (" https://github.com/PostHog/charts/pull/45?x=1#y ", IssueReference("posthog/charts", 45)),
        ("octo/repo#2147483647", IssueReference("octo/repo", 2147483647)),
        ("octo/repo#" + "0" * 5000 + "7", IssueReference("octo/repo", 7)),
    ],
)
def test_a_reference_is_read(text, expected):
    assert parse_reference(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not an issue", NOT_AN_ISSUE),
        ("https://gitlab.com/a/b/issues/1", NOT_AN_ISSUE),
        ("octo/repo#0", NOT_AN_ISSUE),
        ("octo/repo#000", NOT_AN_ISSUE),
        # Past the issue column (a 32-bit integer on PostgreSQL), and past what int() reads.
        ("octo/repo#2147483648", TOO_BIG),
        ("https://github.com/octo/repo/issues/99999999999999999999", TOO_BIG),
        ("octo/repo#" + "9" * 5000, TOO_BIG),
    ],
)
def test_anything_else_is_refused_with_the_reason(text, message):
    with pytest.raises(InvalidReference, match=re.escape(message)):
        parse_reference(text)


def test_each_bad_piece_gets_its_own_line_and_message():
    found, errors = parse_references("octo/repo#1, octo/repo#2147483648\nnope octo/repo#1")
    assert found == [IssueReference("octo/repo", 1)]
    assert [(error.line, error.text, error.message) for error in errors] == [
        (1, "octo/repo#2147483648", TOO_BIG),
        (2, "nope", NOT_AN_ISSUE),
    ]

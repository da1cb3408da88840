"""Reading the issue references people paste: URLs or owner/repo#123, one or many per line."""

import re
from dataclasses import dataclass

_URL = re.compile(
    r"^(?:https?://)?(?:www\.)?github\.com/(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/(?:issues|pull)/(?P<number>\d+)"
    r"(?:[/?#].*)?$"
)
_SHORT = re.compile(r"^(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)#(?P<number>\d+)$")


@dataclass(frozen=True)
class IssueReference:
    repo: str  # lower case: GitHub repository names are case-insensitive
    number: int

    def __str__(self) -> str:
        return f"{self.repo}#{self.number}"


@dataclass(frozen=True)
class ReferenceError:
    line: int
    text: str
    message: str


# The largest number the issue column keeps (a 32-bit integer on PostgreSQL); no repository is near it.
LARGEST_ISSUE_NUMBER = 2**31 - 1
NOT_AN_ISSUE = "Not an issue: use a GitHub URL or owner/repo#123."
TOO_BIG = f"No issue has a number that big: they go up to {LARGEST_ISSUE_NUMBER}."


class InvalidReference(ValueError):
    """The text is not a reference to an issue; the message says why, for the person who typed it."""


def parse_reference(text: str) -> IssueReference:
    """The issue `text` refers to; InvalidReference, with a message to show, when it refers to none."""
    text = text.strip()
    match = _URL.match(text) or _SHORT.match(text)
    if not match:
        raise InvalidReference(NOT_AN_ISSUE)
    digits = match.group("number").lstrip("0")
    if len(digits) > len(str(LARGEST_ISSUE_NUMBER)):  # before int(), which raises over 4300 digits
        raise InvalidReference(TOO_BIG)
    number = int(digits or "0")
    if number > LARGEST_ISSUE_NUMBER:
        raise InvalidReference(TOO_BIG)
    if number == 0:
        raise InvalidReference(NOT_AN_ISSUE)
    return IssueReference(repo=match.group("repo").lower(), number=number)


def parse_references(text: str) -> tuple[list[IssueReference], list[ReferenceError]]:
    """Every reference in `text` (one per line, or separated by spaces or commas), without
    repeats, and an error for each piece that is not one."""
    found: list[IssueReference] = []
    errors: list[ReferenceError] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        for piece in re.split(r"[\s,]+", line.strip()):
            if not piece:
                continue
            try:
                reference = parse_reference(piece)
            except InvalidReference as error:
                errors.append(ReferenceError(line_number, piece, str(error)))
            else:
                if reference not in found:
                    found.append(reference)
    return found, errors

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


def parse_reference(text: str) -> IssueReference | None:
    text = text.strip()
    match = _URL.match(text) or _SHORT.match(text)
    if not match or int(match.group("number")) == 0:
        return None
    return IssueReference(repo=match.group("repo").lower(), number=int(match.group("number")))


def parse_references(text: str) -> tuple[list[IssueReference], list[ReferenceError]]:
    """Every reference in `text` (one per line, or separated by spaces or commas), without
    repeats, and an error for each piece that is not one."""
    found: list[IssueReference] = []
    errors: list[ReferenceError] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        for piece in re.split(r"[\s,]+", line.strip()):
            if not piece:
                continue
            reference = parse_reference(piece)
            if reference is None:
                errors.append(ReferenceError(line_number, piece, "Not an issue: use a GitHub URL or owner/repo#123."))
            elif reference not in found:
                found.append(reference)
    return found, errors

"""Progress and status of key results and objectives: the one place these numbers come from.

Progress is a ratio from 0 to 1. Status compares progress with the share of the KR's time
that has passed (from the start of the quarter to its due date) and takes the latest
confidence into account; the worse of the two wins.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from okrs.models import KeyResult

STALE_AFTER = datetime.timedelta(days=7)
ON_TRACK_GAP = 10  # behind the pace by at most 10 percentage points
AT_RISK_GAP = 30  # behind by at most 30 points; further behind is off track


class Status(StrEnum):
    DONE = "done"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"

    @property
    def label(self) -> str:
        return self.replace("_", " ").capitalize()


_SEVERITY = [Status.DONE, Status.ON_TRACK, Status.AT_RISK, Status.OFF_TRACK]
_BY_CONFIDENCE = {
    KeyResult.Confidence.HIGH: Status.ON_TRACK,
    KeyResult.Confidence.MEDIUM: Status.AT_RISK,
    KeyResult.Confidence.LOW: Status.OFF_TRACK,
}


def as_percent(ratio: float) -> int:
    """A ratio as a whole percentage, halves rounded up (62.5 % shows as 63 %, not 62 %)."""
    return int((Decimal(str(ratio)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _clamp(ratio: float) -> float:
    return max(0.0, min(1.0, ratio))


def ratio_for_value(key_result: KeyResult, value: Decimal | None, *, done: bool | None = None) -> float:
    """The progress a given value (or done flag) represents for this key result."""
    kind = key_result.kind
    if kind == KeyResult.Kind.MILESTONE:
        return 1.0 if done else 0.0
    if value is None:
        return 0.0
    if kind == KeyResult.Kind.PERCENT:
        return _clamp(float(value) / 100)
    span = key_result.target_value - key_result.start_value
    if span == 0:
        return 1.0 if value == key_result.target_value else 0.0
    return _clamp(float((value - key_result.start_value) / span))


def key_result_progress(key_result: KeyResult) -> float:
    if key_result.kind == KeyResult.Kind.ISSUES:
        closed, total = linked_issue_counts(key_result)
        return closed / total if total else 0.0
    return ratio_for_value(key_result, key_result.current_value, done=key_result.is_done)


def linked_issue_counts(key_result: KeyResult) -> tuple[int, int]:
    """(closed, total) of the KR's linked issues, or of their points when it weighs by points,
    as annotated by `okrs.selectors.with_issue_counts` (0 of 0 when not annotated)."""
    if key_result.weight_by_points:
        return getattr(key_result, "points_closed", 0), getattr(key_result, "points_total", 0)
    return getattr(key_result, "issues_closed", 0), getattr(key_result, "issues_total", 0)


def elapsed_share(key_result: KeyResult, today: datetime.date) -> float:
    """How much of the KR's time, from the quarter's start to its due date, has passed."""
    start = key_result.objective.period.start
    total_days = (key_result.due_date - start).days + 1
    if total_days <= 0:
        return 1.0
    return _clamp(((today - start).days + 1) / total_days)


def key_result_status(key_result: KeyResult, today: datetime.date, progress: float | None = None) -> Status:
    """`progress`: the KR's, when the caller has it already."""
    if progress is None:
        progress = key_result_progress(key_result)
    if progress >= 1:
        return Status.DONE
    # In whole percentage points, rounded, so that exactly 10 behind is not 10.000000000000009.
    gap = round((elapsed_share(key_result, today) - progress) * 100, 6)
    if today > key_result.due_date:
        by_pace = Status.OFF_TRACK
    elif gap <= ON_TRACK_GAP:
        by_pace = Status.ON_TRACK
    elif gap <= AT_RISK_GAP:
        by_pace = Status.AT_RISK
    else:
        by_pace = Status.OFF_TRACK
    by_confidence = _BY_CONFIDENCE.get(key_result.confidence, Status.ON_TRACK)
    return max(by_pace, by_confidence, key=_SEVERITY.index)


def key_result_is_stale(key_result: KeyResult, now: datetime.datetime, progress: float | None = None) -> bool:
    """No check-in for a week while the KR is still open and its quarter running (the clock
    starts when the quarter does, for KRs written ahead). `progress`: the KR's, if known."""
    period = key_result.objective.period
    if progress is None:
        progress = key_result_progress(key_result)
    if progress >= 1 or not period.start <= now.date() <= period.end:
        return False
    quarter_start = datetime.datetime.combine(period.start, datetime.time(), tzinfo=datetime.UTC)
    last = max(key_result.last_check_in_at or key_result.created_at, quarter_start)
    return now - last > STALE_AFTER


@dataclass(frozen=True)
class KeyResultState:
    """Everything a page shows about a KR's progress, computed once per request."""

    progress: float
    status: Status
    is_stale: bool

    @property
    def percent(self) -> int:
        return as_percent(self.progress)


def key_result_state(key_result: KeyResult, now: datetime.datetime) -> KeyResultState:
    progress = key_result_progress(key_result)
    return KeyResultState(
        progress=progress,
        status=key_result_status(key_result, now.date(), progress),
        is_stale=key_result_is_stale(key_result, now, progress),
    )


def objective_progress(key_results: list[KeyResult]) -> float:
    """The mean progress of an objective's key results (0 when it has none)."""
    if not key_results:
        return 0.0
    return sum(key_result_progress(kr) for kr in key_results) / len(key_results)


def objective_status(states: list[KeyResultState]) -> Status | None:
    """The worst status among the objective's key results."""
    if not states:
        return None
    return max((state.status for state in states), key=_SEVERITY.index)


def objective_score(key_results: list[KeyResult]) -> Decimal | None:
    """The mean of the final scores, once every KR has one."""
    scores = [kr.final_score for kr in key_results]
    if not scores or any(score is None for score in scores):
        return None
    return (sum(scores) / len(scores)).quantize(Decimal("0.01"))


def suggested_score(key_result: KeyResult) -> Decimal:
    """The score a lead starts from when closing the quarter: progress, to one decimal."""
    return Decimal(str(key_result_progress(key_result))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RollUp:
    """A roadmap item's progress: the mean of its linked key results, with how it was computed."""

    parts: list[tuple[str, int]]  # (key result, percent)

    @property
    def percent(self) -> int | None:
        if not self.parts:
            return None
        return as_percent(sum(percent for _, percent in self.parts) / len(self.parts) / 100)

    @property
    def explanation(self) -> str:
        if not self.parts:
            return "No key result linked yet, so no progress to show."
        shown = ", ".join(f"{title} {percent}%" for title, percent in self.parts)
        noun = "key result" if len(self.parts) == 1 else f"{len(self.parts)} key results"
        return f"Mean of {noun}: {shown}."


def roadmap_item_rollup(key_results: list[KeyResult]) -> RollUp:
    return RollUp(parts=[(kr.title, as_percent(key_result_progress(kr))) for kr in key_results])

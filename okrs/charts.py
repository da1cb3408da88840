"""A KR's progress over its quarter as coordinates for a small server-rendered SVG chart."""

import datetime
from dataclasses import dataclass

from okrs.models import KeyResult
from okrs.progress import as_percent, ratio_for_value

WIDTH, HEIGHT = 320, 120
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 34, 8, 8, 22


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class ProgressChart:
    """The chart as a remembered row (platformhub/fragments.py): a KR of weekly check-ins draws a
    point each, and the chart is drawn again only when one of them changes."""

    title: str
    width: int
    height: int
    points: tuple[ChartPoint, ...]
    pace: tuple[float, float, float, float]  # the line from 0% at the start to 100% on the due date
    gridlines: tuple[tuple[float, str], ...]  # y and label
    start_label: str
    due_label: str
    left: float
    right: float
    bottom: float

    @property
    def polyline(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in self.points)


def progress_chart(key_result: KeyResult) -> ProgressChart:
    """Progress after each check-in (oldest first), against the even pace to the due date."""
    start = key_result.objective.period.start
    end = max(key_result.due_date, key_result.objective.period.end)
    span_days = max((end - start).days, 1)
    left, right = PAD_LEFT, WIDTH - PAD_RIGHT
    top, bottom = PAD_TOP, HEIGHT - PAD_BOTTOM

    def x_for(day: datetime.date) -> float:
        share = min(max((day - start).days / span_days, 0.0), 1.0)
        return left + share * (right - left)

    def y_for(ratio: float) -> float:
        return bottom - ratio * (bottom - top)

    points = [ChartPoint(x_for(start), y_for(0.0), f"{start:%-d %b}: start, 0%")]
    for day, ratio in _progress_steps(key_result):
        points.append(ChartPoint(x_for(day), y_for(ratio), f"{day:%-d %b}: {as_percent(ratio)}%"))
    return ProgressChart(
        title=key_result.title,
        width=WIDTH,
        height=HEIGHT,
        points=tuple(points),
        pace=(x_for(start), y_for(0.0), x_for(key_result.due_date), y_for(1.0)),
        gridlines=tuple((y_for(ratio), f"{as_percent(ratio)}%") for ratio in (0.0, 0.5, 1.0)),
        start_label=f"{start:%-d %b}",
        due_label=f"{key_result.due_date:%-d %b}",
        left=left,
        right=right,
        bottom=bottom,
    )


def _progress_steps(key_result: KeyResult) -> list[tuple[datetime.date, float]]:
    """(day, progress) oldest first: after each check-in, or for linked-issue KRs, as each issue closed."""
    if key_result.kind != KeyResult.Kind.ISSUES:
        return [
            (created_at.date(), ratio_for_value(key_result, value, done=done))
            for created_at, value, done in reversed(key_result.chart_check_ins)
        ]
    issues = [issue for issue in key_result.linked_issues if not issue.deleted]
    weight = (lambda issue: issue.points) if key_result.weight_by_points else (lambda issue: 1)
    total = sum(weight(issue) for issue in issues)
    if not total:
        return []
    closed = sorted((issue for issue in issues if issue.is_closed and issue.closed_at), key=lambda i: i.closed_at)
    steps, done = [], 0
    for issue in closed:
        done += weight(issue)
        steps.append((issue.closed_at.date(), done / total))
    return steps

"""Server-rendered SVG charts for the staff dashboard: no JavaScript, no CDN.

The markup carries classes only (colours live in static/css/admin-dashboard.css)
because the site's CSP allows styles from 'self' and no inline style or script.
Every label goes through `format_html`, so a title or unit is always escaped.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

MAX_POINTS = 200

# Plot geometry, in SVG user units (the SVG scales to its container).
WIDTH, HEIGHT = 600, 180
LEFT, RIGHT, TOP, BOTTOM = 52, 22, 12, 26

# Candidate distances between time ticks, smallest first.
TICK_STEPS = (
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(days=1),
    timedelta(days=2),
    timedelta(days=5),
    timedelta(days=7),
    timedelta(days=14),
)
MAX_TICKS = 8


@dataclass(frozen=True)
class Point:
    t: datetime
    v: float | None
    # True when the line must not join this point to the one before
    # (samples are missing in between).
    gap_before: bool = False
    # The samples behind an average: its extremes and its newest value, so
    # a summary of 30 days still tells the true peak and the current value.
    low: float | None = None
    high: float | None = None
    last: float | None = None

    def __post_init__(self):
        if self.v is not None and self.low is None:
            object.__setattr__(self, "low", self.v)
            object.__setattr__(self, "high", self.v)
            object.__setattr__(self, "last", self.v)


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str
    svg: SafeString
    points: int
    latest: float | None
    low: float | None
    high: float | None

    def __html__(self) -> str:
        return self.svg

    @property
    def summary(self) -> str:
        if self.latest is None:
            return "no data for this period"
        return (
            f"latest {fmt(self.latest, self.unit)} · lowest {fmt(self.low, self.unit)}"
            f" · highest {fmt(self.high, self.unit)}"
        )


def fmt(value: float | None, unit: str = "") -> str:
    """A number for people: no false precision, the unit after it."""
    if value is None:
        return "–"
    if abs(value) >= 100 or float(value).is_integer():
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}".rstrip("0").rstrip(".")
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def default_gap(times: Sequence[datetime]) -> timedelta | None:
    """Three times the usual distance between samples: beyond that, data is missing."""
    if len(times) < 3:
        return None
    deltas = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    usual = statistics.median(deltas)
    return timedelta(seconds=3 * usual) if usual > 0 else None


def downsample(
    series: Iterable[tuple[datetime, float | None]],
    max_points: int = MAX_POINTS,
    gap: timedelta | None = None,
) -> list[Point]:
    """At most `max_points` points: averages over equal slices of time.

    `series` is ordered by time. A slice whose samples are all None stays a
    None point (a hole in the line); a stretch longer than `gap` without
    samples (default: three times the usual spacing) breaks the line.
    """
    raw = list(series)
    return downsample_columns([t for t, _ in raw], [[v for _, v in raw]], max_points, gap)[0]


def downsample_columns(
    times: Sequence[datetime],
    columns: Sequence[Sequence[float | None]],
    max_points: int = MAX_POINTS,
    gap: timedelta | None = None,
) -> list[list[Point]]:
    """`downsample` for several series sampled at the same `times`, slicing once."""
    if not times:
        return [[] for _ in columns]
    if gap is None:
        gap = default_gap(times)
    gap_s = gap.total_seconds() if gap is not None else None
    # Plain float arithmetic on epoch seconds: 30 days of 5-minute samples
    # go through here on every dashboard view.
    first = times[0]
    zero = first.timestamp()
    offsets = [t.timestamp() - zero for t in times]
    n = len(times)
    if n <= max_points:
        slices = [(i, i + 1) for i in range(n)]
    else:
        width = offsets[-1] / max_points if offsets[-1] > 0 else 1.0
        slices, start, current = [], 0, None
        for i, offset in enumerate(offsets):
            index = min(int(offset / width), max_points - 1)
            if index != current:
                if current is not None:
                    slices.append((start, i))
                start, current = i, index
        slices.append((start, n))

    stamps, breaks = [], []
    for k, (i, j) in enumerate(slices):
        stamps.append(first + timedelta(seconds=sum(offsets[i:j]) / (j - i)))
        breaks.append(k > 0 and gap_s is not None and offsets[i] - offsets[i - 1] > gap_s)

    out = []
    for column in columns:
        points = []
        for (i, j), t, broken in zip(slices, stamps, breaks, strict=True):
            values = [v for v in column[i:j] if v is not None]
            if not values:
                points.append(Point(t, None, broken))
                continue
            mean = sum(values) / len(values)
            points.append(Point(t, mean, broken, min(values), max(values), values[-1]))
        out.append(points)
    return out


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is >= value."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value - 1e-9:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def time_ticks(start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    """Round moments between start and end (at most MAX_TICKS), with labels."""
    span = end - start
    step = next((s for s in TICK_STEPS if span / s <= MAX_TICKS), TICK_STEPS[-1])
    local = timezone.localtime(start)
    if step >= timedelta(days=1):
        tick, inc, label = local.replace(hour=0, minute=0, second=0, microsecond=0), step, "%d %b"
        # Whole days counted from a fixed origin, so ticks stay put as time moves.
        tick -= timedelta(days=tick.toordinal() % step.days)
    else:
        tick, inc, label = local.replace(minute=0, second=0, microsecond=0), step, "%H:%M"
        tick -= timedelta(hours=tick.hour % max(step.seconds // 3600, 1))
    ticks = []
    while tick <= end:
        if tick >= start:
            ticks.append((tick, tick.strftime(label)))
        tick += inc
    return ticks


def line_chart(
    series: Iterable[tuple[datetime, float | None]] | Sequence[Point],
    *,
    title: str,
    start: datetime,
    end: datetime,
    unit: str = "",
    y_min: float | None = 0,
    y_max: float | None = None,
    max_points: int = MAX_POINTS,
    gap: timedelta | None = None,
) -> Chart:
    """An area chart between `start` and `end` of `series`: (time, value)
    pairs, downsampled here, or Points already downsampled."""
    series = list(series)
    if not series or not isinstance(series[0], Point):
        series = downsample(series, max_points, gap)
    points = [p for p in series if start <= p.t <= end]
    drawn = [p for p in points if p.v is not None]
    low = min(p.low for p in drawn) if drawn else None
    high = max(p.high for p in drawn) if drawn else None
    latest = drawn[-1].last if drawn else None

    lo = y_min if y_min is not None else (low if low is not None else 0.0)
    top = high if high is not None else lo
    hi = y_max if y_max is not None else lo + nice_ceiling(top - lo)
    if high is not None and high > hi:  # a value above a fixed ceiling (CPU at 104%)
        hi = lo + nice_ceiling(high - lo)
    if hi <= lo:
        hi = lo + 1

    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    seconds = max((end - start).total_seconds(), 1.0)

    def x(t: datetime) -> float:
        return round(LEFT + plot_w * (t - start).total_seconds() / seconds, 1)

    def y(v: float) -> float:
        return round(TOP + plot_h * (1 - (v - lo) / (hi - lo)), 1)

    base = TOP + plot_h
    parts: list[str] = []
    # Grid and value axis: the bottom, the middle and the top, labelled.
    for value in (lo, (lo + hi) / 2, hi):
        parts.append(
            format_html(
                '<line class="chart-grid" x1="{}" y1="{}" x2="{}" y2="{}"/>'
                '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                y(value),
                WIDTH - RIGHT,
                y(value),
                LEFT - 6,
                round(y(value) + 4, 1),
                fmt(value, unit),
            )
        )
    # Time axis.
    for tick, label in time_ticks(start, end):
        parts.append(
            format_html(
                '<line class="chart-tick" x1="{}" y1="{}" x2="{}" y2="{}"/>'
                '<text class="chart-label" x="{}" y="{}" text-anchor="middle">{}</text>',
                x(tick),
                TOP,
                x(tick),
                base + 4,
                x(tick),
                HEIGHT - 8,
                label,
            )
        )

    for segment in _segments(points):
        coords = [(x(p.t), y(min(max(p.v, lo), hi))) for p in segment]
        if len(coords) == 1:
            parts.append(
                format_html('<circle class="chart-dot" cx="{}" cy="{}" r="2.5"/>', *coords[0])
            )
            continue
        line = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
        area = f"M{coords[0][0]:.1f},{base} L{line} L{coords[-1][0]:.1f},{base} Z"
        parts.append(format_html('<path class="chart-area" d="{}"/>', area))
        parts.append(format_html('<path class="chart-line" d="M{}"/>', line))

    if not drawn:
        parts.append(
            format_html(
                '<text class="chart-empty" x="{}" y="{}" text-anchor="middle">{}</text>',
                round(LEFT + plot_w / 2, 1),
                round(TOP + plot_h / 2, 1),
                "No data for this period",
            )
        )

    description = (
        f"{title}: latest {fmt(latest, unit)}, lowest {fmt(low, unit)}, highest {fmt(high, unit)}"
        if drawn
        else f"{title}: no data for this period"
    )
    svg = format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        "<title>{}</title>"
        '<rect class="chart-frame" x="{}" y="{}" width="{}" height="{}"/>{}</svg>',
        WIDTH,
        HEIGHT,
        description,
        description,
        LEFT,
        TOP,
        plot_w,
        plot_h,
        mark_safe("".join(parts)),  # noqa: S308 - every part built by format_html
    )
    return Chart(title, unit, svg, len(points), latest, low, high)


def _segments(points: Sequence[Point]) -> list[list[Point]]:
    """Runs of points the line joins: broken at None values and at gaps."""
    runs: list[list[Point]] = []
    current: list[Point] = []
    for p in points:
        if p.v is None:
            if current:
                runs.append(current)
            current = []
            continue
        if p.gap_before and current:
            runs.append(current)
            current = []
        current.append(p)
    if current:
        runs.append(current)
    return runs


def bar_gauge(
    value: float | None,
    limit: float,
    *,
    label: str,
    marks: Sequence[tuple[float, str]] = (),
    state: str = "normal",
) -> SafeString:
    """A horizontal bar: `value` of `limit`, with labelled marks (thresholds)."""
    w, h, bar_y, bar_h = 300, 34, 4, 18
    share = 0.0 if value is None or limit <= 0 else min(max(value / limit, 0.0), 1.0)
    parts = [
        format_html(
            '<rect class="gauge-track" x="0" y="{}" width="{}" height="{}" rx="3"/>',
            bar_y,
            w,
            bar_h,
        ),
        format_html(
            '<rect class="gauge-fill gauge-{}" x="0" y="{}" width="{}" height="{}" rx="3"/>',
            state,
            bar_y,
            round(w * share, 1),
            bar_h,
        ),
    ]
    for at, mark_label in marks:
        if limit <= 0:
            continue
        mx = round(w * min(max(at / limit, 0.0), 1.0), 1)
        parts.append(
            format_html(
                '<line class="gauge-mark" x1="{}" y1="0" x2="{}" y2="{}"/>'
                '<text class="gauge-label" x="{}" y="{}" text-anchor="middle">{}</text>',
                mx,
                mx,
                bar_y + bar_h + 2,
                mx,
                h - 1,
                mark_label,
            )
        )
    return format_html(
        '<svg class="gauge" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        "<title>{}</title>{}</svg>",
        w,
        h,
        label,
        label,
        format_html_join("", "{}", ((p,) for p in parts)),
    )

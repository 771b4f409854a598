"""Server-rendered SVG charts: downsampling, gaps, axes, escaping (no database)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from monitoring import charts

END = datetime(2026, 11, 20, 12, 7, tzinfo=UTC)


def every_five_minutes(days: float, value=lambda i: float(i % 50)):
    count = int(days * 24 * 12)
    return [(END - timedelta(minutes=5 * (count - 1 - i)), value(i)) for i in range(count)]


def line_paths(svg: str) -> list[str]:
    return re.findall(r'<path class="chart-line" d="M([^"]*)"', svg)


def test_thirty_days_of_samples_are_averaged_down_to_the_bound():
    series = every_five_minutes(30)
    assert len(series) == 8640
    points = charts.downsample(series, max_points=200)
    assert 190 <= len(points) <= 200
    assert all(p.v is not None and 0 <= p.v <= 49 for p in points)
    assert not any(p.gap_before for p in points)


def test_every_chart_path_stays_within_the_bound():
    chart = charts.line_chart(
        every_five_minutes(30), title="CPU", start=END - timedelta(days=30), end=END
    )
    [path] = line_paths(chart.svg)
    assert len(path.split()) <= charts.MAX_POINTS


def test_the_summary_of_a_downsampled_chart_keeps_the_true_peak_and_latest_value():
    series = every_five_minutes(30, lambda i: 99.0 if i == 4000 else float(i % 7))
    chart = charts.line_chart(series, title="Queue", start=END - timedelta(days=30), end=END)
    assert chart.high == 99.0 and chart.low == 0.0
    assert chart.latest == series[-1][1]
    assert ">100</text>" in chart.svg  # the axis reaches the peak, not its average


def test_a_bucket_is_the_average_of_its_samples():
    series = [(END + timedelta(minutes=i), float(i)) for i in range(10)]
    points = charts.downsample(series, max_points=5)
    assert [p.v for p in points] == [0.5, 2.5, 4.5, 6.5, 8.5]
    assert points[0].t == END + timedelta(seconds=30)


def test_short_series_are_kept_as_they_are():
    series = every_five_minutes(0.5)
    points = charts.downsample(series)
    assert [(p.t, p.v) for p in points] == series


def test_the_columns_of_one_query_share_their_slices():
    times = [END + timedelta(minutes=i) for i in range(400)]
    a, b = charts.downsample_columns(times, [[1.0] * 400, [None] * 400], max_points=100)
    assert len(a) == len(b) <= 100
    assert [p.t for p in a] == [p.t for p in b]
    assert all(p.v == 1.0 for p in a) and all(p.v is None for p in b)


def test_missing_samples_break_the_line():
    before = every_five_minutes(1)
    after = [(t + timedelta(hours=30), v) for t, v in before]
    chart = charts.line_chart(
        before + after, title="Queue", start=END - timedelta(days=3), end=END + timedelta(hours=30)
    )
    assert len(line_paths(chart.svg)) == 2


def test_a_long_outage_breaks_a_downsampled_line_too():
    series = [(t, v) for i, (t, v) in enumerate(every_five_minutes(30)) if not 3000 < i < 3200]
    points = charts.downsample(series, max_points=200)
    assert sum(p.gap_before for p in points) == 1


def test_none_values_leave_a_hole():
    series = [(END - timedelta(minutes=5 * i), None if i == 5 else 3.0) for i in range(10, -1, -1)]
    chart = charts.line_chart(series, title="Cache", start=END - timedelta(hours=1), end=END)
    assert len(line_paths(chart.svg)) == 2


def test_an_empty_history_says_so():
    chart = charts.line_chart([], title="Memory", start=END - timedelta(hours=24), end=END)
    assert "No data for this period" in chart.svg
    assert "<path" not in chart.svg
    assert chart.latest is None and chart.summary == "no data for this period"
    # The axis still reads 0 .. 1, not 0 .. 0.
    assert ">0</text>" in chart.svg and ">1</text>" in chart.svg


def test_a_single_sample_is_drawn_as_a_dot():
    chart = charts.line_chart(
        [(END - timedelta(hours=1), 7.0)], title="Queue", start=END - timedelta(hours=24), end=END
    )
    assert chart.svg.count('<circle class="chart-dot"') == 1
    assert "<path" not in chart.svg
    assert chart.latest == chart.low == chart.high == 7.0


def test_the_axes_carry_min_and_max_labels_and_time_ticks():
    chart = charts.line_chart(
        every_five_minutes(1, lambda i: 42.0),
        title="Memory",
        unit="%",
        start=END - timedelta(hours=24),
        end=END,
        y_max=100,
    )
    assert ">0%</text>" in chart.svg and ">100%</text>" in chart.svg
    assert ">15:00</text>" in chart.svg and ">12:00</text>" in chart.svg
    assert "latest 42%" in chart.summary


def test_thirty_day_ticks_are_dates():
    ticks = charts.time_ticks(END - timedelta(days=30), END)
    assert 3 <= len(ticks) <= charts.MAX_TICKS
    assert all(t.hour == 0 and t.minute == 0 for t, _ in ticks)
    assert ticks[-1][1] == "20 Nov"


def test_a_value_above_a_fixed_ceiling_raises_the_axis():
    chart = charts.line_chart(
        [(END - timedelta(minutes=m), 130.0) for m in (10, 5, 0)],
        title="CPU",
        unit="%",
        start=END - timedelta(hours=1),
        end=END,
        y_max=100,
    )
    assert ">200%</text>" in chart.svg


def test_counts_get_a_round_ceiling():
    assert charts.nice_ceiling(0) == 1
    assert charts.nice_ceiling(3) == 5
    assert charts.nice_ceiling(17) == 20
    assert charts.nice_ceiling(0.3) == 0.5


def test_labels_are_escaped():
    chart = charts.line_chart(
        [(END, 1.0)],
        title='<script>alert("x")</script>',
        unit="<b>",
        start=END - timedelta(hours=1),
        end=END,
    )
    assert "<script>" not in chart.svg and "<b>" not in chart.svg
    assert "&lt;script&gt;" in chart.svg and "&lt;b&gt;" in chart.svg
    gauge = charts.bar_gauge(3, 10, label="<i>", marks=[(5, "<u>")])
    assert "<i>" not in gauge and "<u>" not in gauge and "&lt;u&gt;" in gauge


def test_the_gauge_fills_in_proportion_and_clamps():
    assert 'width="150.0"' in charts.bar_gauge(5, 10, label="half")
    assert 'width="300.0"' in charts.bar_gauge(25, 10, label="over")
    assert 'width="0.0"' in charts.bar_gauge(None, 10, label="unknown")
    assert 'class="gauge-fill gauge-full"' in charts.bar_gauge(10, 10, label="x", state="full")


def test_numbers_read_well():
    assert charts.fmt(None) == "–"
    assert charts.fmt(1234.0) == "1,234"
    assert charts.fmt(12.34, "s") == "12.3 s"
    assert charts.fmt(0.25, "%") == "0.25%"
    assert charts.fmt(3.0, "h") == "3 h"


def test_no_inline_style_or_script_for_the_csp():
    svg = charts.line_chart(
        every_five_minutes(1), title="x", start=END - timedelta(hours=24), end=END
    ).svg
    assert "style=" not in svg and "<script" not in svg

"""Bar charts drawn on the server: the geometry of an SVG that templates/dashboard/_chart.html
writes out, so charts need no script and nothing from a CDN. Labels arrive translated."""

import math
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 78, 16, 20, 62
TICKS = 5
GAP = 0.2  # of each category's width, left empty between groups


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    category: str
    value: Decimal


@dataclass(frozen=True)
class Tick:
    y: float
    value: Decimal


@dataclass(frozen=True)
class Chart:
    """A grouped bar chart: one group of bars per category, one bar per series."""

    id: str
    title: str
    x_label: str
    y_label: str
    categories: list[str]
    series: list[str]
    values: list[list[Decimal]]  # values[series][category]
    bars: list[Bar]
    ticks: list[Tick]
    category_x: list[float]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    plot_width: int = WIDTH - LEFT - RIGHT
    plot_height: int = HEIGHT - TOP - BOTTOM

    @property
    def baseline(self) -> int:
        return self.top + self.plot_height

    @property
    def rows(self) -> list[tuple[str, list[Decimal]]]:
        """The data table beside the chart: one row per category."""
        return [
            (category, [values[index] for values in self.values])
            for index, category in enumerate(self.categories)
        ]


def nice_step(maximum: Decimal) -> Decimal:
    """A round tick step (1, 2 or 5 × a power of ten) giving about TICKS steps up to maximum."""
    if maximum <= 0:
        return Decimal(1)
    rough = float(maximum) / TICKS
    power = 10 ** math.floor(math.log10(rough))
    for multiple in (1, 2, 5, 10):
        if rough <= multiple * power:
            return Decimal(str(multiple * power)).normalize()
    return Decimal(str(10 * power))  # pragma: no cover


def bar_chart(
    chart_id: str,
    title: str,
    x_label: str,
    y_label: str,
    categories: list[str],
    series: list[tuple[str, list[Decimal]]],
) -> Chart:
    values = [[Decimal(value or 0) for value in data] for _, data in series]
    top_value = max((value for data in values for value in data), default=Decimal(0))
    step = nice_step(top_value)
    steps = max(1, math.ceil(top_value / step)) if top_value > 0 else TICKS
    scale_top = step * steps
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_width = plot_width / max(1, len(categories))
    bar_width = group_width * (1 - GAP) / max(1, len(series))
    bars = []
    for series_index, data in enumerate(values):
        for index, value in enumerate(data):
            height = float(value / scale_top) * plot_height if value > 0 else 0.0
            bars.append(
                Bar(
                    x=round(
                        LEFT
                        + index * group_width
                        + group_width * GAP / 2
                        + series_index * bar_width,
                        1,
                    ),
                    y=round(TOP + plot_height - height, 1),
                    width=round(bar_width, 1),
                    height=round(height, 1),
                    series=series_index,
                    category=categories[index],
                    value=value,
                )
            )
    ticks = [
        Tick(y=round(TOP + plot_height - plot_height * index / steps, 1), value=step * index)
        for index in range(steps + 1)
    ]
    return Chart(
        id=chart_id,
        title=title,
        x_label=x_label,
        y_label=y_label,
        categories=categories,
        series=[name for name, _ in series],
        values=values,
        bars=bars,
        ticks=ticks,
        category_x=[
            round(LEFT + (index + 0.5) * group_width, 1) for index in range(len(categories))
        ],
    )

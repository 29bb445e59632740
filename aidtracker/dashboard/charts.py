"""Charts drawn on the server as SVG: no JavaScript, readable in print and by screen readers.

Each chart has a ``<title>`` and ``<desc>`` (what assistive technology reads), its title drawn as
text too (what a printout shows), labelled axes, and numbers written on the bars, so nothing depends
on telling colours apart. The colours are the Okabe–Ito palette, which people with any common form
of colour blindness can tell apart, and the series of a stacked chart carry patterns as well, which
survive a black-and-white printer. Styling is in presentation attributes (``fill=``, ``stroke=``),
never in ``style``, so a Content Security Policy without inline styles allows it.

Pure: no Flask. Callers pass translated texts and the functions that format numbers in the user's
language; every text is escaped here.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
PATTERNS = ("solid", "diagonal", "dots", "horizontal", "backslash", "crosshatch", "vertical")
"""One pattern per series, in palette order: colour and pattern both tell the series apart."""

WIDTH = 720
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
TEXT = "#212529"
GRID = "#dee2e6"
TITLE_SIZE = 15
LABEL_SIZE = 12
SMALL_SIZE = 11
CHAR_WIDTH = 6.6
"""Rough width of a character at LABEL_SIZE, to lay out labels without measuring fonts."""
LONGEST_LABEL = 32

Number = Decimal | int | float
Format = Callable[[Number], str]


@dataclass(frozen=True)
class Series:
    """One layer of a stacked bar chart: its label (for the legend) and its style, the index of
    its colour and pattern, so that a category looks the same on every chart and dashboard."""

    label: str
    style: int = 0


# Building SVG ----------------------------------------------------------------------------------


def _attributes(attributes: dict) -> str:
    return "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(_plain(value))}"'
        for name, value in attributes.items()
        if value is not None
    )


def _plain(value) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


def _tag(name: str, *children: str, **attributes) -> str:
    """An element; `children` are markup already, attribute values are escaped."""
    if not children:
        return f"<{name}{_attributes(attributes)}/>"
    return f"<{name}{_attributes(attributes)}>{''.join(children)}</{name}>"


def _text(content: str, **attributes) -> str:
    """A text element: its content is escaped."""
    return _tag("text", str(escape(content)), **attributes)


def _tooltip(content: str) -> str:
    return _tag("title", str(escape(content)))


def _shorten(label: str, limit: int = LONGEST_LABEL) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _svg(chart_id: str, title: str, description: str, height: float, *body: str) -> Markup:
    """The root element, with the title and description that name it for assistive technology.

    Marked safe because every text and attribute value in it went through ``escape``."""
    return Markup(  # noqa: S704  (built only from escaped pieces, see _tag and _text)
        _tag(
            "svg",
            _tag("title", str(escape(title)), id=f"{chart_id}-title"),
            _tag("desc", str(escape(description)), id=f"{chart_id}-desc"),
            _text(title, x=0, y=TITLE_SIZE + 2, font_size=TITLE_SIZE, font_weight="bold"),
            *body,
            xmlns="http://www.w3.org/2000/svg",
            viewBox=f"0 0 {WIDTH} {math.ceil(height)}",
            width=WIDTH,
            height=math.ceil(height),
            role="img",
            aria_labelledby=f"{chart_id}-title {chart_id}-desc",
            font_family=FONT,
            font_size=LABEL_SIZE,
            fill=TEXT,
            class_="chart-svg",
        )
    )


# Scales ----------------------------------------------------------------------------------------


def nice_ticks(largest: Number, count: int = 5, *, whole: bool = False) -> list[float]:
    """Round tick values from 0 to at least `largest`: 0, 20,000, 40,000… (1, 2, 2.5 or 5 × 10ⁿ);
    whole numbers only when `whole` (counts of shipments have no halves)."""
    largest = float(largest)
    if largest <= 0:
        return [0.0, 1.0]
    raw = largest / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m for m in (1, 2, 2.5, 5, 10) if raw <= m * magnitude) * magnitude
    if whole:
        step = max(1.0, float(math.ceil(step)))
    top = math.ceil(largest / step - 1e-9) * step
    return [index * step for index in range(round(top / step) + 1)]


def _luminance(colour: str) -> float:
    red, green, blue = (int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def _pattern(pattern_id: str, colour: str, kind: str) -> str:
    """A fill of `colour` with a `kind` of marks over it, dark or light for contrast."""
    ink = "#000000" if _luminance(colour) > 0.45 else "#ffffff"
    marks = {
        "solid": "",
        "diagonal": _tag("path", d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4", stroke=ink),
        "backslash": _tag("path", d="M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4", stroke=ink),
        "horizontal": _tag("path", d="M0,4 h8", stroke=ink),
        "vertical": _tag("path", d="M4,0 v8", stroke=ink),
        "crosshatch": _tag("path", d="M0,4 h8 M4,0 v8", stroke=ink),
        "dots": _tag("circle", cx=4, cy=4, r=1.6, fill=ink),
    }[kind]
    return _tag(
        "pattern",
        _tag("rect", width=8, height=8, fill=colour),
        _tag("g", marks, stroke_width=1.4, opacity=0.75) if marks else "",
        id=pattern_id,
        width=8,
        height=8,
        patternUnits="userSpaceOnUse",
    )


def series_fill(chart_id: str, index: int) -> str:
    return f"url(#{chart_id}-s{index})"


# Charts ----------------------------------------------------------------------------------------


def stacked_bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    x_label: str,
    y_label: str,
    columns: Sequence[str],
    series: Sequence[Series],
    values: Sequence[Sequence[Number]],
    format_value: Format,
    format_tick: Format,
) -> Markup:
    """Vertical bars, one per column (e.g. month), each stacked by series (e.g. category).

    ``values[column][series]``. Each bar's total is written above it, each segment has a tooltip
    with its exact figure, and a legend shows each series' colour and pattern.
    """
    left, right, top, plot_height = 76, 12, 44, 230
    plot_width = WIDTH - left - right
    totals = [sum((Decimal(str(v)) for v in column), Decimal(0)) for column in values]
    ticks = nice_ticks(max(totals, default=0))
    scale = plot_height / ticks[-1]
    bottom = top + plot_height
    parts = [
        _tag(
            "defs",
            *(
                _pattern(
                    f"{chart_id}-s{index}",
                    OKABE_ITO[one.style % len(OKABE_ITO)],
                    PATTERNS[one.style % len(PATTERNS)],
                )
                for index, one in enumerate(series)
            ),
        )
    ]
    parts += _value_grid(ticks, left, plot_width, top, bottom, scale, format_tick, vertical=True)
    slot = plot_width / max(1, len(columns))
    bar_width = min(48.0, slot * 0.66)
    for column_index, (label, column_values) in enumerate(zip(columns, values, strict=True)):
        x = left + column_index * slot + (slot - bar_width) / 2
        y = float(bottom)
        segments = []
        for index, (one, value) in enumerate(zip(series, column_values, strict=True)):
            if not value:
                continue
            height = float(value) * scale
            y -= height
            segments.append(
                _tag(
                    "rect",
                    _tooltip(f"{one.label}, {label}: {format_value(value)}"),
                    x=x,
                    y=y,
                    width=bar_width,
                    height=height,
                    fill=series_fill(chart_id, index),
                    stroke="#ffffff",
                    stroke_width=0.8,
                )
            )
        parts.append(_tag("g", *segments) if segments else "")
        if totals[column_index]:
            parts.append(
                _text(
                    format_tick(totals[column_index]),
                    x=x + bar_width / 2,
                    y=y - 4,
                    text_anchor="middle",
                    font_size=SMALL_SIZE,
                )
            )
        parts.append(
            _text(label, x=left + (column_index + 0.5) * slot, y=bottom + 16, text_anchor="middle")
        )
    parts.append(_axis_line(left, bottom, left + plot_width, bottom))
    parts.append(_axis_line(left, top, left, bottom))
    parts.append(_text(x_label, x=left + plot_width / 2, y=bottom + 36, text_anchor="middle"))
    parts.append(_y_axis_label(y_label, top + plot_height / 2))
    legend, legend_height = _legend(chart_id, series, left, bottom + 56)
    parts.append(legend)
    return _svg(chart_id, title, description, bottom + 56 + legend_height, *parts)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    value_label: str,
    category_label: str,
    bars: Sequence[tuple[str, Number]],
    format_value: Format,
    format_tick: Format,
    colour: str = OKABE_ITO[0],
    whole: bool = False,
) -> Markup:
    """Horizontal bars, one per category (longest names fit), each with its figure at its end;
    `whole` for counts (no ticks between whole numbers)."""
    longest = max((len(_shorten(label)) for label, _value in bars), default=8)
    left = min(240.0, max(90.0, longest * CHAR_WIDTH + 16))
    right, top, row = 90, 50, 26
    plot_width = WIDTH - left - right
    bottom = top + row * max(1, len(bars))
    ticks = nice_ticks(max((value for _label, value in bars), default=0), whole=whole)
    scale = plot_width / ticks[-1]
    parts = _value_grid(ticks, left, plot_width, top, bottom, scale, format_tick, vertical=False)
    parts.append(
        _text(category_label, x=left - 8, y=top - 10, text_anchor="end", font_weight="bold")
    )
    for index, (label, value) in enumerate(bars):
        y = top + index * row
        width = float(value) * scale
        parts.append(
            _tag(
                "g",
                _tooltip(f"{label}: {format_value(value)}"),
                _text(_shorten(label), x=left - 8, y=y + row / 2 + 4, text_anchor="end"),
                _tag("rect", x=left, y=y + 5, width=width, height=row - 10, fill=colour),
                _text(
                    format_value(value),
                    x=left + width + 5,
                    y=y + row / 2 + 4,
                    font_size=SMALL_SIZE,
                ),
            )
        )
    parts.append(_axis_line(left, top, left, bottom))
    parts.append(_axis_line(left, bottom, left + plot_width, bottom))
    parts.append(_text(value_label, x=left + plot_width / 2, y=bottom + 38, text_anchor="middle"))
    return _svg(chart_id, title, description, bottom + 50, *parts)


def _axis_line(x1: float, y1: float, x2: float, y2: float) -> str:
    return _tag("line", x1=x1, y1=y1, x2=x2, y2=y2, stroke=TEXT, stroke_width=1)


def _y_axis_label(label: str, middle: float) -> str:
    return _text(label, x=14, y=middle, text_anchor="middle", transform=f"rotate(-90 14 {middle})")


def _value_grid(
    ticks: list[float],
    left: float,
    plot_width: float,
    top: float,
    bottom: float,
    scale: float,
    format_tick: Format,
    *,
    vertical: bool,
) -> list[str]:
    """Grid lines and tick labels of the value axis (vertical: values go up the left side)."""
    parts = []
    for tick in ticks:
        label = format_tick(Decimal(str(tick)))
        if vertical:
            y = bottom - tick * scale
            parts.append(_tag("line", x1=left, y1=y, x2=left + plot_width, y2=y, stroke=GRID))
            parts.append(_text(label, x=left - 6, y=y + 4, text_anchor="end", font_size=SMALL_SIZE))
        else:
            x = left + tick * scale
            parts.append(_tag("line", x1=x, y1=bottom, x2=x, y2=top, stroke=GRID))
            parts.append(
                _text(label, x=x, y=bottom + 16, text_anchor="middle", font_size=SMALL_SIZE)
            )
    return parts


def _legend(chart_id: str, series: Sequence[Series], left: float, top: float) -> tuple[str, float]:
    """Swatches with the series' colour and pattern, and their labels, wrapped into rows."""
    items, x, y = [], left, top
    for index, one in enumerate(series):
        width = 22 + len(one.label) * CHAR_WIDTH + 18
        if x + width > WIDTH and x > left:
            x, y = left, y + 22
        items.append(
            _tag(
                "g",
                _tag(
                    "rect",
                    x=x,
                    y=y,
                    width=14,
                    height=14,
                    fill=series_fill(chart_id, index),
                    stroke=TEXT,
                    stroke_width=0.5,
                ),
                _text(one.label, x=x + 20, y=y + 11),
            )
        )
        x += width
    height = (y - top) + 22 if series else 0
    return _tag("g", *items) if items else "", height

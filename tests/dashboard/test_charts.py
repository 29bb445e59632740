"""The SVG charts on their own: well-formed, labelled, escaped, readable without colour."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from aidtracker.dashboard.charts import (
    OKABE_ITO,
    Series,
    bar_chart,
    nice_ticks,
    stacked_bar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    """Our own output, parsed strictly: anything not well-formed raises."""
    return ET.fromstring(markup)  # noqa: S314  (the application's output, not untrusted input)


def plain(value) -> str:
    return f"{Decimal(value):,.2f}"


def whole(value) -> str:
    return f"{Decimal(value):,.0f}"


def stacked(**overrides):
    arguments = {
        "chart_id": "month",
        "title": "Value shipped by month, 2023",
        "description": "Stacked by category.",
        "x_label": "Month",
        "y_label": "Value (PLN)",
        "columns": ["Jan", "Feb", "Mar"],
        "series": [Series("Food", 0), Series("Medical & <first aid>", 2)],
        "values": [
            [Decimal("100.00"), Decimal(0)],
            [Decimal(0), Decimal(0)],
            [Decimal("250.50"), Decimal("1000")],
        ],
        "format_value": plain,
        "format_tick": whole,
    }
    arguments.update(overrides)
    return parse(str(stacked_bar_chart(**arguments)))


def texts(svg) -> list[str]:
    return ["".join(element.itertext()) for element in svg.iter(f"{SVG}text")]


@pytest.mark.parametrize(
    ("largest", "whole_numbers", "ticks"),
    [
        (0, False, [0, 1]),
        (177_870, False, [0, 50_000, 100_000, 150_000, 200_000]),
        (1_000, False, [0, 200, 400, 600, 800, 1_000]),
        (2, True, [0, 1, 2]),
        (7, True, [0, 2, 4, 6, 8]),
        (Decimal("0.3"), False, [0, 0.1, 0.2, 0.3]),
    ],
)
def test_ticks_are_round_numbers_from_zero_past_the_largest(largest, whole_numbers, ticks):
    assert nice_ticks(largest, whole=whole_numbers) == pytest.approx(ticks)


def test_a_stacked_chart_names_itself_its_axes_and_its_series():
    svg = stacked()
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "month-title month-desc"
    assert svg.find(f"{SVG}title").text == "Value shipped by month, 2023"
    assert svg.find(f"{SVG}desc").text == "Stacked by category."
    shown = texts(svg)
    assert shown[0] == "Value shipped by month, 2023"  # printed too, not only announced
    assert {"Month", "Value (PLN)", "Jan", "Feb", "Mar", "Food", "Medical & <first aid>"} <= set(
        shown
    )
    assert {"100", "1,250"} <= set(shown)  # each bar's total written above it
    assert "0" in shown


def test_each_segment_tells_its_figure_and_series_apart_by_pattern_as_well_as_colour():
    svg = stacked()
    patterns = svg.findall(f"{SVG}defs/{SVG}pattern")
    assert [pattern.get("id") for pattern in patterns] == ["month-s0", "month-s1"]
    assert patterns[0].find(f"{SVG}rect").get("fill") == OKABE_ITO[0]
    assert patterns[1].find(f"{SVG}rect").get("fill") == OKABE_ITO[2]  # its own, not the 2nd
    assert len(list(patterns[1])) == 2  # a colour and marks over it
    segments = [rect for rect in svg.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]
    assert [rect.find(f"{SVG}title").text for rect in segments] == [
        "Food, Jan: 100.00",
        "Food, Mar: 250.50",
        "Medical & <first aid>, Mar: 1,000.00",
    ]
    assert {rect.get("fill") for rect in segments} == {"url(#month-s0)", "url(#month-s1)"}


def test_segments_stack_upwards_to_a_height_proportional_to_their_value():
    svg = stacked()
    segments = [rect for rect in svg.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]
    food, medical = segments[1], segments[2]
    assert float(food.get("y")) == pytest.approx(
        float(medical.get("y")) + float(medical.get("height"))
    )
    ratio = float(medical.get("height")) / float(food.get("height"))
    assert ratio == pytest.approx(1000 / 250.5, rel=0.01)


def test_no_inline_style_and_no_script_so_a_strict_csp_allows_it():
    markup = str(stacked_bar_chart(**{**STACKED_ARGUMENTS}))
    assert "style=" not in markup
    assert "<script" not in markup
    assert "on" + "load=" not in markup


STACKED_ARGUMENTS = {
    "chart_id": "c",
    "title": "T",
    "description": "D",
    "x_label": "X",
    "y_label": "Y",
    "columns": ["A"],
    "series": [Series("A")],
    "values": [[Decimal(1)]],
    "format_value": plain,
    "format_tick": whole,
}


def test_text_is_escaped_and_the_svg_stays_well_formed():
    hostile = '</text><script>alert("x")</script>&amp; "quoted" \'single\''
    markup = str(
        bar_chart(
            chart_id="donor",
            title=hostile,
            description=hostile,
            value_label=hostile,
            category_label=hostile,
            bars=[(hostile, Decimal("12.5"))],
            format_value=plain,
            format_tick=whole,
        )
    )
    assert "<script>" not in markup
    svg = parse(markup)
    assert svg.find(f"{SVG}title").text == hostile
    assert hostile in texts(svg)


def test_long_names_are_shortened_on_the_chart_but_told_in_full_in_the_tooltip():
    name = "Lublin Residents' Fundraiser for Winter Relief in Kryvyi Rih 2023"
    svg = parse(
        str(
            bar_chart(
                chart_id="donor",
                title="Value by donor",
                description="By donor.",
                value_label="Value (PLN)",
                category_label="Donor",
                bars=[(name, Decimal(5000)), ("Protection Civile", Decimal(2500))],
                format_value=whole,
                format_tick=whole,
            )
        )
    )
    shown = texts(svg)
    assert name not in shown
    assert any(text.endswith("…") and name.startswith(text[:-1]) for text in shown)
    assert f"{name}: 5,000" in [title.text for title in svg.iter(f"{SVG}title")]
    assert {"Value (PLN)", "Donor", "Protection Civile", "5,000", "2,500"} <= set(shown)
    bars = list(svg.iter(f"{SVG}rect"))
    assert float(bars[0].get("width")) == pytest.approx(2 * float(bars[1].get("width")))

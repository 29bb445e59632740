"""What a unit's label says, and the link its QR code opens.

A label travels on the outside of a pallet or box, so it says what anybody handling it needs
(reference, ``n/N``, destination, contents, weight, "Humanitarian aid, not for sale" in English
and the destination's language) and its QR code opens the unit on the public tracking page,
which shows where the unit is going and how the shipment stands, never what it holds.
"""

import io
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

from aidtracker.packing.models import PackingUnit, UnitKind
from aidtracker.packing.service import children_of, held_in, label_of, unit_weight
from aidtracker.reports.packing_list import packing_list_languages, statement
from aidtracker.shipments.models import Shipment
from aidtracker.tracking.service import qr_code, tracking_url


def unit_tracking_url(shipment: Shipment, unit: PackingUnit) -> str | None:
    """The public page of one unit: the shipment's tracking link (with its rules for the site's
    address) followed by ``/units/<n>``; None once the link was revoked."""
    url = tracking_url(shipment)
    return None if url is None else f"{url}/units/{unit.number}"


def qr_svg_inline(url: str) -> Markup:
    """The QR code as an SVG element to place in a page: sized by the stylesheet, no style
    attributes (the site's CSP), quiet zone of two modules."""
    buffer = io.BytesIO()
    qr_code(url).save(
        buffer,
        kind="svg",
        border=2,
        xmldecl=False,
        svgns=True,
        svgclass=None,
        lineclass=None,
        omitsize=True,
        nl=False,
    )
    svg = buffer.getvalue().decode("ascii")
    # segno's own markup: paths of modules, nothing taken from users (the URL is not in it).
    return Markup(  # noqa: S704
        svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
    )


@dataclass(frozen=True)
class Label:
    unit: PackingUnit
    number: str
    """``n/N``"""
    statement: str
    contents: list[tuple[Decimal, str, str]]
    """(quantity, unit of measure, item name), the units on it included."""
    units_on_it: dict[UnitKind, int]
    weight_kg: Decimal | None
    url: str | None
    qr: Markup | None


def labels_for(
    shipment: Shipment, every_unit: list[PackingUnit], selected: list[PackingUnit]
) -> list[Label]:
    """The labels of the `selected` units among `every_unit` of `shipment` (with contents)."""
    children = children_of(every_unit)
    text = packing_list_languages(shipment)
    humanitarian = statement(text)
    labels = []
    for unit in selected:
        url = unit_tracking_url(shipment, unit)
        on_it = Counter(child.kind for child in _below(unit, children))
        labels.append(
            Label(
                unit=unit,
                number=label_of(unit, len(every_unit)),
                statement=humanitarian,
                contents=[
                    (quantity, text.label(line.unit.label), text.item_name(line.item))
                    for line, quantity in held_in(unit, children).items()
                ],
                units_on_it={kind: on_it[kind] for kind in UnitKind if on_it[kind]},
                weight_kg=unit_weight(unit, children),
                url=url,
                qr=qr_svg_inline(url) if url else None,
            )
        )
    return labels


def _below(unit: PackingUnit, children: dict) -> list[PackingUnit]:
    found, stack = [], list(children.get(unit.id, []))
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current.id, []))
    return found

"""What a bookkeeping report covers, and the lines it reads, streamed from the database.

Every report over many shipments (register, donor statement, period summary) starts here: the same
period rule, the same filters and the same scoping, so their totals agree with one another.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

from aidtracker.auth.models import User
from aidtracker.auth.permissions import visible_lines_clause
from aidtracker.catalogue.models import CatalogueItem
from aidtracker.extensions import db
from aidtracker.i18n import current_language
from aidtracker.parties.models import City, Organisation
from aidtracker.shipments.models import Shipment, ShipmentLine, ShipmentStatus

DISPATCHED_OR_LATER = (
    ShipmentStatus.DISPATCHED,
    ShipmentStatus.DELIVERED,
    ShipmentStatus.RECEIVED,
    ShipmentStatus.RECEIVED_WITH_DISCREPANCY,
    ShipmentStatus.RETURNED,
    ShipmentStatus.LOST,
)
STREAM_BATCH = 2_000


@dataclass(frozen=True)
class ReportParameters:
    """The period, reporting currency and filters of an export; what the Parameters sheet states.

    A report lists the lines of shipments dispatched in the period (dispatched or later, never
    cancelled), by dispatch date.
    """

    date_from: date
    date_to: date
    currency: str
    donor_id: int | None = None
    destination_city_id: int | None = None
    category: str = ""
    status: str = ""
    hxl: bool = False

    def problems(self) -> dict[str, str]:
        """What makes the parameters unusable, by field."""
        problems = {}
        if self.date_to < self.date_from:
            problems["date_to"] = _("The end of the period is before its start.")
        if self.status and self.status not in {status.value for status in DISPATCHED_OR_LATER}:
            problems["status"] = _("Reports list shipments that were dispatched.")
        return problems


Origin = aliased(City, name="origin")
Destination = aliased(City, name="destination")
Sender = aliased(Organisation, name="sender")
Recipient = aliased(Organisation, name="recipient")
Carrier = aliased(Organisation, name="carrier")
Donor = aliased(Organisation, name="donor")


def valuation_date():
    """The day a line is valued on: the dispatch date, else the planned departure."""
    return func.coalesce(Shipment.dispatch_date, Shipment.planned_departure)


def _conditions(user: User, parameters: ReportParameters) -> list:
    conditions = [
        visible_lines_clause(user),  # a line one may see belongs to a shipment one may see
        Shipment.status.in_(DISPATCHED_OR_LATER),
        Shipment.dispatch_date >= parameters.date_from,
        Shipment.dispatch_date <= parameters.date_to,
    ]
    if parameters.donor_id:
        conditions.append(ShipmentLine.donor_id == parameters.donor_id)
    if parameters.destination_city_id:
        conditions.append(Shipment.destination_city_id == parameters.destination_city_id)
    if parameters.category:
        conditions.append(CatalogueItem.category == parameters.category)
    if parameters.status:
        conditions.append(Shipment.status == parameters.status)
    return conditions


def _joined(statement: Select) -> Select:
    return (
        statement.select_from(ShipmentLine)
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .join(CatalogueItem, CatalogueItem.id == ShipmentLine.catalogue_item_id)
    )


def line_rows(user: User, parameters: ReportParameters) -> Iterator:
    """The report's lines with everything a register row shows, in dispatch order, streamed in
    batches (a server-side cursor on PostgreSQL), so memory stays flat however many there are.
    Plain rows, not ORM objects: it runs on the session's connection, without the ORM's
    per-row bookkeeping."""
    yield from db.session.connection().execute(
        line_statement(user, parameters), execution_options={"yield_per": STREAM_BATCH}
    )


def line_statement(user: User, parameters: ReportParameters) -> Select:
    """The query behind ``line_rows``: one statement, every column joined in."""
    return (
        _joined(
            select(
                Shipment.id.label("shipment_id"),
                Shipment.reference,
                Shipment.dispatch_date,
                valuation_date().label("valued_on"),
                Shipment.status,
                Shipment.customs_status,
                Shipment.transport_mode,
                Shipment.cmr_number,
                Shipment.customs_declaration_number,
                Shipment.delivery_date,
                Origin.name.label("origin"),
                Origin.country.label("origin_country"),
                Destination.name.label("destination"),
                Destination.country.label("destination_country"),
                Sender.name.label("sender"),
                Recipient.name.label("recipient"),
                Carrier.name.label("carrier"),
                ShipmentLine.position,
                CatalogueItem.name_in_sql(current_language()).label("item"),
                CatalogueItem.hs_code,
                CatalogueItem.category,
                CatalogueItem.dac_sector,
                ShipmentLine.quantity,
                ShipmentLine.unit,
                ShipmentLine.unit_value,
                ShipmentLine.currency,
                ShipmentLine.donor_id,
                Donor.name.label("donor"),
                ShipmentLine.funding,
                ShipmentLine.fund_id,
                ShipmentLine.lot,
                ShipmentLine.expiry,
                ShipmentLine.gross_weight_kg,
                ShipmentLine.received_quantity,
                ShipmentLine.condition,
            )
        )
        .join(Origin, Origin.id == Shipment.origin_city_id)
        .join(Destination, Destination.id == Shipment.destination_city_id)
        .join(Sender, Sender.id == Shipment.sender_id)
        .outerjoin(Recipient, Recipient.id == Shipment.recipient_id)
        .outerjoin(Carrier, Carrier.id == Shipment.carrier_id)
        .outerjoin(Donor, Donor.id == ShipmentLine.donor_id)
        .where(*_conditions(user, parameters))
        .order_by(Shipment.dispatch_date, Shipment.reference, ShipmentLine.position)
    )


def valuation_needs(user: User, parameters: ReportParameters) -> list[tuple[str, date]]:
    """Each (currency, day) the report converts from: one small query, checked before any file
    is written so that a missing rate stops the export early."""
    statement = (
        _joined(select(ShipmentLine.currency, valuation_date()))
        .where(*_conditions(user, parameters))
        .distinct()
    )
    return [(currency, day) for currency, day in db.session.execute(statement)]


def count_lines(user: User, parameters: ReportParameters) -> int:
    """How many lines the report will hold: what progress is measured against."""
    statement = _joined(select(func.count(ShipmentLine.id))).where(*_conditions(user, parameters))
    return db.session.scalar(statement) or 0

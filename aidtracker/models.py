"""Every model of the application, imported in one place.

Alembic's autogenerate and ``create_all`` see only the tables whose classes were imported; the
factory imports this module so that the metadata is always complete.
"""

from aidtracker.api.models import ApiToken
from aidtracker.audit.models import AuditEntry
from aidtracker.auth.models import SecurityEvent, User
from aidtracker.catalogue.models import CatalogueItem
from aidtracker.funds.models import CashDonation, Fund
from aidtracker.money.models import ExchangeRate
from aidtracker.notifications.models import OutboxMessage
from aidtracker.packing.models import PackingUnit, UnitContent
from aidtracker.parties.models import City, Organisation, Partnership, PartnershipStep
from aidtracker.reports.models import ReportExport
from aidtracker.shipments.models import Document, Shipment, ShipmentLine, StatusEvent

__all__ = [
    "ApiToken",
    "AuditEntry",
    "CashDonation",
    "CatalogueItem",
    "City",
    "Document",
    "ExchangeRate",
    "Fund",
    "Organisation",
    "OutboxMessage",
    "PackingUnit",
    "Partnership",
    "PartnershipStep",
    "ReportExport",
    "SecurityEvent",
    "Shipment",
    "ShipmentLine",
    "StatusEvent",
    "UnitContent",
    "User",
]

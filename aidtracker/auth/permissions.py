"""Who may do what: the one place that says it.

Two kinds of rule live here:

- *Role permissions*: what a role may do at all (DESIGN.md's table "Roles"). Every view names the
  permission it needs with ``@requires(...)`` or declares itself ``@public``; a view that does
  neither is refused to everybody, so forgetting is never an open door.
- *Shipment scope*: which shipments, lines and values a user sees. Partners see the shipments their
  organisation is party to (sender, recipient, carrier, or donor of a line); a donor-only partner
  sees its own lines; a carrier sees quantities and weights but no values. Pages, exports and the
  API all go through ``visible_shipments_clause`` and ``ShipmentAccess``, and a shipment outside the
  scope is simply not found (404, never 403).
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, exists, or_, select, true

from aidtracker.auth.models import Role, User
from aidtracker.funds.models import CashDonation, Fund
from aidtracker.shipments.models import Shipment, ShipmentLine


class Permission(StrEnum):
    OWN_ACCOUNT = "own_account"
    """Log out, change one's own password and settings: every logged-in user."""
    VIEW_SHIPMENTS = "view_shipments"
    """See shipments: all of them, or for partners those of their organisation."""
    EDIT_SHIPMENTS = "edit_shipments"
    """Create and edit shipments, their lines and documents, and move them through the lifecycle."""
    CONFIRM_RECEIPT = "confirm_receipt"
    """Confirm what arrived; for partners only as the recipient organisation."""
    VIEW_REFERENCE_DATA = "view_reference_data"
    """See the catalogue, organisations, cities and partnerships."""
    MANAGE_REFERENCE_DATA = "manage_reference_data"
    """Add and change catalogue items, organisations, cities and partnerships."""
    VIEW_RATES = "view_rates"
    MANAGE_RATES = "manage_rates"
    EXPORT_REPORTS = "export_reports"
    """Bookkeeping exports over many shipments (register, donor statement, period summary)."""
    EXPORT_PACKING_LIST = "export_packing_list"
    """The packing list of one shipment the user may see."""
    MANAGE_USERS = "manage_users"
    """Create users, change roles, deactivate, reset passwords, read the security log."""
    READ_OUTBOX = "read_outbox"
    """Read the e-mail notifications the application wrote, sent or not (administrators)."""
    READ_AUDIT_TRAIL = "read_audit_trail"
    """Read and export the audit trail of every change (administrators)."""
    VIEW_FUNDS = "view_funds"
    """See funds and cash donations: all of them, or for partners their organisation's."""
    RECORD_DONATIONS = "record_donations"
    """Open and close funds, record cash donations and move them from pledged to paid."""
    ALLOW_OVERDRAFT = "allow_overdraft"
    """Let a fund's purchases take it below zero, with a recorded reason (accountants)."""


_EVERYONE = {
    Permission.OWN_ACCOUNT,
    Permission.VIEW_SHIPMENTS,
    Permission.EXPORT_PACKING_LIST,
    Permission.VIEW_FUNDS,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.STAFF: frozenset(
        _EVERYONE
        | {
            Permission.EDIT_SHIPMENTS,
            Permission.CONFIRM_RECEIPT,
            Permission.VIEW_REFERENCE_DATA,
            Permission.MANAGE_REFERENCE_DATA,
            Permission.VIEW_RATES,
            Permission.EXPORT_REPORTS,
            Permission.RECORD_DONATIONS,
        }
    ),
    Role.ACCOUNTANT: frozenset(
        _EVERYONE
        | {
            Permission.VIEW_REFERENCE_DATA,
            Permission.VIEW_RATES,
            Permission.MANAGE_RATES,
            Permission.EXPORT_REPORTS,
            Permission.RECORD_DONATIONS,
            Permission.ALLOW_OVERDRAFT,
        }
    ),
    Role.PARTNER: frozenset(_EVERYONE | {Permission.CONFIRM_RECEIPT}),
}


def has_permission(user, permission: Permission) -> bool:
    """True when `user` is logged in, active, and their role grants `permission`."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return permission in ROLE_PERMISSIONS[user.role]


def requires(permission: Permission) -> Callable:
    """Declare the permission a view needs; ``aidtracker.auth.access`` enforces it."""

    def mark(view):
        view.required_permission = permission
        return view

    return mark


def sees_every_shipment(user: User) -> bool:
    """City roles work with every shipment; partners only with their organisation's."""
    return user.role is not Role.PARTNER


def visible_shipments_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause selecting the shipments `user` may see; add it to every shipment query."""
    if sees_every_shipment(user):
        return true()
    organisation_id = user.organisation_id
    return or_(
        Shipment.sender_id == organisation_id,
        Shipment.recipient_id == organisation_id,
        Shipment.carrier_id == organisation_id,
        exists(
            select(ShipmentLine.id).where(
                ShipmentLine.shipment_id == Shipment.id, ShipmentLine.donor_id == organisation_id
            )
        ),
    )


def visible_funds_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause on Fund: every fund for city roles; for a partner, the funds its
    organisation owns or gave money to."""
    if sees_every_shipment(user):
        return true()
    organisation_id = user.organisation_id
    return or_(
        Fund.owner_id == organisation_id,
        exists(
            select(CashDonation.id).where(
                CashDonation.fund_id == Fund.id, CashDonation.donor_id == organisation_id
            )
        ),
    )


def visible_donations_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause on CashDonation: all for city roles; for a partner, its own gifts and
    those made to the funds it owns."""
    if sees_every_shipment(user):
        return true()
    organisation_id = user.organisation_id
    return or_(
        CashDonation.donor_id == organisation_id,
        CashDonation.fund_id.in_(select(Fund.id).where(Fund.owner_id == organisation_id)),
    )


def _lines_where_partner_is(user: User, *parts) -> ColumnElement[bool]:
    """Every line for city roles; for a partner, the lines where its organisation fills one of
    `parts` (columns of ShipmentLine joined to its Shipment)."""
    if sees_every_shipment(user):
        return true()
    return or_(*(part == user.organisation_id for part in parts))


def visible_lines_clause(user: User) -> ColumnElement[bool]:
    """A WHERE clause on ShipmentLine (joined to its Shipment) for the lines `user` may see."""
    return _lines_where_partner_is(
        user,
        Shipment.sender_id,
        Shipment.recipient_id,
        Shipment.carrier_id,
        ShipmentLine.donor_id,
    )


def valued_lines_clause(user: User) -> ColumnElement[bool]:
    """The lines whose value `user` may see (``ShipmentAccess.sees_value_of`` as a WHERE
    clause): a partner those of shipments it sends or receives, and those it gave; never a mere
    carrier."""
    return _lines_where_partner_is(
        user, Shipment.sender_id, Shipment.recipient_id, ShipmentLine.donor_id
    )


@dataclass(frozen=True)
class ShipmentAccess:
    """What one user may see and do with one shipment they can see."""

    user: User
    shipment: Shipment

    @property
    def _organisation_id(self) -> int | None:
        return self.user.organisation_id

    @property
    def parts(self) -> frozenset[str]:
        """The parts the user's organisation plays: sender, recipient, carrier, donor."""
        if sees_every_shipment(self.user):
            return frozenset()
        organisation_id = self._organisation_id
        parts = {
            part
            for part, party_id in (
                ("sender", self.shipment.sender_id),
                ("recipient", self.shipment.recipient_id),
                ("carrier", self.shipment.carrier_id),
            )
            if party_id == organisation_id
        }
        if any(line.donor_id == organisation_id for line in self.shipment.lines):
            parts.add("donor")
        return frozenset(parts)

    @property
    def sees_all_lines(self) -> bool:
        """Donor-only partners see only the lines they gave."""
        return sees_every_shipment(self.user) or bool(self.parts - {"donor"})

    @property
    def lines(self) -> list[ShipmentLine]:
        if self.sees_all_lines:
            return list(self.shipment.lines)
        return [line for line in self.shipment.lines if line.donor_id == self._organisation_id]

    def sees_value_of(self, line: ShipmentLine) -> bool:
        """Values: city roles, sender, recipient, a donor's own lines; never a mere carrier."""
        if sees_every_shipment(self.user) or self.parts & {"sender", "recipient"}:
            return True
        return line.donor_id == self._organisation_id

    @property
    def sees_any_value(self) -> bool:
        return any(self.sees_value_of(line) for line in self.lines)

    @property
    def sees_documents(self) -> bool:
        """Documents carry values (pro-forma invoice, deed of donation): city roles, sender and
        recipient see them; a mere carrier or a donor of some lines does not."""
        return sees_every_shipment(self.user) or bool(self.parts & {"sender", "recipient"})

    @property
    def may_edit(self) -> bool:
        return has_permission(self.user, Permission.EDIT_SHIPMENTS)

    @property
    def may_confirm_receipt(self) -> bool:
        """City staff and admins, or a partner of the recipient organisation."""
        if not has_permission(self.user, Permission.CONFIRM_RECEIPT):
            return False
        return sees_every_shipment(self.user) or "recipient" in self.parts

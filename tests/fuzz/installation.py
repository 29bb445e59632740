"""The installation every fuzz test posts to: the demo, a few records the forms need besides,
and a browser session per role; with snapshots to put it back as it was between cases."""

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, insert, select
from werkzeug.security import generate_password_hash

from aidtracker.api.tokens import issue_token
from aidtracker.auth.models import Role, User
from aidtracker.auth.service import create_user, deactivate_user
from aidtracker.catalogue.models import CatalogueItem
from aidtracker.catalogue.service import deactivate_item
from aidtracker.demo import load_demo
from aidtracker.extensions import db
from aidtracker.funds.models import CashDonation, DonationStatus, Fund
from aidtracker.models import City, ExchangeRate, Organisation, Partnership, Shipment, ShipmentLine
from aidtracker.packing.models import PackingUnit, UnitContent, UnitKind
from aidtracker.shipments import status
from aidtracker.shipments.documents import attach_document
from aidtracker.shipments.entry import LineEntry, ShipmentEntry, create_shipment
from aidtracker.shipments.models import DocumentKind, Funding
from tests.conftest import DEMO_PASSWORD, fresh_app, log_in
from tests.fuzz.consistency import inconsistencies, read_contents

EMAILS = {
    Role.STAFF: "staff@lublin.example",
    Role.ACCOUNTANT: "accountant@lublin.example",
    Role.ADMIN: "admin@lublin.example",
    Role.PARTNER: "partner@kryvyirih.example",
}
DRAFT = "LUB-KRR-2023-0003"
DISPATCHED = "LUB-KRR-2023-0001"  # under customs inspection
DELIVERED = "LUB-KRR-2023-0002"  # dispatched in the demo; delivered by prepare()
RECEIVED = "LUB-LUT-2023-0001"  # distribution report not submitted yet
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass(frozen=True)
class State:
    """What a form may change: every row, and every file under the upload folder."""

    contents: dict
    files: dict[Path, bytes]


@dataclass
class Installation:
    app: object
    clients: dict
    """A logged-in test client per role."""
    baseline: State | None
    """As it was after prepare(): where every form's test starts."""
    ids: dict
    """The URL arguments and field values prepare() chose, by name."""
    pages: dict = field(default_factory=dict)

    @property
    def upload_folder(self) -> Path:
        return Path(self.app.config["UPLOAD_FOLDER"])

    def state(self) -> State:
        with self.app.app_context():
            contents = read_contents()
        paths = [path for path in self.upload_folder.rglob("*") if path.is_file()]
        return State(contents, {path: path.read_bytes() for path in paths})

    def restore(self, state: State, now: dict | None = None) -> None:
        """Put every row and file back as they were in `state`; given the contents `now`, only
        the tables that differ (and those that refer to them) are written again."""
        tables = db.metadata.sorted_tables
        if now is not None:
            tables = _with_referrers({name for name in now if now[name] != state.contents[name]})
        with self.app.app_context(), db.engine.begin() as connection:
            for table in reversed(tables):
                connection.execute(delete(table))
            for table in tables:
                if rows := state.contents[table.name]:
                    connection.execute(insert(table), rows)
        for path in self.upload_folder.rglob("*"):
            if path.is_file() and path not in state.files:
                path.unlink()
        for path, content in state.files.items():
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)

    def page(self, client, address: str):
        """The page at `address` as `client` sees it after a restore: read once, then kept."""
        key = (id(client), address)
        if key not in self.pages:
            self.pages[key] = client.get(address)
        return self.pages[key]


def _with_referrers(names: set[str]) -> list:
    """The tables named and every table whose foreign keys lead to them, in dependency order:
    emptying those breaks no reference."""
    chosen = set(names)
    for table in db.metadata.sorted_tables:  # parents come first, so one pass suffices
        if any(key.column.table.name in chosen for key in table.foreign_keys):
            chosen.add(table.name)
    return [table for table in db.metadata.sorted_tables if table.name in chosen]


def _pack(shipment: Shipment) -> int:
    """Pallet 1 carrying box 2, which holds part of the first line; returns the box's content id.
    Written as rows: a dispatched shipment can no longer be packed through the pages."""
    pallet = PackingUnit(shipment=shipment, number=1, kind=UnitKind.PALLET)
    box = PackingUnit(shipment=shipment, number=2, kind=UnitKind.BOX, parent=pallet)
    line = shipment.lines[0]
    content = UnitContent(unit=box, line=line, quantity=line.quantity / 2)
    db.session.add_all([pallet, box, content])
    db.session.flush()
    return content.id


def prepare() -> dict:
    """Records some forms need besides the demo's; returns the ids of the URL arguments."""
    one = db.session.scalar

    def user(email):
        return one(select(User).filter_by(email=email))

    staff, admin = user("staff@lublin.example"), user("admin@lublin.example")
    delivered = one(select(Shipment).filter_by(reference=DELIVERED))
    status.clear_customs(delivered, by=staff)
    status.deliver(delivered, by=staff)
    used = select(ShipmentLine.catalogue_item_id)
    unused = db.session.scalars(
        select(CatalogueItem).where(CatalogueItem.id.not_in(used)).order_by(CatalogueItem.id)
    ).all()
    deactivate_item(item=unused[1])
    with_papers = create_shipment(
        ShipmentEntry(
            origin_city=one(select(City).filter_by(code="LUB")),
            destination_city=one(select(City).filter_by(code="LUT")),
            sender=one(select(Organisation).filter_by(name="City of Lublin")),
            lines=[
                LineEntry(item=unused[2], quantity=Decimal(5), donor=None, funding=Funding.IN_KIND)
            ],
        ),
        by=staff,
    )
    document = attach_document(
        with_papers, kind=DocumentKind.PHOTO, upload=io.BytesIO(PDF), filename="scan.pdf", by=staff
    )
    token, _secret = issue_token(staff, name="Warehouse", days=90)
    leaver = create_user(
        email="leaver@lublin.example",
        password="a long enough password 2024",
        role=Role.STAFF,
        name="Left Already",
        by=admin,
    )
    deactivate_user(user=leaver, by=admin)
    partnership = one(select(Partnership).order_by(Partnership.id))
    # Logging in checks the password hash: a cheap one saves a tenth of a second per login.
    for each in db.session.scalars(select(User)):
        each.password_hash = generate_password_hash(DEMO_PASSWORD, "pbkdf2:sha256:1000")
    ids = {
        "reference": DRAFT,
        "draft with papers": with_papers.reference,
        "item_id": unused[0].id,
        "inactive": unused[1].id,
        "city_id": one(select(City.id).filter_by(code="LUT")),
        "city KRR": one(select(City.id).filter_by(code="KRR")),
        "city LUT": one(select(City.id).filter_by(code="LUT")),
        "organisation_id": one(select(Organisation.id).filter_by(name="Protection Civile")),
        "partnership_id": partnership.id,
        "step_id": partnership.steps[0].id,
        "rate_id": one(select(ExchangeRate.id).order_by(ExchangeRate.id)),
        "user_id": user("partner@lutsk.example").id,
        "inactive user": leaver.id,
        "token_id": token.id,
        "document_id": document.id,
        "fund_id": one(select(Fund.id)),
        "pledge": one(select(CashDonation.id).filter_by(status=DonationStatus.PLEDGED)),
        "content_id": _pack(one(select(Shipment).filter_by(reference=DRAFT))),
    }
    _pack(delivered)
    db.session.commit()
    return ids


@contextmanager
def installed(database_url: str, tmp_path: Path) -> Iterator[Installation]:
    """The installation on an empty database at `database_url`, checked consistent."""
    with fresh_app(database_url, tmp_path, WTF_CSRF_ENABLED=False) as app:
        with app.app_context():
            load_demo()
            ids = prepare()
        clients = {}
        for role, email in EMAILS.items():
            clients[role] = app.test_client()
            assert log_in(clients[role], email).status_code == 302
        installation = Installation(app=app, clients=clients, baseline=None, ids=ids)
        installation.baseline = installation.state()
        folder = installation.upload_folder
        assert inconsistencies(installation.baseline.contents, upload_folder=folder) == []
        yield installation

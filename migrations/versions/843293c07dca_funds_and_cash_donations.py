"""Funds and cash donations; purchased shipment lines name the fund they draw on

Revision ID: 843293c07dca
Revises: 09ebdce8e115
Create Date: 2026-11-27 14:04:05.663559

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "843293c07dca"
down_revision = "09ebdce8e115"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "funds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("overdraft_limit", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("overdraft_reason", sa.Text(), nullable=True),
        sa.Column("overdraft_allowed_by_id", sa.Integer(), nullable=True),
        sa.Column("overdraft_allowed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_funds_currency_is_iso4217")),
        sa.CheckConstraint(
            "overdraft_limit >= 0", name=op.f("ck_funds_overdraft_limit_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["overdraft_allowed_by_id"],
            ["users.id"],
            name=op.f("fk_funds_overdraft_allowed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["organisations.id"], name=op.f("fk_funds_owner_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funds")),
        sa.UniqueConstraint("name", name=op.f("uq_funds_name")),
    )
    with op.batch_alter_table("funds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_funds_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "cash_donations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("donated_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pledged",
                "committed",
                "paid",
                name="donation_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_cash_donations_amount_positive")),
        sa.CheckConstraint(
            "length(currency) = 3", name=op.f("ck_cash_donations_currency_is_iso4217")
        ),
        sa.ForeignKeyConstraint(
            ["donor_id"],
            ["organisations.id"],
            name=op.f("fk_cash_donations_donor_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["fund_id"], ["funds.id"], name=op.f("fk_cash_donations_fund_id_funds")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_cash_donations_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_donations")),
    )
    with op.batch_alter_table("cash_donations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cash_donations_donor_id"), ["donor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cash_donations_fund_id"), ["fund_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cash_donations_status"), ["status"], unique=False)

    with op.batch_alter_table("shipment_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fund_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_shipment_lines_fund_id"), ["fund_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_shipment_lines_fund_id_funds"), "funds", ["fund_id"], ["id"]
        )

    _audited_entities((*AUDITED_ENTITIES, "fund", "cash_donation"))


def downgrade():
    op.execute("DELETE FROM audit_entries WHERE entity_type IN ('fund', 'cash_donation')")
    _audited_entities(AUDITED_ENTITIES)
    with op.batch_alter_table("shipment_lines", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_shipment_lines_fund_id_funds"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_shipment_lines_fund_id"))
        batch_op.drop_column("fund_id")

    with op.batch_alter_table("cash_donations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cash_donations_status"))
        batch_op.drop_index(batch_op.f("ix_cash_donations_fund_id"))
        batch_op.drop_index(batch_op.f("ix_cash_donations_donor_id"))

    op.drop_table("cash_donations")
    with op.batch_alter_table("funds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_funds_owner_id"))

    op.drop_table("funds")


AUDITED_ENTITIES = (
    "shipment",
    "shipment_line",
    "document",
    "organisation",
    "exchange_rate",
    "user",
)


def _audited_entities(values: tuple[str, ...]) -> None:
    """The audit trail's entity types are a CHECK constraint (not a native enum): rewrite it."""
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_audit_entries_audited_entity"), type_="check")
        batch_op.create_check_constraint("audited_entity", sa.text(f"entity_type IN ({listed})"))

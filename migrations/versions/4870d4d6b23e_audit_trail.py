"""Audit trail

Every create, change, cancellation and deletion of shipments, lines, documents, organisations,
exchange rates and users, with who did it, when, and the values before and after.

Revision ID: 4870d4d6b23e
Revises: 727cdab9b70e
Create Date: 2026-11-27 10:46:22.198516

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "4870d4d6b23e"
down_revision = "727cdab9b70e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_email", sa.String(length=254), nullable=True),
        sa.Column("user_name", sa.String(length=200), nullable=True),
        sa.Column(
            "action",
            sa.Enum(
                "create",
                "change",
                "cancel",
                "delete",
                name="audit_action",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "entity_type",
            sa.Enum(
                "shipment",
                "shipment_line",
                "document",
                "organisation",
                "exchange_rate",
                "user",
                name="audited_entity",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("entity_label", sa.String(length=300), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_audit_entries_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entries_action"), ["action"], unique=False)
        batch_op.create_index(
            "ix_audit_entries_entity", ["entity_type", "entity_id"], unique=False
        )
        batch_op.create_index(
            "ix_audit_entries_occurred_at_id", ["occurred_at", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_entries_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_user_id"))
        batch_op.drop_index("ix_audit_entries_occurred_at_id")
        batch_op.drop_index("ix_audit_entries_entity")
        batch_op.drop_index(batch_op.f("ix_audit_entries_action"))

    op.drop_table("audit_entries")

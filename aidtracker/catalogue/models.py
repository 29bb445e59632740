"""The catalogue of relief items that shipment lines refer to."""

from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from aidtracker.database import Money, currency_code, enum_column_type
from aidtracker.extensions import db


class Category(StrEnum):
    FOOD = "food"
    CLOTHING = "clothing"
    MEDICAL = "medical"
    HYGIENE = "hygiene"
    SHELTER = "shelter"
    ENERGY = "energy"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(CATEGORY_LABELS[self])

    @property
    def needs_lot_and_expiry(self) -> bool:
        """Medical goods are traced by lot and must not be shipped past their expiry."""
        return self is Category.MEDICAL


CATEGORY_LABELS = {
    Category.FOOD: _l("Food"),
    Category.CLOTHING: _l("Clothing"),
    Category.MEDICAL: _l("Medical"),
    Category.HYGIENE: _l("Hygiene"),
    Category.SHELTER: _l("Shelter"),
    Category.ENERGY: _l("Energy"),
    Category.OTHER: _l("Other"),
}


class Unit(StrEnum):
    PCS = "pcs"
    KG = "kg"
    L = "l"
    BOX = "box"
    PALLET = "pallet"
    SET = "set"

    @property
    def label(self) -> str:
        return str(UNIT_LABELS[self])


UNIT_LABELS = {
    Unit.PCS: _l("pcs"),
    Unit.KG: _l("kg"),
    Unit.L: _l("l"),
    Unit.BOX: _l("box"),
    Unit.PALLET: _l("pallet"),
    Unit.SET: _l("set"),
}


class DacSector(StrEnum):
    """OECD DAC purpose codes that humanitarian reporting asks for."""

    FOOD_ASSISTANCE = "72040"
    BASIC_HEALTH = "72011"
    RELIEF_ITEMS = "72010"


class CatalogueItem(db.Model):
    __tablename__ = "catalogue_items"
    __table_args__ = (
        UniqueConstraint("name_en", "unit"),
        CheckConstraint("length(hs_code) BETWEEN 6 AND 10", name="hs_code_length"),
        CheckConstraint("default_unit_value >= 0", name="default_value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_pl: Mapped[str | None] = mapped_column(String(200))
    name_uk: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[Category] = mapped_column(
        enum_column_type(Category, "item_category"), index=True
    )
    unit: Mapped[Unit] = mapped_column(enum_column_type(Unit, "item_unit"))
    hs_code: Mapped[str | None] = mapped_column(String(10))
    """Harmonised System code: 6 digits, or Ukraine's 10-digit UKT ZED extension."""
    dac_sector: Mapped[DacSector] = mapped_column(enum_column_type(DacSector, "dac_sector"))
    default_unit_value: Mapped[Decimal | None] = mapped_column(Money)
    default_currency: Mapped[str | None] = mapped_column(currency_code())
    active: Mapped[bool] = mapped_column(default=True)

    def name_in(self, language: str) -> str:
        """The name in `language` when one was entered, else the English name."""
        return getattr(self, f"name_{language}", None) or self.name_en

    @classmethod
    def name_in_sql(cls, language: str):
        """``name_in`` as a column expression, for reports that select names in bulk."""
        translated = getattr(cls, f"name_{language}", None)
        if translated is None or language == "en":
            return cls.name_en
        return func.coalesce(func.nullif(translated, ""), cls.name_en)

    def __str__(self) -> str:
        return self.name_en

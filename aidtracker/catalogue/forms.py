"""The catalogue item form. Field checks call the service's rules, so both judge alike."""

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from aidtracker.catalogue.models import CATEGORY_LABELS, UNIT_LABELS, Category, DacSector, Unit
from aidtracker.catalogue.service import (
    CatalogueError,
    ItemDetails,
    check_currency_given,
    check_unit_value,
    normalise_currency,
    normalise_hs_code,
)
from aidtracker.formfields import member_of, options, service_rule, stripped, upper_stripped

DAC_SECTOR_LABELS = {
    DacSector.FOOD_ASSISTANCE: _l("72040 Emergency food assistance"),
    DacSector.BASIC_HEALTH: _l("72011 Basic health care in emergencies"),
    DacSector.RELIEF_ITEMS: _l("72010 Material relief assistance"),
}

COMMON_CURRENCIES = ("PLN", "EUR", "UAH", "USD", "GBP", "CHF", "CZK", "SEK")

_BLANKS = re.compile(r"[\s\u00a0\u202f']+")


class AmountField(StringField):
    """A Decimal typed as people write it: "1 250,50" as well as "1250.50"; empty is None."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        text = _BLANKS.sub("", valuelist[0]).replace(",", ".")
        try:
            self.data = Decimal(text)
        except InvalidOperation:
            raise ValueError(_l("Enter an amount, e.g. 12.50.")) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else f"{self.data:.2f}"


class ItemForm(FlaskForm):
    name_en = StringField(
        _l("Name in English"),
        validators=[InputRequired(message=_l("Enter the item's English name.")), Length(max=200)],
        filters=[stripped],
        description=_l("Say what is packed, e.g. “Canned fish 240 g”."),
    )
    name_pl = StringField(
        _l("Name in Polish"), validators=[Optional(), Length(max=200)], filters=[stripped]
    )
    name_uk = StringField(
        _l("Name in Ukrainian"), validators=[Optional(), Length(max=200)], filters=[stripped]
    )
    category = SelectField(
        _l("Category"),
        choices=options(CATEGORY_LABELS),
        coerce=member_of(Category),
        default=Category.FOOD,
        description=_l("Medical items need a lot number and an expiry date on every line."),
    )
    unit = SelectField(
        _l("Unit"),
        choices=options(UNIT_LABELS),
        coerce=member_of(Unit),
        default=Unit.PCS,
    )
    hs_code = StringField(
        _l("HS code"),
        validators=[Optional(), Length(max=30), service_rule(normalise_hs_code, CatalogueError)],
        filters=[stripped],
        description=_l(
            "The customs tariff code: 6 digits, or Ukraine's 10. Spaces and dots are fine, "
            "e.g. 8502.12."
        ),
    )
    dac_sector = SelectField(
        _l("DAC sector"),
        choices=options(DAC_SECTOR_LABELS, _l("From the category")),
        coerce=member_of(DacSector),
        validate_choice=True,
        description=_l(
            "The OECD purpose code used in humanitarian reports. Leave it to follow the "
            "category: food 72040, medical 72011, everything else 72010."
        ),
    )
    default_unit_value = AmountField(
        _l("Default value per unit"),
        validators=[service_rule(check_unit_value, CatalogueError)],
        description=_l("Offered on new shipment lines; each line can change it."),
    )
    default_currency = StringField(
        _l("Currency"),
        validators=[Length(max=3, message=_l("Use the three-letter code, e.g. PLN."))],
        filters=[upper_stripped],
        description=_l("Three letters (ISO 4217), e.g. PLN, EUR, UAH."),
        render_kw={"list": "currencies", "maxlength": 3, "autocomplete": "off"},
    )
    active = BooleanField(
        _l("Active: offered for new shipment lines"),
        default=True,
    )

    def validate_default_currency(self, field):
        try:
            currency = normalise_currency(field.data)
            if not self.default_unit_value.errors:
                check_currency_given(self.default_unit_value.data, currency)
        except CatalogueError as error:
            raise ValidationError(str(error)) from None

    def details(self) -> ItemDetails:
        return ItemDetails(
            name_en=self.name_en.data or "",
            name_pl=self.name_pl.data,
            name_uk=self.name_uk.data,
            category=self.category.data,
            unit=self.unit.data,
            hs_code=self.hs_code.data,
            dac_sector=self.dac_sector.data,
            default_unit_value=self.default_unit_value.data,
            default_currency=self.default_currency.data,
            active=self.active.data,
        )


class ItemFilterForm(Form):
    """The list's search, read from the query string: nothing is written, so no CSRF token."""

    q = StringField(_l("Search"), filters=[stripped])
    category = SelectField(
        _l("Category"),
        choices=options(CATEGORY_LABELS, _l("All categories")),
        validate_choice=False,
    )
    status = SelectField(
        _l("Status"),
        choices=options(
            {"active": _l("Active only"), "inactive": _l("Inactive only")},
            _l("Active and inactive"),
        ),
        validate_choice=False,
    )

    @property
    def chosen_category(self) -> Category | None:
        return Category(self.category.data) if self.category.data in set(Category) else None

    @property
    def chosen_activity(self) -> bool | None:
        return {"active": True, "inactive": False}.get(self.status.data)

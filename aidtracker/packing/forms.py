"""Forms of the packing pages. They read and parse what was typed; whether it fits the shipment is
decided by ``aidtracker.packing.service``."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from aidtracker.formfields import LocalDecimalField, member_of, optional_id, stripped
from aidtracker.packing import rules
from aidtracker.packing.models import PackingUnit, UnitKind
from aidtracker.packing.service import BulkPacking, UnitDetails
from aidtracker.shipments.models import LineCondition, ShipmentLine


def _decimal(label, description=None):
    return LocalDecimalField(label, places=None, validators=[Optional()], description=description)


def line_choices(lines: list[ShipmentLine], language: str) -> list[SelectChoice]:
    return [
        SelectChoice(
            str(line.id),
            f"{line.position}. {line.item.name_in(language)} "
            f"({format(line.quantity.normalize(), 'f')} {line.unit.label})",
        )
        for line in lines
    ]


def unit_choices(units: list[PackingUnit], empty_label) -> list[SelectChoice]:
    total = len(units)
    return [SelectChoice("", empty_label)] + [
        SelectChoice(str(unit.number), f"{unit.number}/{total} {unit.kind.label}") for unit in units
    ]


class _Measures:
    gross_weight_kg = _decimal(_l("Gross weight (kg)"))
    length_cm = _decimal(_l("Length (cm)"))
    width_cm = _decimal(_l("Width (cm)"))
    height_cm = _decimal(_l("Height (cm)"))


class UnitForm(_Measures, FlaskForm):
    """A unit: what it is, what it stands on, what it weighs and measures."""

    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(kind.value, kind.label) for kind in UnitKind],
        coerce=member_of(UnitKind),
        validate_choice=True,
    )
    parent = SelectField(
        _l("On unit"),
        coerce=optional_id,
        validate_choice=True,
        description=_l("A box on a pallet, a crate in a container: the unit that carries it."),
    )

    def fill_choices(self, units: list[PackingUnit]) -> None:
        self.parent.choices = unit_choices(units, _l("On no other unit"))

    def details(self) -> UnitDetails:
        return UnitDetails(
            kind=self.kind.data,
            parent_number=self.parent.data,
            gross_weight_kg=self.gross_weight_kg.data,
            length_cm=self.length_cm.data,
            width_cm=self.width_cm.data,
            height_cm=self.height_cm.data,
        )


class BulkPackingForm(FlaskForm):
    """Pack one line into boxes of so many each, and spread the boxes over pallets."""

    line = SelectField(_l("Line"), coerce=optional_id, validate_choice=True)
    per_unit = _decimal(_l("Quantity per box"))
    kind = SelectField(
        _l("Packed in"),
        choices=[SelectChoice(kind.value, kind.label) for kind in (UnitKind.BOX, UnitKind.CRATE)],
        coerce=member_of(UnitKind),
        validate_choice=True,
    )
    quantity = _decimal(
        _l("Quantity to pack"), _l("Leave empty to pack all of the line that is not packed yet.")
    )
    pallets = IntegerField(
        _l("Pallets"),
        validators=[Optional()],
        description=_l("Spread the boxes over this many pallets; 0 or empty for none."),
    )
    unit_weight_kg = _decimal(
        _l("Gross weight of a full box (kg)"),
        _l("Leave empty to share out the line's gross weight."),
    )
    length_cm = _decimal(_l("Box length (cm)"))
    width_cm = _decimal(_l("Box width (cm)"))
    height_cm = _decimal(_l("Box height (cm)"))
    pallet_length_cm = _decimal(_l("Pallet length (cm)"))
    pallet_width_cm = _decimal(_l("Pallet width (cm)"))
    pallet_height_cm = _decimal(_l("Pallet height with its load (cm)"))

    def fill_choices(self, lines: list[ShipmentLine], language: str) -> None:
        self.line.choices = line_choices(lines, language)

    def order(self) -> BulkPacking:
        return BulkPacking(
            line_id=self.line.data,
            per_unit=self.per_unit.data,
            kind=self.kind.data,
            quantity=self.quantity.data,
            pallets=self.pallets.data,
            unit_weight_kg=self.unit_weight_kg.data,
            length_cm=self.length_cm.data,
            width_cm=self.width_cm.data,
            height_cm=self.height_cm.data,
            pallet_length_cm=self.pallet_length_cm.data,
            pallet_width_cm=self.pallet_width_cm.data,
            pallet_height_cm=self.pallet_height_cm.data,
        )


class ContentForm(FlaskForm):
    """Put some of a line into a unit."""

    line = SelectField(_l("Line"), coerce=optional_id, validate_choice=True)
    quantity = _decimal(_l("Quantity"))

    def fill_choices(self, lines: list[ShipmentLine], language: str) -> None:
        self.line.choices = line_choices(lines, language)


UNIT_STATE_LABELS = {
    rules.AS_CONTAINER: _l("As the unit it is on"),
    rules.ARRIVED_WHOLE: _l("Arrived whole"),
    rules.DAMAGED: _l("Damaged"),
    rules.MISSING: _l("Missing"),
    rules.OPENED: _l("Opened: count its lines"),
}
CONDITION_CHOICES = [SelectChoice(condition.value, condition.label) for condition in LineCondition]


class ReceiptByUnitForm(FlaskForm):
    """The receipt date and note; ``receipt_form_for`` adds a field per unit, per content of a
    unit that may be opened, and per line with goods packed in no unit."""

    version = HiddenField()
    received_on = DateField(
        _l("Received on"),
        validators=[Optional()],
        description=_l("The day the goods were counted; today unless you record it late."),
    )
    note = TextAreaField(
        _l("Note on the receipt"), validators=[Optional(), Length(max=2000)], filters=[stripped]
    )


def receipt_form_for(units: list[PackingUnit], unpacked_line_ids: list[int], **kwargs):
    """A ReceiptByUnitForm with the fields of these units and lines (a class per request)."""

    class Form(ReceiptByUnitForm):
        pass

    for unit in units:
        states = [rules.ARRIVED_WHOLE, rules.DAMAGED, rules.MISSING, rules.OPENED]
        if unit.parent_id is not None:
            states.insert(0, rules.AS_CONTAINER)
        setattr(
            Form,
            f"unit_{unit.number}",
            SelectField(
                _l("How it arrived"),
                choices=[SelectChoice(state, UNIT_STATE_LABELS[state]) for state in states],
                validate_choice=True,
            ),
        )
        for content in unit.contents:
            _add_count(Form, f"content_{content.id}")
    for line_id in unpacked_line_ids:
        _add_count(Form, f"line_{line_id}")
    return Form(**kwargs)


def _add_count(form_class, prefix: str) -> None:
    setattr(form_class, f"{prefix}_quantity", _decimal(_l("Received quantity")))
    setattr(
        form_class,
        f"{prefix}_condition",
        SelectField(_l("Condition"), choices=CONDITION_CHOICES, validate_choice=True),
    )

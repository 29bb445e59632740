"""Partnerships between cities and their steps: memorandum, partnership agreement, twinning."""

from datetime import date

import pytest
from sqlalchemy import select

from aidtracker.extensions import db
from aidtracker.parties.models import City, Partnership, PartnershipLevel, PartnershipStep
from aidtracker.parties.service import StepOutOfOrder, check_step_order
from tests.catalogue.helpers import ACCOUNTANT, PARTNER, client_of, stored_rows, text_of

MEMORANDUM = PartnershipLevel.MEMORANDUM
PARTNERSHIP = PartnershipLevel.PARTNERSHIP
TWINNING = PartnershipLevel.TWINNING


def _ids(app, *codes: str) -> list[int]:
    with app.app_context():
        return [db.session.scalar(select(City.id).filter_by(code=code)) for code in codes]


def _partnership_id(app, first: str, second: str) -> int:
    city_id, partner_id = _ids(app, first, second)
    with app.app_context():
        return db.session.scalar(
            select(Partnership.id).filter_by(city_id=city_id, partner_city_id=partner_id)
        )


def _steps(app, partnership_id: int) -> list[tuple]:
    with app.app_context():
        return [
            (step.level, step.signed_on, step.act)
            for step in db.session.scalars(
                select(PartnershipStep)
                .filter_by(partnership_id=partnership_id)
                .order_by(PartnershipStep.signed_on)
            )
        ]


def _everything(app):
    return stored_rows(app, Partnership, PartnershipStep)


# -- the rule, without a database ---------------------------------------------------------------


def test_steps_in_level_order_pass_and_equal_dates_are_fine():
    check_step_order(PARTNERSHIP, date(2023, 2, 2), [(MEMORANDUM, date(2017, 1, 1))])
    check_step_order(TWINNING, date(2023, 2, 2), [(PARTNERSHIP, date(2023, 2, 2))])
    check_step_order(MEMORANDUM, date(2016, 5, 1), [(TWINNING, date(2020, 1, 1))])
    check_step_order(MEMORANDUM, date(2016, 5, 1), [])


@pytest.mark.parametrize(
    ("level", "signed_on", "named", "direction"),
    [
        (PARTNERSHIP, date(2016, 12, 31), MEMORANDUM, "before"),
        (TWINNING, date(2020, 1, 1), PARTNERSHIP, "before"),  # the nearest level is named
        (TWINNING, date(2016, 1, 1), PARTNERSHIP, "before"),
        (MEMORANDUM, date(2023, 2, 3), PARTNERSHIP, "after"),
    ],
)
def test_a_step_out_of_level_order_is_refused(level, signed_on, named, direction):
    existing = [(MEMORANDUM, date(2017, 1, 1)), (PARTNERSHIP, date(2023, 2, 2))]
    existing = [step for step in existing if step[0] is not level]
    with pytest.raises(StepOutOfOrder) as refused:
        check_step_order(level, signed_on, existing)
    assert (refused.value.other, refused.value.direction) == (named, direction)


def test_the_refusal_names_the_other_step_and_its_date():
    with pytest.raises(StepOutOfOrder) as refused:
        check_step_order(PARTNERSHIP, date(2016, 1, 1), [(MEMORANDUM, date(2017, 1, 1))])
    assert str(refused.value) == (
        "A partnership agreement cannot be dated before the memorandum of intent (2017-01-01)."
    )


# -- partnerships -----------------------------------------------------------------------------


def test_staff_records_a_partnership_and_then_its_steps(staff, demo):
    lutsk, kryvyi_rih = _ids(demo, "LUT", "KRR")
    response = staff.post(
        "/partnerships/new", data={"city_id": str(lutsk), "partner_city_id": str(kryvyi_rih)}
    )
    partnership_id = _partnership_id(demo, "LUT", "KRR")
    assert response.status_code == 302
    assert response.location == f"/partnerships/{partnership_id}"
    text = text_of(staff.get(response.location))
    assert "The partnership of Lutsk and Kryvyi Rih was recorded." in text
    assert "No step recorded yet." in text

    response = staff.post(
        f"/partnerships/{partnership_id}/steps",
        data={"level": "memorandum", "signed_on": "2022-06-01", "act": " Memorandum No. 7 "},
    )
    assert response.status_code == 302
    assert _steps(demo, partnership_id) == [(MEMORANDUM, date(2022, 6, 1), "Memorandum No. 7")]
    text = text_of(staff.get(f"/partnerships/{partnership_id}"))
    assert "“Memorandum of intent” was recorded." in text
    assert "June 1, 2022" in text


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ("KRR", "KRR", "A partnership needs two different cities."),
        ("KRR", "LUB", "Kryvyi Rih and Lublin are partners already; add a step"),
        ("LUB", "KRR", "Lublin and Kryvyi Rih are partners already"),
        ("LUT", "", "Choose the partner city."),
        ("", "LUT", "Choose the first city."),
    ],
)
def test_bad_partnerships_are_refused_and_nothing_is_written(staff, demo, first, second, message):
    ids = dict(zip(["LUB", "KRR", "LUT"], _ids(demo, "LUB", "KRR", "LUT"), strict=True))
    before = _everything(demo)

    response = staff.post(
        "/partnerships/new",
        data={"city_id": str(ids.get(first, "")), "partner_city_id": str(ids.get(second, ""))},
    )

    assert response.status_code == 200
    text = text_of(response)
    assert message in text
    assert "The partnership was not recorded." in text
    assert _everything(demo) == before


def test_an_unknown_city_is_refused(staff, demo):
    before = _everything(demo)
    response = staff.post("/partnerships/new", data={"city_id": "1", "partner_city_id": "999"})
    assert "Choose a city from the list." in text_of(response)
    assert _everything(demo) == before


# -- steps ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"level": "twinning", "signed_on": "2023-02-01"},
            "A twinning agreement cannot be dated before the partnership agreement "
            "(February 2, 2023).",
        ),
        (
            {"level": "partnership", "signed_on": "2024-01-01"},
            "This partnership has its “Partnership agreement” already; change that step instead.",
        ),
        ({"level": "twinning", "signed_on": ""}, "Enter the date the step was signed or adopted."),
        ({"level": "twinning", "signed_on": "2023-02-30"}, "Not a valid date value."),
        ({"level": "engagement", "signed_on": "2024-01-01"}, "Not a valid choice"),
        ({"level": "twinning", "signed_on": "2024-01-01", "act": "x" * 301}, "300 characters"),
    ],
)
def test_bad_steps_are_refused_with_a_clear_message_and_nothing_is_written(
    staff, demo, data, message
):
    partnership_id = _partnership_id(demo, "LUB", "KRR")
    before = _everything(demo)

    response = staff.post(f"/partnerships/{partnership_id}/steps", data=data)

    assert response.status_code == 200
    text = text_of(response)
    assert message in text
    assert "The step was not recorded." in text
    assert _everything(demo) == before


def test_twinning_on_or_after_the_partnership_agreement_is_recorded(staff, demo):
    partnership_id = _partnership_id(demo, "LUB", "KRR")
    response = staff.post(
        f"/partnerships/{partnership_id}/steps",
        data={"level": "twinning", "signed_on": "2023-02-02", "act": "Twinning agreement"},
    )
    assert response.status_code == 302
    assert [step[0] for step in _steps(demo, partnership_id)] == [MEMORANDUM, PARTNERSHIP, TWINNING]
    page = text_of(staff.get(f"/partnerships/{partnership_id}"))
    assert "Add a step" not in page  # every level is recorded


def _step_id(app, partnership_id: int, level: PartnershipLevel) -> int:
    with app.app_context():
        return db.session.scalar(
            select(PartnershipStep.id).filter_by(partnership_id=partnership_id, level=level)
        )


def test_staff_corrects_a_steps_date_and_act(staff, demo):
    partnership_id = _partnership_id(demo, "LUB", "KRR")
    memorandum = _step_id(demo, partnership_id, MEMORANDUM)
    form = staff.get(f"/partnerships/{partnership_id}/steps/{memorandum}/edit")
    assert 'value="2017-01-01"' in form.get_data(as_text=True)

    response = staff.post(
        f"/partnerships/{partnership_id}/steps/{memorandum}/edit",
        data={"level": "memorandum", "signed_on": "2017-03-15", "act": "Memorandum of intent"},
    )

    assert response.status_code == 302
    assert _steps(demo, partnership_id)[0] == (
        MEMORANDUM,
        date(2017, 3, 15),
        "Memorandum of intent",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"level": "memorandum", "signed_on": "2023-02-03"},
            "A memorandum of intent cannot be dated after the partnership agreement "
            "(February 2, 2023).",
        ),
        (
            {"level": "partnership", "signed_on": "2017-01-01"},
            "This partnership has its “Partnership agreement” already",
        ),
    ],
)
def test_a_step_cannot_be_corrected_out_of_order_or_into_a_recorded_level(
    staff, demo, data, message
):
    partnership_id = _partnership_id(demo, "LUB", "KRR")
    memorandum = _step_id(demo, partnership_id, MEMORANDUM)
    before = _everything(demo)

    response = staff.post(f"/partnerships/{partnership_id}/steps/{memorandum}/edit", data=data)

    assert response.status_code == 200
    text = text_of(response)
    assert message in text
    assert "The step was not saved." in text
    assert _everything(demo) == before


def test_staff_removes_a_step_recorded_by_mistake(staff, demo):
    partnership_id = _partnership_id(demo, "LUB", "KRR")
    memorandum = _step_id(demo, partnership_id, MEMORANDUM)

    response = staff.post(
        f"/partnerships/{partnership_id}/steps/{memorandum}/delete", follow_redirects=True
    )

    assert "The step “Memorandum of intent” was removed." in text_of(response)
    assert [step[0] for step in _steps(demo, partnership_id)] == [PARTNERSHIP]


def test_a_step_is_only_reached_through_its_own_partnership(staff, demo):
    lublin_kryvyi_rih = _partnership_id(demo, "LUB", "KRR")
    lublin_lutsk = _partnership_id(demo, "LUB", "LUT")
    memorandum = _step_id(demo, lublin_kryvyi_rih, MEMORANDUM)
    before = _everything(demo)
    assert staff.get(f"/partnerships/{lublin_lutsk}/steps/{memorandum}/edit").status_code == 404
    assert staff.post(f"/partnerships/{lublin_lutsk}/steps/{memorandum}/delete").status_code == 404
    assert staff.get("/partnerships/999").status_code == 404
    assert _everything(demo) == before


def test_the_list_shows_each_partnership_with_its_steps_dates_and_acts(staff):
    text = text_of(staff.get("/partnerships/"))
    assert "2 partnerships" in text
    assert "Lublin – Kryvyi Rih" in text
    assert "Memorandum of intent · January 1, 2017" in text
    assert "Partnership agreement · February 2, 2023" in text
    assert "Lublin City Council resolution on the partnership agreement" in text
    assert "Lublin – Lutsk" in text
    assert "Lutsk" in text_of(staff.get("/partnerships/?q=luts"))
    assert "Kryvyi Rih" not in text_of(staff.get("/partnerships/?q=luts"))


def test_the_accountant_reads_partnerships_but_cannot_change_them(demo):
    accountant = client_of(demo, ACCOUNTANT)
    partnership_id = _partnership_id(demo, "LUB", "KRR")
    memorandum = _step_id(demo, partnership_id, MEMORANDUM)
    page = accountant.get(f"/partnerships/{partnership_id}")
    assert page.status_code == 200
    assert "Add a step" not in text_of(page)
    assert accountant.get("/partnerships/").status_code == 200
    before = _everything(demo)
    step = {"level": "twinning", "signed_on": "2024-01-01"}
    for method, url, data in [
        ("GET", "/partnerships/new", None),
        ("POST", "/partnerships/new", {"city_id": "2", "partner_city_id": "3"}),
        ("POST", f"/partnerships/{partnership_id}/steps", step),
        ("GET", f"/partnerships/{partnership_id}/steps/{memorandum}/edit", None),
        ("POST", f"/partnerships/{partnership_id}/steps/{memorandum}/edit", step),
        ("POST", f"/partnerships/{partnership_id}/steps/{memorandum}/delete", None),
    ]:
        assert accountant.open(url, method=method, data=data).status_code == 403, url
    assert _everything(demo) == before


def test_a_partner_gets_403_on_partnerships(demo):
    partner = client_of(demo, PARTNER)
    partnership_id = _partnership_id(demo, "LUB", "KRR")
    before = _everything(demo)
    for method, url in [
        ("GET", "/partnerships/"),
        ("GET", f"/partnerships/{partnership_id}"),
        ("POST", "/partnerships/new"),
        ("POST", f"/partnerships/{partnership_id}/steps"),
    ]:
        assert partner.open(url, method=method).status_code == 403, url
    assert _everything(demo) == before

"""Imports that touch funds: shipment lines naming the fund that pays, and cash donations from
a bank statement (CSV or .xlsx), checked row by row and recorded all or none."""

import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aidtracker.extensions import db
from aidtracker.funds.models import CashDonation, DonationStatus
from aidtracker.funds.service import fund_balance
from aidtracker.funds.statement import StatementRefused, check_statement, record_statement
from aidtracker.imports.lines import check_lines
from aidtracker.imports.reader import ImportFileError
from aidtracker.shipments.models import Shipment
from tests.funds.conftest import ACCOUNTANT, FUND, demo_fund, logged_in, user
from tests.imports.files import xlsx

DRAFT = "LUB-KRR-2023-0003"
LINE_HEADER = ["Item", "Quantity", "Unit value", "Currency", "Donor", "Funding", "Fund"]


def _draft() -> Shipment:
    return db.session.scalar(select(Shipment).filter_by(reference=DRAFT))


def _line_problems(app, *rows):
    with app.app_context():
        lines, problems = check_lines(_draft(), xlsx([LINE_HEADER, *rows]))
        return lines, [(p.row, p.column, p.message) for p in problems]


def test_imported_purchases_name_their_fund_or_take_the_donors_own(demo):
    with demo.app_context():
        lines, problems = check_lines(
            _draft(),
            xlsx(
                [
                    LINE_HEADER,
                    ["Rice 1 kg", 100, 5.6, "PLN", FUND, "purchased", FUND.upper()],
                    ["Rice 1 kg", 100, 5.6, "PLN", FUND, "purchased", None],
                ]
            ),
        )
        assert problems == []
        assert [line.fund.name for line in lines] == [FUND, FUND]


def test_an_imported_purchase_beyond_the_fund_is_refused_with_the_shortfall(demo):
    # 30,000 × 5.60 = 168,000.00 against 149,200.00 left
    lines, problems = _line_problems(
        demo, ["Rice 1 kg", 30000, 5.6, "PLN", FUND, "purchased", FUND]
    )
    assert lines == []
    assert problems == [
        (
            2,
            "Fund",
            f"Fund “{FUND}” cannot pay for this: it would go PLN18,800.00 below zero. Record "
            "the donations that pay for it, or ask an accountant to allow an overdraft.",
        )
    ]


def test_an_unknown_fund_and_a_fund_on_an_in_kind_line_are_row_errors(demo):
    _lines, problems = _line_problems(
        demo,
        ["Rice 1 kg", 1, 5.6, "PLN", FUND, "purchased", "Winter appeal"],
        ["Rice 1 kg", 1, 5.6, "PLN", FUND, "in_kind", FUND],
    )
    assert problems == [
        (2, "Fund", "No fund is named “Winter appeal”."),
        (3, "Fund", "An in-kind donation draws on no fund: leave the fund empty."),
    ]


# --- bank statements ----------------------------------------------------------------------------

STATEMENT = (
    "Data;Kwota;Waluta;Nadawca;Tytuł\n"
    "2024-01-05;1 500,00;PLN;example textiles  sp. z o.o.;Darowizna 1\n"
    "2024-01-06;200,00;EUR;PROTECTION CIVILE;Don 2024-01\n"
)


def _count() -> int:
    return db.session.scalar(select(func.count(CashDonation.id)))


def test_a_csv_statement_is_recorded_as_paid_donations_matching_payers_by_name(demo):
    with demo.app_context():
        fund = demo_fund()
        left = fund_balance(fund).left.own
        rows, problems = check_statement(fund, STATEMENT.encode())
        assert problems == []
        assert [(r.donor.name, r.amount, r.currency) for r in rows] == [
            ("Example Textiles Sp. z o.o.", Decimal("1500.00"), "PLN"),
            ("Protection Civile", Decimal("200.00"), "EUR"),
        ]
        assert record_statement(fund, STATEMENT.encode(), by=user(ACCOUNTANT)) == 2
        # 200 EUR × 4.67 (the last demo rate) = 934.00 PLN
        assert fund_balance(fund).left.own == left + Decimal("2434.00")
        assert {d.status for d in fund.donations if d.reference == "Don 2024-01"} == {
            DonationStatus.PAID
        }


def test_an_xlsx_statement_is_read_like_the_csv(demo):
    content = xlsx(
        [
            ["Booking date", "Amount", "Currency", "Payer", "Reference"],
            ["2024-01-05", 1500, "PLN", "Example Textiles Sp. z o.o.", "Gift"],
        ],
        title="Statement",
    )
    with demo.app_context():
        rows, problems = check_statement(demo_fund(), content)
        assert (problems, len(rows)) == ([], 1)


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("2024-01-05;10;PLN;Nobody Ltd;X", "Nadawca", "No organisation is named “Nobody Ltd”"),
        ("2024-01-05;-10;PLN;Protection Civile;X", "Kwota", "outgoing payment"),
        ("2024-01-05;0;PLN;Protection Civile;X", "Kwota", "more than zero"),
        ("2024-01-05;10000000000000;PLN;Protection Civile;X", "Kwota", "too large"),
        ("2024-01-05;10;XYZ;Protection Civile;X", "Waluta", "not an ISO 4217"),
        ("2024-01-05;10;UAH;Protection Civile;X", "Waluta", "No exchange rate for UAH"),
        ("5 January;10;PLN;Protection Civile;X", "Data", ""),
        ("2999-01-05;10;PLN;Protection Civile;X", "Data", "future"),
    ],
)
def test_one_wrong_row_records_nothing(demo, row, column, message):
    content = (STATEMENT + row + "\n").encode()
    with demo.app_context():
        before = _count()
        _rows, problems = check_statement(demo_fund(), content)
        assert [(p.row, p.column) for p in problems] == [(4, column)]
        assert message in problems[0].message
        with pytest.raises(StatementRefused):
            record_statement(demo_fund(), content, by=user(ACCOUNTANT))
        db.session.rollback()
        assert _count() == before


def test_a_statement_imported_twice_is_refused_the_second_time(demo):
    with demo.app_context():
        record_statement(demo_fund(), STATEMENT.encode(), by=user(ACCOUNTANT))
        _rows, problems = check_statement(demo_fund(), STATEMENT.encode())
        assert [p.row for p in problems] == [2, 3]
        assert "recorded in the fund already" in problems[0].message


@pytest.mark.parametrize(
    "content",
    [b"", b"\xff\xfe\x00garbage", b"Date,Something\n2024-01-01,3\n", b"PK\x03\x04broken"],
)
def test_an_unreadable_statement_is_refused_as_a_whole(demo, content):
    with demo.app_context(), pytest.raises(ImportFileError):
        check_statement(demo_fund(), content)


def test_the_statement_is_previewed_then_recorded_from_the_fund_page(demo):
    client = logged_in(demo, ACCOUNTANT)
    with demo.app_context():
        fund_id = demo_fund().id
        before = _count()
    response = client.post(
        f"/funds/{fund_id}/import",
        data={"file": (io.BytesIO(STATEMENT.encode()), "statement.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 donations will be recorded as paid" in page
    with demo.app_context():
        assert _count() == before  # nothing yet: only the preview
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    response = client.post(f"/funds/{fund_id}/import/commit", data={"token": token})
    assert response.status_code == 302
    with demo.app_context():
        assert _count() == before + 2
    again = client.post(f"/funds/{fund_id}/import/commit", data={"token": token})
    assert again.status_code == 302  # the file is gone: nothing recorded twice
    with demo.app_context():
        assert _count() == before + 2


def test_a_wrong_statement_shows_its_problems_and_offers_no_commit(demo):
    client = logged_in(demo, ACCOUNTANT)
    with demo.app_context():
        fund_id = demo_fund().id
    content = (STATEMENT + "2024-01-07;5;PLN;Nobody Ltd;X\n").encode()
    response = client.post(
        f"/funds/{fund_id}/import",
        data={"file": (io.BytesIO(content), "statement.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "no donation was recorded" in page
    assert "Record these donations" not in page
    response = client.post(
        f"/funds/{fund_id}/import",
        data={"file": (io.BytesIO(b"\x00\x01"), "statement.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422


def test_the_command_line_records_a_statement_or_nothing(demo, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(STATEMENT, encoding="utf-8")
    bad.write_text(STATEMENT + "2024-01-07;5;PLN;Nobody Ltd;X\n", encoding="utf-8")
    runner = demo.test_cli_runner()
    with demo.app_context():
        before = _count()
    result = runner.invoke(
        args=["import", "donations", FUND.lower(), str(bad), "--user", ACCOUNTANT]
    )
    assert result.exit_code == 1
    assert "CSV!4, Nadawca: No organisation is named “Nobody Ltd”" in result.output
    result = runner.invoke(args=["import", "donations", FUND, str(good), "--user", ACCOUNTANT])
    assert result.exit_code == 0, result.output
    assert f"Recorded 2 donations in {FUND}." in result.output
    result = runner.invoke(args=["import", "donations", "No such fund", str(good)])
    assert result.exit_code == 1
    with demo.app_context():
        assert _count() == before + 2

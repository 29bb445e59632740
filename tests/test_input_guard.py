"""Input no database column can hold is refused before any page sees it: a NUL typed into a form
gets 400 and a message saying what to do; an address with a NUL, or with an id beyond a 32-bit
integer, names nothing (404)."""

from io import BytesIO

from tests.conftest import page_text

NUL_MESSAGE = "contains a NUL character (code 0), which cannot be saved"


def test_a_nul_typed_into_a_form_is_refused_with_a_message(client):
    response = client.post("/login", data={"email": "staff@lublin.example\x00", "password": "x"})

    assert response.status_code == 400
    assert NUL_MESSAGE in page_text(response)


def test_a_nul_in_a_query_or_a_file_name_is_refused(client):
    assert client.get("/login?next=%00").status_code == 400
    upload = client.post(
        "/catalogue/import",
        data={"file": (BytesIO(b"PK"), "items\x00.xlsx")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 400


def test_an_address_with_a_nul_names_nothing(client):
    assert client.get("/shipments/LUB-KRR-2023-0001%00/edit").status_code == 404


def test_an_id_no_integer_column_holds_names_nothing(client):
    assert client.get("/catalogue/99999999999999999999/edit").status_code == 404
    assert client.get("/users/2147483648").status_code == 404
    # The largest id a row can have goes on to the page, which asks a visitor to log in.
    assert client.get("/users/2147483647").status_code == 302


def test_the_api_answers_a_reference_with_a_nul_with_a_json_404(client):
    """Before the guard, an accountant posting a receipt for such a reference got a 500 on
    PostgreSQL: looking the shipment up for the permission check failed."""
    response = client.post("/api/v1/shipments/LUB-KRR-2023-0001%00/receipt", json={})

    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


def test_ordinary_text_goes_through(client):
    response = client.post("/login", data={"email": "staff@lublin.example", "password": "wrong"})

    assert response.status_code == 200

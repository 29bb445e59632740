"""The JSON API under /api/v1 and the personal tokens that open it.

Partners, donors and carriers read their shipments from their own systems; they authenticate with
a personal token (``Authorization: Bearer``), never a session cookie, so the API needs no CSRF
protection and cannot be driven by a page in the user's browser.
"""

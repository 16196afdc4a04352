"""Helpers for the login tests: cookies copied between clients, the user form, TOTP codes."""
import time

import pyotp

from tests.conftest import TEST_PASSWORD


def login_remembered(client, email: str, password: str = TEST_PASSWORD):
    return client.post("/login", data={"email": email, "password": password, "remember": "y"})


def cookie(client, name: str) -> str | None:
    found = client.get_cookie(name)
    return found.value if found is not None else None


def client_with_cookie(app, name: str, value: str):
    """A fresh client that holds only one copied cookie (a thief's browser)."""
    other = app.test_client()
    other.set_cookie(name, value)
    return other


def reaches_admin(client) -> bool:
    """True when the dashboard answers; False when the client is sent to the login page."""
    response = client.get("/admin/")
    if response.status_code == 302:
        assert "/login" in response.location or "/admin/account" in response.location
        return False
    assert response.status_code == 200
    return True


def user_form(user, **changes) -> dict:
    form = {"email": user.email, "full_name": user.full_name or "Someone", "role": user.role,
            "is_active": "y", "password": "", "password_confirm": ""}
    form.update(changes)
    return form


def next_code(secret: str) -> str:
    """The code of the next 30-second step: accepted (clock drift) and never one used already."""
    return pyotp.TOTP(secret).at(time.time() + 30)

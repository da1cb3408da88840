"""Log-in throttling (django-axes): an account locks after 10 failures within an hour, an IP
address after 20, with a clear message; passwords are hashed with Argon2 in production."""

import importlib

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def log_in(username: str, password: str, address: str = "10.0.0.1"):
    return Client(REMOTE_ADDR=address).post(reverse("login"), {"username": username, "password": password})


@pytest.fixture
def ellie():
    user = UserFactory(username="ellie")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_nine_wrong_passwords_still_let_the_right_one_in(ellie):
    for _ in range(9):
        assert log_in("ellie", "wrong").status_code == 200
    assert log_in("ellie", PASSWORD).status_code == 302


def test_an_account_is_locked_after_ten_wrong_passwords_with_a_clear_message(ellie):
    for _ in range(10):
        log_in("ellie", "wrong", address="10.0.0.1")

    locked = log_in("ellie", PASSWORD, address="10.0.0.2")  # from anywhere, even with the right password

    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    assert "Try again in an hour" in locked.content.decode()


def test_other_accounts_are_not_locked_by_one_accounts_failures(ellie):
    for _ in range(10):
        log_in("ellie", "wrong", address="10.0.0.1")
    daniel = UserFactory(username="daniel")
    daniel.set_password(PASSWORD)
    daniel.save()

    assert log_in("daniel", PASSWORD, address="10.0.0.1").status_code == 302


def test_an_address_is_locked_after_twenty_failures_across_accounts(ellie):
    for n in range(19):
        log_in(f"guess{n}", "wrong", address="10.0.0.9")
    assert log_in("ellie", PASSWORD, address="10.0.0.9").status_code == 302, "19 failures do not lock the address"

    log_in("guess-last", "wrong", address="10.0.0.9")

    assert log_in("ellie", PASSWORD, address="10.0.0.9").status_code == 429
    assert log_in("ellie", PASSWORD, address="10.0.0.10").status_code == 302, "other addresses still get in"


def test_logging_in_with_another_account_does_not_wipe_an_addresss_failures(ellie):
    for n in range(10):
        log_in(f"guess{n}", "wrong", address="10.0.0.9")
    assert log_in("ellie", PASSWORD, address="10.0.0.9").status_code == 302
    for n in range(10):
        log_in(f"again{n}", "wrong", address="10.0.0.9")

    assert log_in("ellie", PASSWORD, address="10.0.0.9").status_code == 429


def test_production_hashes_passwords_with_argon2(settings):
    production = importlib.import_module("platformhub.settings")
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS

    hashed = make_password(PASSWORD)

    assert hashed.startswith("argon2")
    assert check_password(PASSWORD, hashed)

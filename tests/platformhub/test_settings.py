"""The production settings, checked in a fresh process with only the variables a deployment sets."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

HEADERS_SCRIPT = """
import json
import django
from django.core.management import call_command
from django.test import Client

django.setup()
call_command("collectstatic", interactive=False, verbosity=0)  # the login page reads no table
response = Client().get("/accounts/login/", secure=True, HTTP_HOST="hub.example.com")
insecure = Client().get("/accounts/login/", HTTP_HOST="hub.example.com")
print(json.dumps({
    "status": response.status_code,
    "headers": dict(response.headers),
    "cookies": {name: dict(morsel) for name, morsel in response.cookies.items()},
    "insecure_status": insecure.status_code,
    "insecure_location": insecure.headers.get("Location"),
}))
"""


@pytest.fixture
def production_env(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="hub.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    return env


def test_deploy_check_passes_with_only_the_three_required_variables(production_env):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=production_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(production_env):
    del production_env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env=production_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.slow
def test_production_responses_carry_the_security_headers(production_env):
    result = subprocess.run(
        [sys.executable, "-c", HEADERS_SCRIPT],
        cwd=REPO,
        env=production_env | {"DJANGO_SETTINGS_MODULE": "platformhub.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    headers = report["headers"]
    assert report["status"] == 200
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert report["cookies"]["csrftoken"]["secure"] is True
    assert report["insecure_status"] == 301
    assert report["insecure_location"].startswith("https://")


def test_session_cookie_is_secure_and_http_only_in_production(production_env):
    script = "import django, json; django.setup(); from django.conf import settings as s; " + (
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_SECURE, s.DEBUG]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=production_env | {"DJANGO_SETTINGS_MODULE": "platformhub.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout) == [True, True, True, False]


def test_pages_use_the_request_nonce_for_every_script(org, client_as):
    response = client_as("lead").get("/")
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    content = response.content.decode()
    assert content.count("<script") == content.count(f'nonce="{nonce}"') >= 2


def test_the_sqlite_database_logs_ahead_and_syncs_every_commit(production_env):
    """Readers do not wait for a writer, and a saved edit survives a power cut (synchronous=FULL)."""
    script = (
        "import django; django.setup(); from django.db import connection; cursor = connection.cursor(); "
        "print(cursor.execute('PRAGMA journal_mode').fetchone()[0], cursor.execute('PRAGMA synchronous').fetchone()[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=production_env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "2"]

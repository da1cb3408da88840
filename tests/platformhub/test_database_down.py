"""Issue 8: with the database unreachable, the app answers a clear 503 page, not a stack trace
(platformhub/unavailable.py); any other error is still the usual 500.

The production settings are checked in a fresh process whose DATABASE_URL points at nothing (a
PostgreSQL port nobody listens on, a SQLite file in a directory that does not exist); the rest runs
here, with errors raised by views and by the session middleware, mostly with no database access
allowed at all, which shows that answering the 503 needs none.
"""

import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.sessions.backends.db import SessionStore
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, ProgrammingError
from django.http import HttpResponse
from django.test import Client
from django.urls import path

ROOT = Path(__file__).resolve().parents[2]
MESSAGE = "PlatformHub is temporarily unavailable"
UNREACHABLE = {
    "postgresql": "postgres://postgres@127.0.0.1:1/platformhub",
    "sqlite": "sqlite:////nonexistent-platformhub-dir/platformhub.sqlite3",
}

REQUESTS_SCRIPT = """
import json
import django
from django.test import Client

from integrations.webhooks import sign

django.setup()
client = Client(raise_request_exception=False, HTTP_HOST="hub.example.com")
WEBHOOK_BODY = json.dumps({
    "action": "closed",
    "issue": {"url": "https://api.github.com/repos/octo/app/issues/1", "number": 1, "state": "closed"},
}).encode()
client.cookies["sessionid"] = "k" * 32  # a signed-in browser: its session is read from the database
answers = {
    "dashboard": client.get("/", secure=True),
    "team page (htmx)": client.get("/teams/platform/", secure=True, headers={"HX-Request": "true"}),
    "log in": client.post("/accounts/login/", {"username": "ellie", "password": "x"}, secure=True),
    "webhook": client.post(
        "/integrations/github/webhook",
        WEBHOOK_BODY,
        content_type="application/json",
        secure=True,
        headers={
            "X-GitHub-Event": "issues",
            "X-GitHub-Delivery": "delivery-1",
            "X-Hub-Signature-256": sign(secret="s3cret", body=WEBHOOK_BODY),
        },
    ),
}
static = client.get("/static/css/app.css", secure=True)
print(json.dumps({
    "answers": {
        name: {"status": r.status_code, "headers": dict(r.headers), "body": r.content.decode()}
        for name, r in answers.items()
    },
    "static": static.status_code,
}))
"""


def _production_env(static_root: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return env | {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "hub.example.com",
        "STATIC_ROOT": str(static_root),
        "DJANGO_SETTINGS_MODULE": "platformhub.settings",
        "PYTHONPATH": str(ROOT),
        "GITHUB_WEBHOOK_SECRET": "s3cret",
        **extra,
    }


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """Collected static files: production pages (the 503 too) link to their hashed names."""
    root = tmp_path_factory.mktemp("static")
    env = _production_env(root, DATABASE_URL=UNREACHABLE["sqlite"])
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    return root


def _requests_with_the_database_down(static_root: Path, database_url: str, **extra: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", REQUESTS_SCRIPT],
        cwd=ROOT,
        env=_production_env(static_root, DATABASE_URL=database_url, **extra),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return {"log": result.stderr, **json.loads(result.stdout.strip().splitlines()[-1])}


@pytest.mark.parametrize("backend", UNREACHABLE)
def test_with_the_database_unreachable_every_request_gets_a_clear_503(static_root, backend):
    report = _requests_with_the_database_down(static_root, UNREACHABLE[backend])

    for name, answer in report["answers"].items():
        headers, body = answer["headers"], answer["body"]
        assert answer["status"] == 503, f"{name}: {answer['status']}\n{body[:500]}"
        assert MESSAGE in body, name
        assert "can't reach its database" in body, name
        assert '<p class="error-page__code">503</p>' in body, name
        assert '<link rel="stylesheet" href="/static/css/app.' in body, name  # the site's look, hashed name
        for leak in ("Traceback", "OperationalError", "Error", "127.0.0.1", "nonexistent", "refused"):
            assert leak not in body, f"{name} shows {leak!r}"
        assert headers["Retry-After"] == "30", name
        assert "no-store" in headers["Cache-Control"], name
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp, name
        assert "frame-ancestors 'none'" in csp, name
        assert "unsafe-inline" not in csp, name
        assert "<script" not in body, name
        assert "<style" not in body, name
        assert " style=" not in body, name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert headers["Referrer-Policy"] == "same-origin", name
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin", name
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000"), name
        assert headers["X-Frame-Options"] == "DENY", name
    assert report["static"] == 200, "static files are still served"
    assert report["log"].count("Database unavailable: answering 503") == len(report["answers"])
    assert "Traceback" in report["log"], "the cause is logged for whoever runs the app"


def test_with_debug_on_the_database_being_down_is_still_the_503_page(static_root):
    report = _requests_with_the_database_down(static_root, UNREACHABLE["sqlite"], DEBUG="true")

    dashboard = report["answers"]["dashboard"]
    assert dashboard["status"] == 503
    assert MESSAGE in dashboard["body"]
    assert "Traceback" not in dashboard["body"]


# In this process: which errors become the 503, and from where


def _raise(request, kind: str):
    errors = {
        "operational": OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused"),
        "interface": InterfaceError("connection already closed"),
        "integrity": IntegrityError("duplicate key value violates unique constraint"),
        "programming": ProgrammingError('relation "platformhub_team" does not exist'),
        "database": DatabaseError("something else"),
        "value": ValueError("a plain bug"),
    }
    raise errors[kind]


def _touch_session(request):
    request.session["seen"] = True  # saved by SessionMiddleware on the way out
    return HttpResponse("ok")


def _who_am_i(request):
    return HttpResponse(request.user.get_username())


urlpatterns = [
    path("raise/<str:kind>/", login_not_required(_raise)),
    path("session/", login_not_required(_touch_session)),
    path("me/", _who_am_i),  # LoginRequiredMiddleware reads request.user, so the session, first
]


def client() -> Client:
    return Client(raise_request_exception=False)


def assert_unavailable_page(response) -> None:
    content = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert MESSAGE in content
    assert '<p class="error-page__code">503</p>' in content
    assert 'href="/static/css/app.css"' in content  # the template, not the fallback
    assert "Traceback" not in content
    assert "Connection refused" not in content
    assert "Content-Security-Policy" in response.headers


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("kind", ["operational", "interface"])
def test_a_lost_database_connection_in_a_view_answers_503_without_querying(kind, caplog):
    # no django_db mark: any query while answering would raise
    with caplog.at_level(logging.ERROR, logger="platformhub.unavailable"):
        response = client().get(f"/raise/{kind}/")

    assert_unavailable_page(response)
    assert [record.getMessage() for record in caplog.records if record.name == "platformhub.unavailable"] == [
        f"Database unavailable: answering 503 to GET /raise/{kind}/"
    ]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("kind", ["integrity", "programming", "database", "value"])
def test_other_errors_are_still_an_ordinary_500(kind):
    response = client().get(f"/raise/{kind}/")

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "Retry-After" not in response


@pytest.mark.urls(__name__)
def test_the_session_failing_to_load_in_middleware_answers_503(monkeypatch):
    def unreachable(self):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(SessionStore, "load", unreachable)
    browser = client()
    browser.cookies[settings.SESSION_COOKIE_NAME] = "k" * 32

    assert_unavailable_page(browser.get("/me/"))


@pytest.mark.urls(__name__)
def test_the_session_failing_to_save_on_the_way_out_answers_503(monkeypatch):
    def unreachable(self, must_create=False):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(SessionStore, "save", unreachable)

    assert_unavailable_page(client().get("/session/"))


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_requests_are_answered_as_usual_while_the_database_is_up(org):
    browser = client()
    browser.force_login(org.users["lead"])

    assert browser.get("/me/").content.decode() == org.users["lead"].username
    assert browser.get("/session/").status_code == 200


def test_the_middleware_sits_below_the_header_middleware_and_above_everything_that_queries():
    order = settings.MIDDLEWARE
    here = order.index("platformhub.unavailable.DatabaseUnavailableMiddleware")
    assert order.index("django.middleware.security.SecurityMiddleware") < here
    assert order.index("django.middleware.csp.ContentSecurityPolicyMiddleware") < here
    for queries in (
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
        "axes.middleware.AxesMiddleware",
    ):
        assert here < order.index(queries), queries

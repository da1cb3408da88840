"""Issue 8: every route, for every role. A walk of the URLconf fails on any URL pattern that no case
here requests; each case is requested as anonymous, an org-wide viewer, an engineer and a lead of
Platform, staff, and a member of another team (who must get a 404 for anything in the Platform
tree, however the id was guessed). A refused write changes nothing in the database, a read writes
nothing, and every HTML response carries the security headers, with a nonce on every script."""

import functools
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.client import ClientHandler
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.platformhub.route_cases import CASES, LOGIN, ROLES, SECRET, WEBHOOK_SECRET, Case, build_world

# Data of these apps is compared before and after each request (sessions, log-in throttling and
# background tasks are left out: logging in writes them by design).
CHECKED_APPS = ["platformhub", "okrs", "sprints", "integrations"]


# The URLconf


def _patterns(patterns, namespace: str = "", prefix: str = ""):
    """A key for every URL pattern: its namespaced name (`okrs:key_result_detail`), or for an unnamed
    one its whole route (`<unnamed> admin/auth/user/<path:object_id>/`)."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}{pattern.name}" if pattern.name else f"<unnamed> {prefix}{pattern.pattern}"


def _admin_models():
    return sorted(admin.site._registry.items(), key=lambda pair: pair[0]._meta.label)


def _info(model) -> str:
    return f"{model._meta.app_label}_{model._meta.model_name}"


def _admin_views(model, model_admin) -> list[str]:
    """The admin's pages for a model: the named ones, and the legacy `<id>/` redirect (unnamed)."""
    views = ["changelist", "add", "change", "delete", "history", "legacy"]
    if hasattr(model_admin, "history_form_view"):  # django-simple-history's page of one past version
        views.append("simple_history")
    if model._meta.label == "auth.User":
        views.append("password_change")
    return views


def _admin_keys() -> set[str]:
    keys = set()
    for model, model_admin in _admin_models():
        for view in _admin_views(model, model_admin):
            if view == "legacy":
                keys.add(f"<unnamed> admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/")
            elif view == "password_change":
                keys.add(f"admin:{_info(model)}_password_change")
            else:
                keys.add(f"admin:{_info(model)}_{view}")
    return keys


ADMIN_SITE_CASES = {
    "admin:index": ("get", lambda w: reverse("admin:index")),
    "admin:login": ("get", lambda w: reverse("admin:login")),
    "admin:logout": ("post", lambda w: reverse("admin:logout")),
    "admin:password_change": ("get", lambda w: reverse("admin:password_change")),
    "admin:password_change_done": ("get", lambda w: reverse("admin:password_change_done")),
    "admin:autocomplete": (
        "get",
        lambda w: reverse("admin:autocomplete") + "?app_label=platformhub&model_name=membership&field_name=team",
    ),
    "admin:jsi18n": ("get", lambda w: reverse("admin:jsi18n")),
    "admin:view_on_site": (
        "get",
        lambda w: reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(w.team).pk, w.team.pk]),
    ),
    "admin:app_list": ("get", lambda w: reverse("admin:app_list", args=["platformhub"])),
    "<unnamed> admin/(?P<url>.*)$": ("get", lambda w: "/admin/no-such-page/"),
}

# Unnamed or deliberately uncovered patterns, each with the reason. Keep this empty if you can.
EXCLUDED: dict[str, str] = {}


def test_every_url_pattern_has_a_route_case():
    in_urlconf = set(_patterns(get_resolver().url_patterns))
    covered = {case.route for case in CASES} | _admin_keys() | set(ADMIN_SITE_CASES) | set(EXCLUDED)

    assert sorted(in_urlconf - covered) == [], "add a case for each new URL to tests/platformhub/route_cases.py"
    assert sorted(covered - in_urlconf) == [], "cases for URLs that no longer exist"


def test_every_case_says_what_every_role_gets():
    for case in CASES:
        assert set(case.expected) == set(ROLES), case.id
        assert set(case.xfail) <= set(ROLES), case.id
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), "two cases with one id: give one a label"


# Checks on every response

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
STYLE_TAG = re.compile(r"<style\b[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
SAFE_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (directive.split() for directive in policy.split(";") if directive.strip())
    return {words[0]: words[1:] for words in parts}


def assert_security_headers(response) -> None:
    """Every HTML response: a nonce-based CSP without unsafe-inline/unsafe-eval for scripts,
    frame-ancestors 'none', nosniff, a Referrer-Policy and a Cross-Origin-Opener-Policy; and every
    <script> (and <style>) of the page carries the response's nonce."""
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    policy = response.get("Content-Security-Policy")
    assert policy, "no Content-Security-Policy"
    directives = _directives(policy)
    scripts = directives.get("script-src", directives.get("default-src", []))
    styles = directives.get("style-src", directives.get("default-src", []))
    assert "'unsafe-inline'" not in scripts, policy
    assert "'unsafe-eval'" not in scripts, policy
    assert "'unsafe-inline'" not in styles, policy
    assert directives.get("frame-ancestors") == ["'none'"], policy
    assert response.get("X-Content-Type-Options") == "nosniff"
    assert response.get("Referrer-Policy") in SAFE_REFERRER_POLICIES
    assert response.get("Cross-Origin-Opener-Policy") == "same-origin"

    html = response.content.decode()
    script_nonces = [value[len("'nonce-") : -1] for value in scripts if value.startswith("'nonce-")]
    style_nonces = [value[len("'nonce-") : -1] for value in styles if value.startswith("'nonce-")]
    script_tags, style_tags = SCRIPT_TAG.findall(html), STYLE_TAG.findall(html)
    if script_tags:
        assert len(script_nonces) == 1, f"scripts on the page but no nonce in script-src: {policy}"
        unmarked = [tag for tag in script_tags if f'nonce="{script_nonces[0]}"' not in tag]
        assert unmarked == [], "every <script> carries the response's nonce"
    if style_tags:
        assert len(style_nonces) == 1, f"<style> on the page but no nonce in style-src: {policy}"
        assert all(f'nonce="{style_nonces[0]}"' in tag for tag in style_tags)
    assert not INLINE_HANDLER.search(html), "an inline event handler, which the CSP blocks"


@functools.cache
def _snapshot_sql() -> str:
    """One query returning every row of the app's tables (change history and many-to-many tables
    included) as (table, row as text): one round trip instead of one per table."""
    models = {
        model._meta.db_table: model
        for label in CHECKED_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    }
    quote = connection.ops.quote_name
    selects = []
    for table, model in sorted(models.items()):
        if connection.vendor == "postgresql":
            row = "row_table::text"  # PostgreSQL writes a row as text itself, ten times faster than casts
        else:
            row = " || '|' || ".join(
                f"COALESCE(CAST({quote(field.column)} AS TEXT), '-')" for field in model._meta.concrete_fields
            )
        selects.append(f"SELECT '{table}', {row} FROM {quote(table)} AS row_table")
    return " UNION ALL ".join(selects)


def db_state() -> dict[str, list[str]]:
    """Every row of the app's tables, by table."""
    with connection.cursor() as cursor:
        cursor.execute(_snapshot_sql())
        rows = cursor.fetchall()
    state: dict[str, list[str]] = {}
    for table, row in rows:
        state.setdefault(table, []).append(row)
    return {table: sorted(table_rows) for table, table_rows in state.items()}


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(table for table in before.keys() | after.keys() if before.get(table) != after.get(table))


def is_login_redirect(response, login_url: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(f"{login_url}?next=")


# The route matrix


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction; each test runs in a savepoint inside it
    (pytest-django's `db`), so every test starts from this same world and nothing it writes stays.
    Building it for each of the thousand tests would take ten minutes."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _webhook_secret(settings):
    settings.GITHUB_WEBHOOK_SECRET = WEBHOOK_SECRET


@pytest.fixture(scope="module")
def handler() -> ClientHandler:
    """One request handler for every client: each new one would load the middleware again, and
    WhiteNoise would scan the static files again (a tenth of a second)."""
    return ClientHandler(enforce_csrf_checks=False)


@pytest.fixture(scope="module")
def sessions(world, handler) -> dict[str, str]:
    """A logged-in session per role, made once with the world (a log-in costs a dozen queries)."""
    keys = {}
    for role, user in world.users.items():
        client = Client()
        client.handler = handler
        client.force_login(user)
        keys[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return keys


@pytest.fixture
def client_for(sessions, db, handler):
    """`client_for("lead")`: a test client logged in as that role of the world (or anonymous)."""

    def make(role: str) -> Client:
        client = Client()
        client.handler = handler
        if role != "anonymous":
            client.cookies[settings.SESSION_COOKIE_NAME] = sessions[role]
        return client

    return make


def send(client: Client, case: Case, world):
    url = case.url(world)
    if case.raw is not None:
        return client.generic(case.method.upper(), url, **case.raw(world), **case.headers)
    return getattr(client, case.method)(url, case.data(world), **case.headers)


def _matrix():
    for case in CASES:
        for role in ROLES:
            marks = [pytest.mark.xfail(strict=True, reason=case.xfail[role])] if role in case.xfail else []
            yield pytest.param(case, role, id=f"{case.id}-{role}", marks=marks)


@pytest.mark.parametrize(("case", "role"), list(_matrix()))
def test_route(world, client_for, case, role):
    client = client_for(role)
    expected = case.expected[role]
    before = db_state()

    response = send(client, case, world)

    after = db_state()
    if expected == LOGIN:
        assert is_login_redirect(response, reverse("login")), (response.status_code, response.get("Location"))
    else:
        assert response.status_code == expected, response.content[:400]
        if expected == 302:
            assert not is_login_redirect(response, reverse("login")), response["Location"]
    refused = expected == LOGIN or response.status_code >= 400
    if refused or not case.writes:
        assert changed_tables(before, after) == [], "a refused request or a read changed the database"
    else:
        assert changed_tables(before, after) != [], "the write was allowed but saved nothing: fix the payload"
    assert_security_headers(response)
    content = response.content.decode(errors="replace")
    if role == "outsider" and case.shows_plans:
        assert SECRET not in content, "a member of another team sees Platform's plans"
        assert 'href="/teams/platform/' not in content
    if role == "viewer" and case.org_wide:
        assert SECRET in content, "the viewer should see Platform's plans here, or the outsider's check proves nothing"


# The admin


def _admin_url(model, model_admin, view: str) -> str:
    obj = model._base_manager.order_by("pk").first()
    assert obj is not None, f"build_world makes no {model._meta.label} for the admin's pages"
    if view in ("changelist", "add"):
        return reverse(f"admin:{_info(model)}_{view}")
    if view == "legacy":
        return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{obj.pk}/"
    if view == "simple_history":
        version = model.history.filter(**{model._meta.pk.attname: obj.pk}).first()
        return reverse(f"admin:{_info(model)}_simple_history", args=[obj.pk, version.history_id])
    return reverse(f"admin:{_info(model)}_{view}", args=[obj.pk])


# Staff (is_staff, without model permissions) gets 403 on every model's admin pages except those whose
# Django view/change permission name is also a rules permission staff holds: platformhub.view_team,
# platformhub.change_team and sprints.view_sprint (platformhub/permissions.py). The legacy `<id>/`
# address redirects to the change page whatever the permissions (302).
STAFF_ADMIN_PAGES = {
    (label, view)
    for label in ("platformhub.Team", "sprints.Sprint")
    for view in ("changelist", "change", "history", "simple_history")
}


def _admin_matrix():
    for model, model_admin in _admin_models():
        for role in [*ROLES, "superuser"]:
            yield pytest.param(model, model_admin, role, id=f"admin:{_info(model)}-{role}")


# What a superuser may not do: add rows that only the app writes (log-in logs, task results), or
# delete a task result (prune_db_task_results does).
SUPERUSER_REFUSED = {
    ("axes.AccessAttempt", "add"),
    ("axes.AccessLog", "add"),
    ("axes.AccessFailureLog", "add"),
    ("django_tasks_database.DBTaskResult", "add"),
    ("django_tasks_database.DBTaskResult", "delete"),
}


@pytest.mark.parametrize(("model", "model_admin", "role"), list(_admin_matrix()))
def test_admin_model_pages(world, client_for, model, model_admin, role):
    """Staff and superusers get the admin's pages as their permissions say; everyone else is sent to
    the admin's log-in page, whatever the model."""
    client = client_for(role)
    statuses = {}
    for view in _admin_views(model, model_admin):
        response = client.get(_admin_url(model, model_admin, view))
        if role in ("staff", "superuser"):
            statuses[view] = response.status_code
            assert_security_headers(response)
        else:  # anonymous is sent to the app's log-in page (LoginRequiredMiddleware), others to the admin's
            assert is_login_redirect(response, reverse("admin:login")) or is_login_redirect(
                response, reverse("login")
            ), (view, response.status_code, response.get("Location"))
    if role in ("staff", "superuser"):
        allowed = STAFF_ADMIN_PAGES if role == "staff" else {(model._meta.label, view) for view in statuses}
        refused = SUPERUSER_REFUSED if role == "superuser" else set()
        expected = {
            view: 302 if view == "legacy" else 200 if (model._meta.label, view) in allowed - refused else 403
            for view in statuses
        }
        assert statuses == expected


STAFF_SITE_STATUS = {
    "admin:index": 200,
    "admin:login": 302,
    "admin:logout": 302,  # to LOGOUT_REDIRECT_URL
    "admin:password_change": 200,
    "admin:password_change_done": 200,
    "admin:autocomplete": 200,
    "admin:jsi18n": 200,
    "admin:view_on_site": 302,
    "admin:app_list": 404,  # staff holds no module permission, so the app's index is empty
    "<unnamed> admin/(?P<url>.*)$": 404,
}
SUPERUSER_SITE_STATUS = {**STAFF_SITE_STATUS, "admin:app_list": 200}


@pytest.mark.parametrize("role", [*ROLES, "superuser"])
@pytest.mark.parametrize("key", ADMIN_SITE_CASES)
def test_admin_site_pages(world, client_for, key, role):
    method, url = ADMIN_SITE_CASES[key]
    response = getattr(client_for(role), method)(url(world))

    if role == "staff":
        assert response.status_code == STAFF_SITE_STATUS[key]
    elif role == "superuser":
        assert response.status_code == SUPERUSER_SITE_STATUS[key]
    elif key == "admin:login":
        assert response.status_code == 200  # the form, saying a non-staff account may not enter
    elif key == "admin:logout" and role != "anonymous":
        assert (response.status_code, response["Location"]) == (302, reverse("admin:index"))  # which asks to log in
    else:
        assert is_login_redirect(response, reverse("admin:login")) or is_login_redirect(response, reverse("login"))
    assert_security_headers(response)

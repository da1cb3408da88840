"""The dashboard answers 304 Not Modified, after two queries, when nothing it shows has changed."""

import datetime

import pytest
from django.core.cache import caches
from django.urls import reverse

from okrs.services import check_in_record
from platformhub import conditional
from platformhub.conditional import page_clock

DASHBOARD = reverse("dashboard") + "?quarter=2022-q4"


def visited(client):
    """A client that has been to the site: it holds the CSRF cookie the first page set (a
    browser has it from the log-in page)."""
    client.get(DASHBOARD)
    assert client.cookies.get("csrftoken")
    return client


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    """The minute does not turn between two requests of a test."""
    now = page_clock()
    monkeypatch.setattr(conditional, "page_clock", lambda: now)


def test_an_unchanged_dashboard_answers_304_after_two_queries(okr, client_as, django_assert_max_num_queries):
    client = visited(client_as("lead"))
    first = client.get(DASHBOARD)
    assert first.status_code == 200
    assert "Migrate postgres out of heroku" in first.text
    assert first["Cache-Control"] == "private, no-cache"

    with django_assert_max_num_queries(2):
        again = client.get(DASHBOARD, headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


@pytest.mark.django_db(transaction=True)
def test_a_check_in_anywhere_makes_the_dashboard_new(okr, client_as):
    client = visited(client_as("engineer"))
    first = client.get(DASHBOARD)
    assert client.get(DASHBOARD, headers={"If-None-Match": first["ETag"]}).status_code == 304

    check_in_record(
        key_result=okr.kr, author=None, expected_version=okr.kr.version, confidence="low", value=okr.kr.start_value
    )

    changed = client.get(DASHBOARD, headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert "Off track" in changed.text or "At risk" in changed.text


def test_each_reader_and_each_filter_has_its_own_etag(okr, client_as):
    lead, engineer = visited(client_as("lead")), visited(client_as("engineer"))
    etags = {
        lead.get(DASHBOARD)["ETag"],
        engineer.get(DASHBOARD)["ETag"],
        lead.get(DASHBOARD + "&status=on_track")["ETag"],
    }
    assert len(etags) == 3
    assert lead.get(DASHBOARD, headers={"If-None-Match": engineer.get(DASHBOARD)["ETag"]}).status_code == 200


def test_htmx_requests_are_always_built(okr, client_as):
    client = visited(client_as("lead"))
    etag = client.get(DASHBOARD)["ETag"]
    response = client.get(DASHBOARD, headers={"HX-Request": "true", "If-None-Match": etag})
    assert response.status_code == 200
    assert not response.has_header("ETag")


def test_a_waiting_message_is_shown_rather_than_answered_304(okr, client_as):
    client = visited(client_as("lead"))
    etag = client.get(DASHBOARD)["ETag"]
    team = okr.objective.team
    saved = client.post(
        reverse("team_about_edit", args=[team.slug]),
        {"mission": "Keep the lights on", "guidelines": "", "slack_channel": "#platform", "version": team.version},
    )
    assert saved.status_code == 302
    response = client.get(DASHBOARD, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Saved the team&#x27;s mission and guidelines." in response.text


def test_anonymous_readers_are_sent_to_log_in(okr, client):
    response = client.get(DASHBOARD, headers={"If-None-Match": '"anything"'})
    assert response.status_code == 302


def test_the_page_clock_turns_on_the_minute():
    clock = page_clock()
    assert (clock.second, clock.microsecond) == (0, 0)
    assert datetime.timedelta(0) <= datetime.datetime.now(datetime.UTC) - clock < datetime.timedelta(minutes=1)


@pytest.fixture
def page_copies(settings):
    """The server's copies on, as in production (the test settings use a dummy cache)."""
    settings.CACHES = {**settings.CACHES, "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    caches["pages"].clear()
    yield caches["pages"]
    caches["pages"].clear()


@pytest.mark.django_db(transaction=True)
def test_a_copy_is_served_until_something_changes(okr, client_as, page_copies, django_assert_max_num_queries):
    client = visited(client_as("lead"))
    first = client.get(DASHBOARD)
    with django_assert_max_num_queries(2):
        copy = client.get(DASHBOARD)
    assert copy.content == first.content
    assert copy["ETag"] == first["ETag"]

    check_in_record(
        key_result=okr.kr, author=None, expected_version=okr.kr.version, confidence="low", value=okr.kr.start_value
    )
    after = client.get(DASHBOARD)
    assert after["ETag"] != first["ETag"]
    assert after.content != first.content


def test_another_reader_never_gets_a_copy_made_for_someone_else(okr, client_as, page_copies):
    visited(client_as("lead")).get(DASHBOARD)  # the lead's copy is kept
    outsider_page = visited(client_as("outsider")).get(DASHBOARD)
    assert "Migrate postgres out of heroku" not in outsider_page.text

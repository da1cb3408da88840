"""Fuzz the roadmap forms: add and edit an item, move it, link key results and objectives to it,
and add a horizon, as plain posts and as HTMX swaps (with whatever page HX-Current-URL claims)."""

import datetime
from urllib.parse import urlencode

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from okrs.models import Horizon, RoadmapItem
from tests.fuzz import checks
from tests.fuzz.checks import check_response, rolled_back
from tests.fuzz.strategies import (
    any_text,
    choice_values,
    corrupted,
    date_values,
    encodings,
    fuzz,
    good_text,
    id_values,
    int_like,
    plain_text,
    post,
    some_of,
)

ONE_IN_FIVE = st.sampled_from([False, False, False, False, True])
STATUSES = [choice for choice, _ in RoadmapItem.Status.choices]
COMMITMENTS = [choice for choice, _ in RoadmapItem.Commitment.choices]
HEALTHS = [choice for choice, _ in RoadmapItem.Health.choices]
EXAMPLES = 50


current_urls = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "http://testserver/teams/platform/roadmap/",
            "http://testserver/teams/platform/roadmap/?health=at_risk",
            "http://testserver/teams/infrastructure/roadmap/?health=bogus",
            "http://testserver/teams/payments/roadmap/",
            "http://testserver/teams/nope/roadmap/",
            "http://testserver/roadmap/?team=platform",
            "/teams/platform/roadmap/?health=%00",
            "http://testserver/teams/platform/roadmap/%00",
            "javascript:alert(1)",
            "http://[::1]:8000/teams/platform/roadmap/",
            # urlsplit() raises ValueError on these two
            "http://[::1",
            "http://[nope]/teams/platform/roadmap/",
        ]
    ),
    plain_text,
)


def _headers(current_url: str | None) -> dict:
    return {} if current_url is None else {"HTTP_HX_CURRENT_URL": current_url}


@st.composite
def valid_item(draw, world, *, version: int | None = None) -> dict:
    body = {
        "title": draw(good_text(200)),
        "description": draw(st.one_of(st.just(""), good_text(10_000, multiline=True))),
        "status": draw(st.sampled_from(STATUSES)),
        "commitment": draw(st.sampled_from(COMMITMENTS)),
        "health": draw(st.sampled_from(HEALTHS)),
        "owners": draw(some_of(world.people_ids())),
    }
    if version is not None:
        body["version"] = str(version)
    return body


def item_fields(world, version: int | None = None) -> dict:
    fields = {
        "title": any_text(200),
        "description": any_text(10_000, multiline=True),
        "status": choice_values(STATUSES),
        "commitment": choice_values(COMMITMENTS),
        "health": choice_values(HEALTHS),
        "owners": id_values(world.people_ids(), world.foreign_ids()),
    }
    if version is not None:
        fields["version"] = int_like([version, version + 1])
    return fields


def horizon_ids(world) -> st.SearchStrategy[str]:
    return id_values(
        [world.six_month.pk, world.three_year.pk, world.team_horizon.pk],
        [world.foreign["horizon"], world.foreign["item"]],
    )


def _check_item(saved: RoadmapItem, data) -> None:
    assert saved.title == checks.text(data, "title")
    assert saved.description == checks.text(data, "description", multiline=True)
    assert (saved.status, saved.commitment, saved.health) == tuple(
        data.get(name) for name in ("status", "commitment", "health")
    )
    assert {person.pk for person in saved.owners.all()} == checks.ids(data, "owners")


@fuzz(EXAMPLES)
@given(
    data=st.data(),
    horizon_in=st.sampled_from(["query", "body", "both", "neither"]),
    htmx=st.booleans(),
    current_url=current_urls,
    encoding=encodings,
)
def test_item_create(world, baseline, lead_client, data, horizon_in, htmx, current_url, encoding):
    body = data.draw(corrupted(valid_item(world), item_fields(world), multi=("owners",)), label="body")
    url = reverse("okrs:roadmap_item_create", args=["platform"])
    horizons = st.one_of(st.sampled_from(world.horizon_ids()).map(str), horizon_ids(world))
    if horizon_in in ("query", "both"):
        url += "?" + urlencode({"horizon": data.draw(horizons, label="horizon in query")})
    if horizon_in in ("body", "both"):
        body["horizon"] = data.draw(horizons, label="horizon in body")
    with rolled_back():
        known = {row["id"] for row in baseline["okrs.RoadmapItem"]}
        response, sent = post(lead_client, url, body, htmx=htmx, encoding=encoding, **_headers(current_url))
        if check_response(response, baseline):
            saved = RoadmapItem.objects.exclude(pk__in=known).get()
            assert saved.team == world.org.team
            assert saved.horizon.team_id in (None, world.org.team.pk)
            _check_item(saved, sent)


@fuzz(EXAMPLES)
@given(data=st.data(), theirs=ONE_IN_FIVE, htmx=st.booleans(), current_url=current_urls, encoding=encodings)
def test_item_edit(world, baseline, lead_client, data, theirs, htmx, current_url, encoding):
    """Platform's item, and now and then (404, nothing changed) one of Payments'."""
    item = world.payments["item"] if theirs else world.item
    valid = valid_item(world, version=item.version)
    body = data.draw(corrupted(valid, item_fields(world, item.version), multi=("owners",)), label="body")
    with rolled_back():
        url = reverse("okrs:roadmap_item_edit", args=[item.pk])
        response, sent = post(lead_client, url, body, htmx=htmx, encoding=encoding, **_headers(current_url))
        assert not theirs or response.status_code == 404
        if check_response(response, baseline):
            saved = RoadmapItem.objects.get(pk=item.pk)
            assert saved.version == item.version + 1
            assert saved.horizon_id == item.horizon_id
            _check_item(saved, sent)


@fuzz(EXAMPLES)
@given(data=st.data(), theirs=ONE_IN_FIVE, htmx=st.booleans(), current_url=current_urls, encoding=encodings)
def test_item_move(world, baseline, lead_client, data, theirs, htmx, current_url, encoding):
    """To a horizon (Platform's, org-wide, or Payments': refused) or up and down."""
    item = world.payments["item"] if theirs else world.item
    valid = st.one_of(
        st.fixed_dictionaries({"direction": st.sampled_from(["up", "down"])}),
        st.fixed_dictionaries(
            {"horizon": st.sampled_from(world.horizon_ids()).map(str), "version": st.just(str(item.version))}
        ),
    )
    fields = {
        "horizon": horizon_ids(world),
        "direction": choice_values(["up", "down"]),
        "version": int_like([item.version, item.version + 1]),
    }
    body = data.draw(corrupted(valid, fields), label="body")
    with rolled_back():
        url = reverse("okrs:roadmap_item_move", args=[item.pk])
        response, sent = post(lead_client, url, body, htmx=htmx, encoding=encoding, **_headers(current_url))
        assert not theirs or response.status_code == 404
        if check_response(response, baseline, form_name=None):
            saved = RoadmapItem.objects.get(pk=item.pk)
            if sent.get("horizon"):
                assert saved.horizon_id == int(sent["horizon"])
            else:
                assert saved.horizon_id == item.horizon_id
            assert saved.team_id == item.team_id
            assert saved.horizon.team_id in (None, item.team_id)


@fuzz(EXAMPLES)
@given(data=st.data(), htmx=st.booleans(), current_url=current_urls, encoding=encodings)
def test_item_link_key_result(world, baseline, lead_client, data, htmx, current_url, encoding):
    linkable = [kr.pk for kind, kr in world.key_results.items() if kind != "metric"]  # metric is linked already
    fields = {"key_result": id_values(linkable, [world.key_results["metric"].pk, world.foreign["key_result"]])}
    valid = st.fixed_dictionaries({"key_result": st.sampled_from(linkable).map(str)})
    body = data.draw(corrupted(valid, fields), label="body")
    item = world.item
    with rolled_back():
        url = reverse("okrs:roadmap_item_link", args=[item.pk])
        response, sent = post(lead_client, url, body, htmx=htmx, encoding=encoding, **_headers(current_url))
        if check_response(response, baseline):
            linked = set(item.key_results.values_list("pk", flat=True))
            assert linked == {world.key_results["metric"].pk, int(sent["key_result"])}


@fuzz(EXAMPLES)
@given(data=st.data(), htmx=st.booleans(), current_url=current_urls, encoding=encodings)
def test_item_link_objective(world, baseline, lead_client, data, htmx, current_url, encoding):
    linkable = [world.objective.pk, world.sub_objective.pk]
    fields = {"objective": id_values(linkable, [world.foreign["objective"], world.foreign["key_result"]])}
    valid = st.fixed_dictionaries({"objective": st.sampled_from(linkable).map(str)})
    body = data.draw(corrupted(valid, fields), label="body")
    item = world.item
    with rolled_back():
        url = reverse("okrs:roadmap_item_link_objective", args=[item.pk])
        response, sent = post(lead_client, url, body, htmx=htmx, encoding=encoding, **_headers(current_url))
        if check_response(response, baseline, form_name="objective_form"):
            linked = set(item.objectives.values_list("pk", flat=True))
            assert linked == {int(sent["objective"])}


@fuzz(EXAMPLES)
@given(data=st.data(), encoding=encodings)
def test_horizon_create(world, baseline, lead_client, data, encoding):
    days = st.dates(datetime.date(2020, 1, 1)).map(datetime.date.isoformat)
    valid = st.fixed_dictionaries(
        {
            "name": st.one_of(st.sampled_from(["FY27", "6 month", "fy27", "FY28"]), good_text(60)),
            "target_date": st.one_of(st.just(""), days),
        }
    )
    fields = {"name": any_text(60), "target_date": st.one_of(days, date_values)}
    body = data.draw(corrupted(valid, fields), label="body")
    with rolled_back():
        known = {row["id"] for row in baseline["okrs.Horizon"]}
        url = reverse("okrs:horizon_create", args=["platform"])
        response, sent = post(lead_client, url, body, encoding=encoding)
        if check_response(response, baseline):
            saved = Horizon.objects.exclude(pk__in=known).get()
            assert (saved.team, saved.name, saved.target_date) == (
                world.org.team,
                checks.text(sent, "name"),
                checks.date(sent, "target_date"),
            )

"""Fuzz the board: add a card and move it, as plain posts and as HTMX swaps, with the board's
filters (`query`) and the board shown (`board`) that the page sends back."""

from urllib.parse import urlencode

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from integrations.references import parse_reference
from sprints.models import Card, CardMove
from tests.fuzz import checks
from tests.fuzz.checks import check_response, rolled_back
from tests.fuzz.strategies import (
    any_text,
    choice_values,
    corrupted,
    encodings,
    fuzz,
    good_text,
    id_values,
    int_like,
    plain_text,
    post,
)

COLUMNS = [choice for choice, _ in Card.Column.choices]
EXAMPLES = 60

issue_references = st.one_of(
    st.sampled_from(
        [
            "",
            "PostHog/posthog#1",
            "posthog/posthog#1",
            "https://github.com/PostHog/posthog/issues/42",
            "github.com/PostHog/posthog/pull/7?x=1#y",
            "PostHog/posthog#0",
            "PostHog/posthog#-1",
            "PostHog/posthog#١٢",
            "PostHog/posthog",
            "#12",
            "https://gitlab.com/a/b/issues/1",
            "a/b#1\x00",
            "a/b#1 c/d#2",
        ]
    ),
    st.integers(min_value=1).map(lambda n: f"octo/repo#{n}"),
    st.sampled_from([2**31 - 1, 2**31, 2**63, 10**20]).map(lambda n: f"https://github.com/octo/repo/issues/{n}"),
    any_text(300),
)
good_references = st.one_of(
    st.integers(min_value=1, max_value=2**31 - 1).map(lambda n: f"octo/repo#{n}"),
    st.integers(min_value=1, max_value=2**31 - 1).map(lambda n: f"https://github.com/Octo/Repo.js/pull/{n}"),
)


def slugs(world) -> st.SearchStrategy[str]:
    """The `board` a move comes from (or a sub_team filter): real slugs, other teams', and junk."""
    return st.one_of(
        st.sampled_from(
            [
                "platform",
                "infrastructure",
                "payments",
                "nope",
                "",
                " ",
                "PLATFORM",
                "../platform",
                "\x00",
                "platform\x00",
            ]
        ),
        good_text(100),
        st.just("x" * 101),
        plain_text,
    )


@st.composite
def board_queries(draw, world) -> str:
    """The board filters the page posts back (`query`): real ones, and junk."""
    valid = st.fixed_dictionaries(
        {},
        optional={
            "sprint": st.just(str(world.sprint.number)),
            "owner": st.sampled_from(world.people_ids()).map(str),
            "project": st.just(str(world.project.pk)),
            "sub_team": st.just("infrastructure"),
        },
    )
    fields = {
        "sprint": int_like([world.sprint.number]),
        "owner": id_values(world.people_ids(), world.foreign_ids()),
        "project": id_values([world.project.pk], [world.foreign["project"]]),
        "sub_team": slugs(world),
    }
    filters = draw(corrupted(valid, fields))
    return draw(st.one_of(st.just(urlencode(filters, doseq=True)), plain_text))


@fuzz(EXAMPLES)
@given(data=st.data(), htmx=st.booleans(), encoding=encodings)
def test_card_create(world, baseline, lead_client, data, htmx, encoding):
    valid = st.fixed_dictionaries(
        {
            "title": good_text(200),
            "project": st.sampled_from(["", str(world.project.pk)]),
            "issue": st.one_of(st.just(""), good_references),
            "description": st.one_of(st.just(""), good_text(10_000, multiline=True)),
        }
    )
    fields = {
        "title": any_text(200),
        "project": id_values([world.project.pk], [world.foreign["project"]]),
        "issue": issue_references,
        "description": any_text(10_000, multiline=True),
        # Not fields of the form: a card starts in the backlog, unowned, in the current sprint.
        "column": choice_values(COLUMNS),
        "order": int_like([1]),
        "sprint": int_like([world.sprint.pk]),
        "owners": id_values(world.people_ids(), world.foreign_ids()),
    }
    body = data.draw(corrupted(valid, fields, multi=("owners",)), label="body")
    with rolled_back():
        known = {row["id"] for row in baseline["sprints.Card"]}
        response, sent = post(
            lead_client, reverse("sprints:card_create", args=["platform"]), body, htmx=htmx, encoding=encoding
        )
        if check_response(response, baseline):
            card = Card.objects.exclude(pk__in=known).get()
            assert (card.team, card.column, card.blocked_reason) == (world.org.team, "backlog", "")
            assert card.title == checks.text(sent, "title")
            assert card.description == checks.text(sent, "description", multiline=True)
            assert card.project_id == checks.optional_id(sent, "project")
            assert list(card.owners.all()) == []
            assert list(card.sprints.all()) == [world.sprint]
            if issue := checks.text(sent, "issue"):
                reference = parse_reference(issue)
                assert (card.issue.repo, card.issue.number) == (reference.repo, reference.number)
            else:
                assert card.issue is None


@fuzz(EXAMPLES)
@given(
    data=st.data(), theirs=st.sampled_from([False, False, False, False, True]), htmx=st.booleans(), encoding=encodings
)
def test_card_move(world, baseline, lead_client, data, theirs, htmx, encoding):
    """Platform's card to any column, and now and then (404, nothing changed) a card of Payments."""
    card = world.payments["card"] if theirs else world.card
    valid = st.fixed_dictionaries(
        {
            "column": st.sampled_from(COLUMNS),
            "version": st.just(str(card.version)),
            "blocked_reason": st.one_of(st.just(""), good_text(500)),
        },
        optional={"board": st.sampled_from(["platform", "infrastructure"]), "query": board_queries(world)},
    )
    fields = {
        "column": choice_values(COLUMNS),
        "version": int_like([card.version, card.version + 1]),
        "blocked_reason": any_text(500),
        "board": slugs(world),
        "query": board_queries(world),
        # Not fields of the move: where in the column and who owns it are not changed by a move.
        "position": int_like([0, 1, 2]),
        "order": int_like([1]),
        "sprint": int_like([world.sprint.pk]),
        "owners": id_values(world.people_ids(), world.foreign_ids()),
    }
    body = data.draw(corrupted(valid, fields, multi=("owners",)), label="body")
    with rolled_back():
        url = reverse("sprints:card_move", args=[card.pk])
        response, sent = post(lead_client, url, body, htmx=htmx, encoding=encoding)
        assert not theirs or response.status_code == 404
        if check_response(response, baseline, form_name=None):
            saved = Card.objects.get(pk=card.pk)
            column = sent.get("column")
            assert saved.column == column
            assert {person.pk for person in saved.owners.all()} == {world.engineer.pk}
            moves = CardMove.objects.filter(card=card)
            if column == card.column:
                assert not moves.exists()
            else:
                assert list(moves.values_list("from_column", "to_column")) == [(card.column, column)]
            if column == Card.Column.BLOCKED:
                assert saved.blocked_reason == (checks.text(sent, "blocked_reason") or "Blocked (no reason given yet)")
            else:
                assert saved.blocked_reason == ""

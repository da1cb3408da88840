"""Rows drawn with `{% memo %}` are rendered once per distinct content (platformhub/fragments.py):
the HTML is always what rendering the row afresh would give, for every reader."""

import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.template import Context, RequestContext, Template
from django.test import RequestFactory
from django.urls import reverse

from okrs.models import KeyResult
from okrs.services import check_in_record, key_result_create, objective_create, objective_move, objective_update
from platformhub import fragments, html
from platformhub.models import Person
from tests.rows import same_as_built_afresh

ROW_TEMPLATE = (
    "{% load platformhub %}{% partialdef shown %}<p>{{ row.text }} {{ row.number }}{{ secret }}</p>"
    "{% endpartialdef %}{% memo shown row %}"
)


@dataclass(frozen=True)
class Row:
    text: str
    number: object = 0


@dataclass
class MutableRow:
    text: str


def _render(row, **context) -> str:
    return Template(ROW_TEMPLATE).render(Context({"row": row, **context}))


def test_a_changed_row_is_rendered_again_and_an_unchanged_one_is_the_same():
    assert _render(Row("one")) == "<p>one 0</p>"
    assert _render(Row("two")) == "<p>two 0</p>"
    assert _render(Row("one")) == "<p>one 0</p>"


def test_values_that_are_equal_but_print_differently_are_different_rows():
    assert Decimal("0.7") == Decimal("0.70")
    assert Row("flag", True) == Row("flag", 1)
    assert _render(Row("score", Decimal("0.7"))) == "<p>score 0.7</p>"
    assert _render(Row("score", Decimal("0.70"))) == "<p>score 0.70</p>"
    assert _render(Row("flag", True)) == "<p>flag True</p>"
    assert _render(Row("flag", 1)) == "<p>flag 1</p>"


def test_a_row_sees_nothing_but_itself():
    assert _render(Row("quiet"), secret=" leaked") == "<p>quiet 0</p>"


def test_row_text_is_escaped():
    assert _render(Row("<script>alert(1)</script>")) == "<p>&lt;script&gt;alert(1)&lt;/script&gt; 0</p>"


@pytest.mark.django_db
def test_a_row_holding_a_model_is_refused(org):
    with pytest.raises(TypeError, match=r"row.number is a Person"):
        _render(Row("owner", Person.objects.first()))


def test_a_row_that_can_change_is_refused():
    with pytest.raises(TypeError, match="row is a MutableRow"):
        _render(MutableRow("changes"))


def test_a_sourced_row_is_made_only_when_its_source_is_new():
    made = []

    def sourced(text: str, number: int) -> fragments.Sourced:
        def build() -> Row:
            made.append(text)
            return Row(text.upper(), number)

        return fragments.Sourced(source=(text, number), build=build)

    template = Template(ROW_TEMPLATE)  # one partial, as a page's is
    fragments.forget_rendered_rows()
    assert template.render(Context({"row": sourced("one", 1)})) == "<p>ONE 1</p>"
    assert template.render(Context({"row": sourced("one", 1)})) == "<p>ONE 1</p>"
    assert template.render(Context({"row": sourced("one", 2)})) == "<p>ONE 2</p>"
    assert made == ["one", "one"]


@pytest.mark.django_db
def test_a_source_holding_a_model_is_refused(org):
    row = fragments.Sourced(source=("owner", Person.objects.first()), build=lambda: Row("owner"))
    with pytest.raises(TypeError, match=r"source\[1\] is a Person"):
        _render(row)


def test_each_reader_gets_a_token_for_their_own_csrf_cookie():
    template = Template(
        "{% load platformhub %}{% partialdef form %}<form>{% csrf_input_placeholder %}{{ row.text }}</form>"
        "{% endpartialdef %}{% memo form row %}"
    )
    tokens = []
    for secret in ("a" * 32, "b" * 32):
        request = RequestFactory().get("/")
        request.META["CSRF_COOKIE"] = secret
        html = template.render(RequestContext(request, {"row": Row("same row")}))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        assert _unmask_cipher_token(token) == secret
        tokens.append(token)
    assert tokens[0] != tokens[1]


@dataclass(frozen=True)
class Card:
    title: str
    rows: tuple[Row, ...]


def test_a_row_drawn_inside_another_gets_the_readers_token_too():
    """An objective's card is a row holding its key results' rows: the inner rows are remembered
    with their placeholders, and the card's reader gets their own token in every form of it."""
    template = Template(
        "{% load platformhub %}{% partialdef form %}<form>{% csrf_input_placeholder %}{{ row.text }}</form>"
        "{% endpartialdef %}{% partialdef card %}<h2>{{ row.title }}</h2>{% for inner in row.rows %}"
        "{% memo form inner %}{% endfor %}{% endpartialdef %}"
        "{% if alone %}{% memo form row %}{% else %}{% memo card row %}{% endif %}"
    )
    card = Card("card", (Row("first"), Row("second")))
    for secret in ("c" * 32, "d" * 32):
        request = RequestFactory().get("/")
        request.META["CSRF_COOKIE"] = secret
        html = template.render(RequestContext(request, {"row": card}))
        tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert len(tokens) == 2
        assert all(_unmask_cipher_token(token) == secret for token in tokens)
        assert "<h2>card</h2>" in html
        assert "first</form>" in html
        assert "second</form>" in html
    remembered = len(fragments._memo)
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = "f" * 32
    html = template.render(RequestContext(request, {"row": Row("first"), "alone": True}))
    assert len(fragments._memo) == remembered, "the inner row drawn alone is the one the card remembered"
    [token] = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert _unmask_cipher_token(token) == "f" * 32, "and it was remembered with its placeholder"


def test_memo_each_draws_each_row_as_memo_does_with_the_readers_token():
    template = Template(
        "{% load platformhub %}{% partialdef form %}<form>{% csrf_input_placeholder %}{{ row.text }}</form>"
        "{% endpartialdef %}{% memo_each form rows %}|{% for row in rows %}{% memo form row %}{% endfor %}"
    )
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = "e" * 32
    each, one_by_one = template.render(RequestContext(request, {"rows": (Row("<b>first</b>"), Row("second"))})).split(
        "|"
    )
    assert re.sub(r'value="[^"]+"', "", each) == re.sub(r'value="[^"]+"', "", one_by_one)
    assert "&lt;b&gt;first&lt;/b&gt;</form><form>" in each
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', each)
    assert len(tokens) == 2
    assert all(_unmask_cipher_token(token) == "e" * 32 for token in tokens)
    assert (
        Template(
            "{% load platformhub %}{% partialdef p %}{{ row.text }}{% endpartialdef %}[{% memo_each p rows %}]"
        ).render(Context({"rows": ()}))
        == "[]"
    )


def test_only_rendered_html_is_joined():
    assert html.joined([html.csrf_input_placeholder(), html.progress_bar(50)]).startswith("<input")
    with pytest.raises(TypeError, match="not str"):
        html.joined([html.progress_bar(50), "<script>"])


def test_the_okr_page_with_remembered_rows_is_the_page_built_afresh_after_each_change(okr, org, client_as):
    lead = client_as("lead")
    url = reverse("okrs:team_okrs", args=[org.team.slug, okr.period.slug])
    same_as_built_afresh(lead, url)
    check_in_record(key_result=okr.kr, author=None, expected_version=okr.kr.version, confidence="low", value=2)
    assert "2 of 3 databases" in same_as_built_afresh(lead, url)
    engineer = org.users["engineer"].person
    engineer.display_name = "Renamed Engineer"
    engineer.save(update_fields=["display_name"])
    assert "Renamed Engineer" in same_as_built_afresh(lead, url)
    reordering = same_as_built_afresh(lead, f"{url}?reorder={okr.objective.pk}")
    assert 'aria-label="Move up"' in reordering
    assert html.CSRF_PLACEHOLDER not in lead.get(f"{url}?reorder={okr.objective.pk}").content.decode()
    assert "Edit" not in same_as_built_afresh(client_as("viewer"), url)


def test_the_objective_heads_and_buttons_remembered_are_those_built_afresh_after_each_change(okr, org, client_as):
    """An objective's head (title, alignment, owners, progress, why) and its buttons are remembered
    rows too: an edit, a second key result, a move, an alignment and reordering each redraw them."""
    lead = client_as("lead")
    url = reverse("okrs:team_okrs", args=[org.team.slug, okr.period.slug])
    assert "Reorder key results" not in same_as_built_afresh(lead, url)
    objective = objective_update(
        objective=okr.objective,
        expected_version=okr.objective.version,
        title="Uptime <99.99%>",
        why="Churn *hurts*.",
        owners=[org.users["lead"].person, org.users["engineer"].person],
        parent=None,
        archived=False,
    )
    page = same_as_built_afresh(lead, url)
    assert "Uptime &lt;99.99%&gt;" in page
    assert "<em>hurts</em>" in page
    assert "Owners: </span>Eric Engineer, Lena Lead<" in page
    key_result_create(objective=objective, title="Second", kind=KeyResult.Kind.PERCENT)
    assert "Reorder key results" in same_as_built_afresh(lead, url)
    assert "Done reordering" in same_as_built_afresh(lead, f"{url}?reorder={objective.pk}")
    second = objective_create(team=org.team, period=okr.period, title="Second objective", why="", owners=[])
    up_disabled = re.compile(rf'id="objective-{second.pk}-up"[^>]* disabled>')
    assert not up_disabled.search(same_as_built_afresh(lead, url))
    objective_move(objective=second, direction="up")
    assert up_disabled.search(same_as_built_afresh(lead, url))
    aligned = objective_create(
        team=org.sub_team, period=okr.period, title="Sub-team part", why="", owners=[], parent=objective
    )
    sub_team_page = reverse("okrs:team_okrs", args=[org.sub_team.slug, okr.period.slug])
    assert f"Aligns to {org.team.name}: " in same_as_built_afresh(lead, sub_team_page)
    assert "Sub-team part" in same_as_built_afresh(client_as("viewer"), sub_team_page)
    assert aligned.pk


def test_the_memo_lets_the_least_recently_used_rows_go_past_its_size_in_characters(monkeypatch):
    monkeypatch.setattr(fragments, "MEMO_CHARS", 200)
    fragments.forget_rendered_rows()
    for text in ("a" * 30, "b" * 30, "c" * 30):
        _render(Row(text))
    assert len(fragments._memo) == 2, "the oldest row went once the three passed 200 characters"
    assert fragments._memo_chars == sum(fragments._size(key, html) for key, html in fragments._memo.items())
    fragments.forget_rendered_rows()
    assert fragments._memo_chars == 0

"""Every template's `{% url %}` remembers the addresses it made (platformhub/templatetags/addresses.py):
it must give what Django's own tag gives, with the same errors."""

import pytest
from django.template import Context, Template, engines
from django.test import override_settings
from django.urls import NoReverseMatch, path, reverse, set_script_prefix

from platformhub.templatetags import addresses
from platformhub.templatetags.addresses import RememberedURLNode


def _render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_the_url_tag_of_every_template_is_the_remembering_one():
    template = engines["django"].from_string("{% url 'okrs:overview' %}")
    assert [type(node) for node in template.template.nodelist] == [RememberedURLNode]


def test_addresses_with_arguments_are_what_reverse_gives_every_time():
    for pk in (1, 42, 1234567, 42):
        assert _render("{% url 'okrs:check_in' pk %}", pk=pk) == reverse("okrs:check_in", args=[pk])
    assert _render("{% url 'okrs:team_okrs' team period %}", team="platform", period="2026-q4") == reverse(
        "okrs:team_okrs", args=["platform", "2026-q4"]
    )
    assert _render("{% url 'okrs:check_in' pk=7 %}") == reverse("okrs:check_in", kwargs={"pk": 7})


def test_an_address_follows_the_script_prefix():
    assert _render("{% url 'okrs:check_in' 7 %}") == "/key-results/7/check-in/"
    set_script_prefix("/hub/")
    try:
        assert _render("{% url 'okrs:check_in' 7 %}") == "/hub/key-results/7/check-in/"
    finally:
        set_script_prefix("/")
    assert _render("{% url 'okrs:check_in' 7 %}") == "/key-results/7/check-in/"


def test_as_a_variable_it_is_set_and_a_missing_address_is_empty():
    assert _render("{% url 'okrs:check_in' 7 as link %}[{{ link }}]") == "[/key-results/7/check-in/]"
    assert _render("{% url 'okrs:check_in' 'not-a-number' as link %}[{{ link }}]") == "[]"


def test_a_missing_address_raises_as_djangos_tag_does():
    with pytest.raises(NoReverseMatch):
        _render("{% url 'okrs:check_in' 'not-a-number' %}")
    with pytest.raises(NoReverseMatch):
        _render("{% url 'no-such-view' %}")


def test_an_address_is_escaped_where_autoescape_is_on():
    address = reverse("okrs:shared_roadmap", args=["a&b"])
    assert "&" in address
    assert _render("{% url 'okrs:shared_roadmap' token %}", token="a&b") == address.replace("&", "&amp;")
    assert (
        _render("{% autoescape off %}{% url 'okrs:shared_roadmap' token %}{% endautoescape %}", token="a&b") == address
    )


class Slug:
    """An argument whose text can change, as a model's can."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text


def test_an_argument_that_is_not_a_string_or_an_integer_is_reversed_each_time():
    slug = Slug("first")
    assert _render("{% url 'team_detail' slug %}", slug=slug) == "/teams/first/"
    slug.text = "second"
    assert _render("{% url 'team_detail' slug %}", slug=slug) == "/teams/second/"


def test_a_view_named_in_the_template_is_reversed_once():
    addresses._reverse.cache_clear()
    for _ in range(3):
        assert _render("{% url 'okrs:check_in' 9 %}") == "/key-results/9/check-in/"
    info = addresses._reverse.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def _team_elsewhere(request, slug):
    """A view of the other URLconf below."""


urlpatterns = [path("elsewhere/<slug:slug>/", _team_elsewhere, name="team_detail")]


def test_an_address_follows_the_urlconf_a_test_swaps_in():
    assert _render("{% url 'team_detail' 'platform' %}") == "/teams/platform/"
    with override_settings(ROOT_URLCONF=__name__):
        assert _render("{% url 'team_detail' 'platform' %}") == "/elsewhere/platform/"
    assert _render("{% url 'team_detail' 'platform' %}") == "/teams/platform/"

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from okrs.templatetags.okrs import cached_markdown, pk_url
from platformhub.html import render_markdown


@pytest.mark.parametrize(
    "name", ["okrs:key_result_detail", "okrs:check_in", "okrs:key_result_move", "okrs:objective_edit"]
)
def test_pk_url_is_what_reverse_gives(name):
    for pk in (1, 42, 1234567):
        assert pk_url(name, pk) == reverse(name, args=[pk])


def test_pk_url_follows_the_script_prefix():
    set_script_prefix("/hub/")
    try:
        assert pk_url("okrs:check_in", 7) == "/hub/key-results/7/check-in/" == reverse("okrs:check_in", args=[7])
    finally:
        set_script_prefix("/")
    assert pk_url("okrs:check_in", 7) == "/key-results/7/check-in/"


def test_pk_url_refuses_a_url_that_takes_no_primary_key():
    with pytest.raises(NoReverseMatch):
        pk_url("okrs:overview", 1)
    with pytest.raises(NoReverseMatch):
        pk_url("okrs:team_okrs", 1)


def test_cached_markdown_renders_like_the_markdown_filter():
    text = "**Why** it <script>alert(1)</script> [matters](javascript:alert(1))"
    assert cached_markdown(text) == render_markdown(text)
    assert cached_markdown(text) is cached_markdown(text)

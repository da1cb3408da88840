import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from okrs.templatetags.okrs import pk_url
from platformhub.html import CACHED_UP_TO, render_markdown
from platformhub.urls_cache import reverse_cached


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


def test_reverse_cached_is_what_reverse_gives_under_any_script_prefix():
    assert reverse_cached("okrs:team_okrs", "platform", "2022-q4") == reverse(
        "okrs:team_okrs", args=["platform", "2022-q4"]
    )
    set_script_prefix("/hub/")
    try:
        assert reverse_cached("okrs:team_okrs", "platform", "2022-q4") == "/hub/teams/platform/okrs/2022-q4/"
    finally:
        set_script_prefix("/")


def test_markdown_is_rendered_once_per_text_and_sanitised_the_same():
    text = "**Why** it <script>alert(1)</script> [matters](javascript:alert(1))"
    assert render_markdown(text) is render_markdown(text)
    assert "<script" not in render_markdown(text)
    assert 'href="javascript:' not in render_markdown(text)  # left as plain text
    long_text = "x" * (CACHED_UP_TO + 1)
    assert render_markdown(long_text) == render_markdown(long_text)
    assert render_markdown(long_text) is not render_markdown(long_text)

from html.parser import HTMLParser

import pytest

from platformhub.html import render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    "![x](x onerror=alert(1))",
    '<div style="background:url(javascript:alert(1))">x</div>',
]


class _ElementCollector(HTMLParser):
    """The elements and attributes a browser would build from the HTML (text stays text)."""

    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = _ElementCollector()
    collector.feed(html)
    return collector.elements


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_renders_scripts_and_handlers_inert(payload):
    for tag, attributes in elements_of(render_markdown(payload)):
        assert tag not in {"script", "iframe", "img", "svg", "style"}
        assert not [name for name in attributes if name.startswith("on") or name == "style"]
        assert not (attributes.get("href") or "").strip().lower().startswith("javascript:")


def test_markdown_keeps_the_formatting_people_use():
    html = render_markdown("- **Be frugal**\n- see [the handbook](https://posthog.com/handbook)\n\n`make run`")
    assert "<li><strong>Be frugal</strong></li>" in html
    assert '<a href="https://posthog.com/handbook" rel="noopener noreferrer nofollow">the handbook</a>' in html
    assert "<code>make run</code>" in html


def test_markdown_of_nothing_is_empty():
    assert render_markdown("") == ""


@pytest.mark.parametrize("link", ["[x](livescript:alert(1))", "[x](javascript:alert(1))", "[x](vbscript:msgbox)"])
def test_a_link_with_a_scheme_we_refuse_stays_plain_text(link):
    assert render_markdown(link) == f"<p>{link}</p>\n"

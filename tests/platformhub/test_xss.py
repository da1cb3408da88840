"""Issue 8: known and generated XSS payloads come out of PlatformHub inert.

Every payload of `xss_payloads.txt` (at least 1,000 from public lists, credited in its header) and
a few hundred Hypothesis-generated ones go through the one sanitising function,
`platformhub.html.render_markdown`, and the HTML that comes out is parsed as a browser would read
it: no <script> (or iframe/object/embed/base/form/meta/style/link/...) element, no on*= attribute,
no style attribute, no javascript:/vbscript:/data: URL in any attribute that takes one. A sample of
the payloads also goes through the real team and OKR pages (markdown fields and autoescaped plain-text
fields alike), which must show the same scriptable elements as with harmless text.
"""

import random
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from okrs.models import TITLE_MAX, Objective
from platformhub.html import render_markdown
from platformhub.models import Team

CORPUS = Path(__file__).with_name("xss_payloads.txt")

# Elements that run script, load a document or restyle/re-target the page. None is on the allowlist.
FORBIDDEN_ELEMENTS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form", "meta",
    "style", "link", "svg", "math", "template", "noscript", "img", "input", "button", "textarea", "select",
}  # fmt: skip
# Attributes whose value is fetched or navigated to (HTML, SVG and legacy ones the payloads use).
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "cite",
    "codebase", "classid", "dynsrc", "lowsrc", "longdesc", "ping", "srcset", "icon", "manifest",
    "profile", "usemap", "archive", "from", "to", "values", "by", "folder", "datasrc",
}  # fmt: skip
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "livescript:", "mocha:", "data:")
# What browsers drop from a URL before reading its scheme (C0 controls, space, DEL), and then some:
# removing them anywhere, not only at the ends and tabs/newlines inside, errs on the strict side.
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]+")


def load_corpus() -> list[str]:
    """The payloads: every non-empty line after the header (which ends at the first empty line)."""
    _header, _, body = CORPUS.read_text(encoding="utf-8").partition("\n\n")
    return [line for line in body.split("\n") if line.strip()]


PAYLOADS = load_corpus()


def dangerous_scheme(value: str) -> str | None:
    """The script-capable scheme a URL attribute value starts with, as a browser would read it.

    `value` is the attribute value as the parser hands it over, i.e. with character references
    already decoded once, exactly like the browser's tokenizer does (decoding twice would flag
    harmless relative links such as `&amp;#106;avascript:`, which a browser never runs).
    """
    normalised = _IGNORED_IN_URLS.sub("", value).lower()
    return next((scheme for scheme in DANGEROUS_SCHEMES if normalised.startswith(scheme)), None)


class _DangerFinder(HTMLParser):
    """Collects every scriptable construct of a piece of HTML as a short, value-free description."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN_ELEMENTS:
            self.findings.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.findings.append(f"{name}= on <{tag}>")
            elif name in ("style", "srcdoc", "formaction", "http-equiv", "id", "name"):
                self.findings.append(f"{name}= on <{tag}>")  # restyling, frames, DOM clobbering
            elif name.startswith(("hx-", "data-hx-")):
                self.findings.append(f"{name}= on <{tag}>")  # htmx on the page would act on it
            elif name in URL_ATTRIBUTES and (scheme := dangerous_scheme(value or "")):
                self.findings.append(f"{scheme} URL in {name}= of <{tag}>")

    handle_startendtag = handle_starttag


def findings(markup: str) -> list[str]:
    finder = _DangerFinder()
    try:
        finder.feed(str(markup))
        finder.close()
    except AssertionError as error:  # html.parser gives up on some broken declarations (<![>...)
        finder.findings.append(f"HTML the checker cannot read: {error}")
    return finder.findings


def assert_inert(markup: str, payload: str) -> None:
    found = findings(markup)
    assert found == [], f"{payload!r} rendered to {markup!r}: {found}"
    # Belt and braces for what a lenient parser might read differently from Chromium.
    assert "<script" not in markup.lower(), f"{payload!r} rendered to {markup!r}"


# --- The checker itself: it has to see the attacks, or every test below passes for nothing. ---


@pytest.mark.parametrize(
    "markup",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//x.example/x.js></SCRIPT>",
        '<img src=x onerror="alert(1)">',
        "<p/onmouseover=alert(1)>x</p>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="  JaVaScRiPt:alert(1)">x</a>',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
        '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
        '<a href="&#14;javascript:alert(1)">x</a>',
        "<a href=vbscript:msgbox(1)>x</a>",
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
        '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
        '<svg><animate attributeName="href" values="javascript:alert(1)"/></svg>',
        "<iframe src=https://example.com></iframe>",
        '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
        "<object data=x></object>",
        "<embed src=x>",
        "<base href=//evil.example/>",
        "<form action=https://evil.example><button>x</button></form>",
        '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
        "<style>*{background:red}</style>",
        '<link rel="stylesheet" href="https://evil.example/x.css">',
        '<p style="background:url(javascript:alert(1))">x</p>',
        '<blockquote cite="javascript:alert(1)">x</blockquote>',
        '<a hx-get="/teams/platform/about/edit/" hx-trigger="load">x</a>',
        '<p data-hx-on:htmx:load="alert(1)">x</p>',
        "<a name=getElementById>x</a>",
    ],
)
def test_the_checker_sees_each_kind_of_attack(markup):
    assert findings(markup), f"the checker let {markup!r} through"


@pytest.mark.parametrize(
    "markup",
    [
        '<p>Read <a href="https://posthog.com/handbook" rel="noopener noreferrer nofollow">the handbook</a></p>',
        '<p><a href="mailto:ellie@example.com">Ellie</a> &lt;script&gt;alert(1)&lt;/script&gt;</p>',
        '<p><a href="&amp;#106;avascript:alert(1)">relative, never run</a></p>',
        '<p><a href="jav%09ascript:alert(1)">relative, never run</a> javascript:alert(1) onerror=x</p>',
        "<table><thead><tr><th align=left>a</th></tr></thead></table><pre><code>&lt;svg onload=x&gt;</code></pre>",
    ],
)
def test_the_checker_leaves_harmless_html_alone(markup):
    assert findings(markup) == []


# --- The corpus of known payloads. ---


def test_the_corpus_holds_at_least_1000_distinct_known_payloads():
    assert len(PAYLOADS) >= 1000
    assert len(set(PAYLOADS)) == len(PAYLOADS), "the corpus has duplicate lines"
    header = CORPUS.read_text(encoding="utf-8").partition("\n\n")[0]
    for source in ("swisskyrepo/PayloadsAllTheThings", "payloadbox/xss-payload-list", "danielmiessler/SecLists"):
        assert source in header, f"the header should credit {source}"


def test_at_least_1000_of_the_payloads_are_attacks_without_the_sanitiser():
    """Printed raw into a page (what `|safe` would do) or rendered by a markdown renderer that lets
    raw HTML and every link through, at least 1,000 payloads would put script in the page (the rest
    are mostly JavaScript-context strings, harmless in HTML): the corpus tests something, and the
    sanitiser is what stops it."""
    unsafe = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    unsafe.validateLink = lambda url: True  # markdown-it's own javascript:/vbscript: filter, off

    attacks = [payload for payload in PAYLOADS if findings(payload) or findings(unsafe.render(payload))]

    assert len(attacks) >= 1000, f"only {len(attacks)} of {len(PAYLOADS)} payloads are attacks"


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"corpus-{number}" for number in range(1, len(PAYLOADS) + 1)])
def test_every_known_payload_renders_inert(payload):
    assert_inert(render_markdown(payload), payload)


# --- Hypothesis: payloads built from the same ingredients, obfuscated at random. ---

SCHEMES = ["javascript:", "vbscript:", "data:text/html,", "data:image/svg+xml,", "livescript:"]
JS = ["alert(1)", "window.__xss=1", "alert`1`", "eval(atob('YWxlcnQoMSk='))", "top['al'+'ert'](1)", "//%0aalert(1)"]
TAGS = ["a", "img", "svg", "math", "iframe", "object", "embed", "script", "style", "p", "div", "details", "video",
        "body", "form", "button", "input", "base", "meta", "link", "x", "td", "li", "code"]  # fmt: skip
EVENTS = ["onload", "onerror", "onclick", "onmouseover", "onfocus", "ontoggle", "onbegin", "onanimationstart",
          "OnErRoR", "onpointerenter", "onauxclick"]  # fmt: skip
ATTRIBUTES = ["href", "src", "action", "formaction", "xlink:href", "data", "srcdoc", "style", "background", "poster",
              "hx-get", "hx-on:click", "id", "name"]  # fmt: skip
QUOTES = ['"', "'", "`", ""]
WHITESPACE = ["\t", "\n", "\r", "\x00", "\x0b", "\x0c", " ", "&Tab;", "&NewLine;", "&#9;", "&#x0A;", "&#13;", "%09"]
TEXT = st.text(alphabet=st.sampled_from([*"ab xyz<>/\"'`=&#;:()[]!*_\\\n\t-|", "\x00", "é", "\u2028"]), max_size=12)


@st.composite
def obfuscated(draw, word: str) -> str:
    """`word` with each character maybe re-cased, written as a character reference, percent-encoded
    or preceded by whitespace/control characters."""
    out = []
    for char in word:
        how = draw(
            st.sampled_from(["plain", "plain", "case", "dec", "dec0", "hex", "hex-nosemi", "pct", "ws", "named"])
        )
        if how == "case":
            out.append(char.swapcase())
        elif how == "dec":
            out.append(f"&#{ord(char)};")
        elif how == "dec0":
            out.append(f"&#{ord(char):07d}")
        elif how == "hex":
            out.append(f"&#x{ord(char):X};")
        elif how == "hex-nosemi":
            out.append(f"&#x{ord(char):04x}")
        elif how == "pct":
            out.append(f"%{ord(char):02X}")
        elif how == "ws":
            out.append(draw(st.sampled_from(WHITESPACE)) + char)
        elif how == "named" and char == ":":
            out.append("&colon;")
        else:
            out.append(char)
    return "".join(out)


@st.composite
def urls(draw) -> str:
    scheme = draw(obfuscated(draw(st.sampled_from(SCHEMES))))
    lead = draw(st.sampled_from(["", " ", "\t", "&#14;", "&#x20;", "\\", "\x01"]))
    return lead + scheme + draw(st.sampled_from(JS))


@st.composite
def payloads(draw) -> str:
    url, js, text = draw(urls()), draw(st.sampled_from(JS)), draw(TEXT)
    tag, event, attribute = (
        draw(st.sampled_from(TAGS)),
        draw(st.sampled_from(EVENTS)),
        draw(st.sampled_from(ATTRIBUTES)),
    )
    quote, quote2 = draw(st.sampled_from(QUOTES)), draw(st.sampled_from(QUOTES))
    event_markup = draw(obfuscated(event)) if draw(st.booleans()) else event
    separator = draw(st.sampled_from([" ", "/", "\t", "\n", "%09", " /"]))
    pieces = [
        f"[{text}]({url})",
        f"![{text}]({url})",
        f"[{text}](<{url}>)",
        f'[{text}](https://example.com "{quote}{separator}{event}={quote2}{js}")',
        f"![{text}](x{quote2}{separator}{event}={quote}{js})",
        f"<{url}>",
        f"[{text}][r]\n\n[r]: {url}",
        f"[r]: {url} {quote}{text}{quote}\n\n![x][r]",
        f"<{tag}{separator}{event_markup}={quote}{js}{quote}>{text}</{tag}>",
        f"<{tag} {attribute}={quote}{url}{quote}>{text}",
        f"<a href={quote}{url}{quote}>{text}</a>",
        f"<svg><a xlink:href={quote}{url}{quote}><text>{text}</text></a></svg>",
        f"<math><{tag} href={quote}{url}{quote}>{text}</{tag}></math>",
        f'<img src=x {event_markup}={quote}{js}{quote}{separator}alt="{text}">',
        f"<{tag} style={quote}background:url({url}){quote}>",
        f"<{tag}>{text}</{tag}>",
    ]
    chosen = draw(st.lists(st.sampled_from(pieces), min_size=1, max_size=4))
    prefix = draw(st.sampled_from(["", "> ", "- ", "1. ", "# ", "| a | b |\n| - | - |\n| ", "**", "`", "    "]))
    joiner = draw(st.sampled_from(["", " ", "\n", "\n\n", text]))
    return prefix + joiner.join(chosen)


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=payloads())
def test_generated_payloads_render_inert(payload):
    assert_inert(render_markdown(payload), payload)


@settings(max_examples=200, deadline=None, database=None)
@given(payload=st.text(max_size=200))
def test_arbitrary_text_renders_inert(payload):
    assert_inert(render_markdown(payload), payload)


# --- The same payloads in the real pages: markdown fields and autoescaped plain-text fields. ---

PAGE_SAMPLE = random.Random(8).sample(PAYLOADS, 50)


def _page_findings(client, url: str) -> tuple[str, Counter]:
    response = client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    return content, Counter(findings(content))


def _write(org, okr, text: str) -> None:
    Team.objects.filter(pk=org.team.pk).update(name=text[:100], mission=text, guidelines=text)
    Objective.objects.filter(pk=okr.objective.pk).update(title=text[:TITLE_MAX], why=text)


@pytest.mark.parametrize("payload", PAGE_SAMPLE, ids=[f"page-{number}" for number in range(1, len(PAGE_SAMPLE) + 1)])
def test_a_payload_saved_in_every_text_field_adds_nothing_scriptable_to_the_pages(org, okr, client_as, payload):
    """Team name, mission (autoescaped), guidelines (markdown), objective title (autoescaped) and why
    (markdown) all hold the payload; the team page and the OKR page then carry exactly the scriptable
    elements (the page's own nonce'd scripts, its logout form, ...) they carry with harmless text."""
    client = client_as("lead")
    team_page = reverse("team_detail", args=[org.team.slug])
    okr_page = reverse("okrs:team_okrs", args=[org.team.slug, okr.period.slug])
    _write(org, okr, "Harmless words")
    _, team_baseline = _page_findings(client, team_page)
    _, okr_baseline = _page_findings(client, okr_page)

    _write(org, okr, payload)
    team_html, team_found = _page_findings(client, team_page)
    okr_html, okr_found = _page_findings(client, okr_page)

    assert team_found == team_baseline, f"{payload!r} added {team_found - team_baseline} to the team page"
    assert okr_found == okr_baseline, f"{payload!r} added {okr_found - okr_baseline} to the OKR page"
    assert f'<p class="mission">{escape(payload)}</p>' in team_html, "the mission is shown as text, escaped"
    assert str(escape(payload[:TITLE_MAX])) in okr_html, "the objective title is shown as text, escaped"

"""The progress bar, status badge and select options that long pages draw hundreds of times, built in Python."""

from okrs.progress import Status
from platformhub.html import progress_bar, select_options, status_badge


def test_a_bar_names_itself_after_its_label_and_escapes_it():
    bar = progress_bar(40, status=Status.AT_RISK, label='Ship <script>alert("x")</script>')
    assert bar.startswith('<div class="bar bar--at_risk" role="progressbar" aria-valuenow="40"')
    assert 'aria-label="Ship &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;: 40%"' in bar
    assert '<rect class="bar__fill" width="40" height="10"/>' in bar
    assert "<script>" not in bar


def test_a_bar_without_a_status_or_label_is_plain_progress():
    bar = progress_bar(0)
    assert bar.startswith('<div class="bar" role="progressbar" aria-valuenow="0" aria-label="Progress: 0%">')


def test_a_badge_shows_the_statuss_label_and_nothing_without_a_status():
    assert status_badge(Status.ON_TRACK) == '<span class="status status--on_track">On track</span>'
    assert status_badge(None) == ""


def test_options_escape_their_values_and_labels_and_mark_the_selected_one():
    options = select_options([("a&b", "R&D <ops>", False), ('say "hi"', "— Ingestion", True)])
    assert options == (
        '<option value="a&amp;b">R&amp;D &lt;ops&gt;</option>'
        '<option value="say &quot;hi&quot;" selected>— Ingestion</option>'
    )
    assert select_options([]) == ""

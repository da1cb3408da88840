import pytest
from django.urls import reverse

from integrations.models import GitHubIssue, IssueLink, SavedSearch
from integrations.services import key_result_link_issues, saved_search_add
from okrs.services import check_in_record
from tests.rows import same_as_built_afresh

HTMX = {"HTTP_HX_REQUEST": "true"}


def _link_url(okr):
    return reverse("integrations:link_issues", args=[okr.kr.pk])


def test_pasting_a_list_links_the_good_references_and_explains_each_bad_one(okr, client_as):
    text = (
        "PostHog/posthog#123\n"
        "https://github.com/PostHog/charts/pull/45\n"
        "not an issue\n"
        "https://gitlab.com/a/b/issues/1, PostHog/posthog#0"
    )
    response = client_as("engineer").post(_link_url(okr), {"references": text}, **HTMX)
    content = response.content.decode()
    assert response.status_code == 422
    assert "Line 3: “not”" in content
    assert "Line 3: “an”" in content
    assert "Line 4: “https://gitlab.com/a/b/issues/1”" in content
    assert "Line 4: “PostHog/posthog#0”" in content
    assert "Linked 2 issues" in content
    linked = set(IssueLink.objects.filter(key_result=okr.kr).values_list("issue__repo", "issue__number"))
    assert linked == {("posthog/posthog", 123), ("posthog/charts", 45)}
    assert "https://gitlab.com/a/b/issues/1" in content.split('name="references"')[1]  # kept to correct


def test_linking_the_same_issue_again_says_so(okr, client_as):
    key_result_link_issues(key_result=okr.kr, text="PostHog/posthog#1", added_by=None)
    response = client_as("engineer").post(_link_url(okr), {"references": "posthog/POSTHOG#1"}, **HTMX)
    assert "Already linked: posthog/posthog#1" in response.content.decode()
    assert IssueLink.objects.count() == 1


def test_linking_without_javascript_redirects_to_the_key_result(okr, client_as):
    response = client_as("lead").post(_link_url(okr), {"references": "PostHog/posthog#9"})
    assert response.status_code == 302
    assert response["Location"] == okr.kr.get_absolute_url()


def test_an_empty_paste_is_an_error_next_to_the_field(okr, client_as):
    response = client_as("lead").post(_link_url(okr), {"references": ""}, **HTMX)
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


def test_unlinking_removes_only_the_link(okr, client_as):
    key_result_link_issues(key_result=okr.kr, text="PostHog/posthog#1", added_by=None)
    link = IssueLink.objects.get()
    response = client_as("engineer").post(reverse("integrations:unlink_issue", args=[link.pk]), **HTMX)
    assert response.status_code == 200
    assert not IssueLink.objects.exists()
    assert GitHubIssue.objects.exists()


def test_saved_searches_are_added_and_removed(okr, client_as):
    client = client_as("engineer")
    url = reverse("integrations:add_saved_search", args=[okr.kr.pk])
    response = client.post(url, {"query": "repo:PostHog/posthog label:heroku-migration"}, **HTMX)
    assert "repo:PostHog/posthog label:heroku-migration" in response.content.decode()
    search = SavedSearch.objects.get()
    assert client.post(url, {"query": search.query}, **HTMX).status_code == 422
    client.post(reverse("integrations:remove_saved_search", args=[search.pk]), **HTMX)
    assert not SavedSearch.objects.exists()


def test_the_kr_page_lists_linked_issues_with_state_assignees_labels_and_activity(okr, client_as):
    key_result_link_issues(key_result=okr.kr, text="PostHog/posthog#7", added_by=None)
    GitHubIssue.objects.update(
        title="Move Postgres",
        state="closed",
        assignees=["guido"],
        labels=["heroku-migration"],
        html_url="https://github.com/PostHog/posthog/issues/7",
    )
    content = client_as("viewer").get(okr.kr.get_absolute_url()).content.decode()
    assert "posthog/posthog#7" in content
    assert "Move Postgres" in content
    assert ">Closed<" in content
    assert "guido" in content
    assert "heroku-migration" in content
    assert 'href="https://github.com/PostHog/posthog/issues/7"' in content
    assert "Link issues" not in content  # viewers read only


ROLE_STATUS = {"lead": 302, "engineer": 302, "staff": 302, "viewer": 403, "outsider": 404, "anonymous": 302}


@pytest.mark.parametrize("role", ROLE_STATUS)
def test_linking_by_role(okr, client_as, role):
    response = client_as(role).post(_link_url(okr), {"references": "PostHog/posthog#5"})
    assert response.status_code == ROLE_STATUS[role]
    assert IssueLink.objects.exists() is (role in ("lead", "engineer", "staff"))


@pytest.mark.parametrize("role", ROLE_STATUS)
def test_unlinking_and_searches_by_role(okr, client_as, role):
    key_result_link_issues(key_result=okr.kr, text="PostHog/posthog#5", added_by=None)
    search = saved_search_add(key_result=okr.kr, query="repo:PostHog/posthog", created_by=None)
    client = client_as(role)
    allowed = role in ("lead", "engineer", "staff")
    expected = ROLE_STATUS[role]
    assert client.get(_link_url(okr)).status_code == (200 if allowed else expected)
    assert client.post(reverse("integrations:unlink_issue", args=[IssueLink.objects.get().pk])).status_code == expected
    assert client.post(reverse("integrations:remove_saved_search", args=[search.pk])).status_code == expected
    assert (
        client.post(reverse("integrations:add_saved_search", args=[okr.kr.pk]), {"query": "label:x"}).status_code
        == expected
    )
    assert IssueLink.objects.exists() is not allowed


def test_a_closed_quarter_refuses_new_links(okr, client_as, org):
    from decimal import Decimal

    from okrs.services import period_close

    period_close(team=org.team, period=okr.period, closed_by=None, scores={okr.kr.pk: (Decimal("0.5"), "")})
    response = client_as("lead").post(_link_url(okr), {"references": "PostHog/posthog#5"}, **HTMX)
    assert response.status_code == 422
    assert "Q4 2022 is closed for Platform" in response.content.decode()
    assert not IssueLink.objects.exists()


def test_a_closed_quarter_keeps_its_links_and_searches(okr, client_as, org):
    from decimal import Decimal

    from okrs.services import period_close

    key_result_link_issues(key_result=okr.kr, text="PostHog/posthog#5", added_by=None)
    search = saved_search_add(key_result=okr.kr, query="repo:PostHog/posthog", created_by=None)
    period_close(team=org.team, period=okr.period, closed_by=None, scores={okr.kr.pk: (Decimal("0.5"), "")})
    client = client_as("engineer")
    response = client.post(reverse("integrations:unlink_issue", args=[IssueLink.objects.get().pk]), **HTMX)
    assert response.status_code == 422
    assert "Q4 2022 is closed for Platform" in response.content.decode()
    assert client.post(reverse("integrations:remove_saved_search", args=[search.pk]), **HTMX).status_code == 422
    assert IssueLink.objects.exists()
    assert SavedSearch.objects.exists()


def test_linking_on_the_kr_page_also_refreshes_where_it_stands(okr, client_as):
    from okrs.models import KeyResult

    KeyResult.objects.filter(pk=okr.kr.pk).update(kind="issues")
    response = client_as("engineer").post(
        _link_url(okr), {"references": "PostHog/posthog#1\nPostHog/posthog#2"}, HTTP_HX_TARGET="kr-issues", **HTMX
    )
    summary = response.content.decode().split('<div id="kr-summary" class="kr-detail" hx-swap-oob="true">')[1]
    assert "0 of 2 linked issues closed" in summary


def test_a_huge_issue_number_is_explained_on_its_line_and_the_good_ones_linked(okr, client_as):
    text = "PostHog/posthog#1\nocto/repo#2147483648\nocto/repo#" + "9" * 5000
    response = client_as("engineer").post(_link_url(okr), {"references": text}, **HTMX)
    content = response.content.decode()
    assert response.status_code == 422
    assert "Line 2: “octo/repo#2147483648”: No issue has a number that big: they go up to 2147483647." in content
    assert "Line 3: “octo/repo#999" in content
    assert list(GitHubIssue.objects.values_list("repo", "number")) == [("posthog/posthog", 1)]


def test_the_key_result_page_with_remembered_issue_rows_is_the_page_built_afresh_after_each_change(okr, client_as):
    url = okr.kr.get_absolute_url()
    engineer = client_as("engineer")
    key_result_link_issues(key_result=okr.kr, text="PostHog/posthog#1\nPostHog/posthog#2", added_by=None)
    assert "(waiting for the first sync)" in same_as_built_afresh(engineer, url)
    GitHubIssue.objects.filter(number=1).update(
        title="Move the <events> table", state="closed", labels=["blocked"], assignees=["guido"]
    )
    page = same_as_built_afresh(engineer, url)
    assert "Move the &lt;events&gt; table" in page
    assert '<span class="label">blocked</span>' in page
    GitHubIssue.objects.filter(number=2).update(deleted=True)
    assert 'class="issue--gone"' in same_as_built_afresh(engineer, url)
    assert "Unlink" not in same_as_built_afresh(client_as("viewer"), url)


def test_the_key_result_chart_remembered_is_the_chart_drawn_afresh_after_a_check_in_and_a_rename(okr, client_as):
    url = okr.kr.get_absolute_url()
    lead = client_as("lead")
    assert same_as_built_afresh(lead, url).count('class="chart__point"') == okr.kr.check_ins.count() + 1
    check_in_record(key_result=okr.kr, author=None, expected_version=okr.kr.version, confidence="low", value=2)
    page = same_as_built_afresh(lead, url)
    assert page.count('class="chart__point"') == okr.kr.check_ins.count() + 1
    okr.kr.title = "Databases <migrated>"
    okr.kr.save(update_fields=["title"])
    assert "Progress of “Databases &lt;migrated&gt;” over the quarter" in same_as_built_afresh(lead, url)

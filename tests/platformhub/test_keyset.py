import base64
import datetime

import pytest
from django.utils import timezone

from okrs.models import CheckIn
from platformhub.keyset import keyset_page
from platformhub.models import Team
from tests.factories import CheckInFactory, KeyResultFactory, TeamFactory

pytestmark = pytest.mark.django_db


def walk(queryset, ordering, size):
    """Every page from the first, following the next links; then back, following the previous links."""
    pages = [keyset_page(queryset, ordering=ordering, size=size)]
    while pages[-1].has_next:
        pages.append(keyset_page(queryset, ordering=ordering, size=size, after=pages[-1].next_cursor))
    backwards = [pages[-1]]
    while backwards[-1].has_previous:
        backwards.append(keyset_page(queryset, ordering=ordering, size=size, before=backwards[-1].previous_cursor))
    return pages, backwards[::-1]


def test_pages_forward_and_back_cover_every_row_once_in_order():
    for index in range(23):
        TeamFactory(name=f"Team {index % 7:02d}-{index:02d}")
    everyone = list(Team.objects.order_by("name", "pk"))

    forward, backward = walk(Team.objects.all(), ("name", "pk"), 5)

    assert [len(page) for page in forward] == [5, 5, 5, 5, 3]
    assert [team for page in forward for team in page] == everyone
    assert [[team.pk for team in page] for page in backward] == [[team.pk for team in page] for page in forward]
    assert not forward[0].has_previous
    assert forward[0].previous_cursor is None
    assert not forward[-1].has_next
    assert forward[-1].next_cursor is None


def test_rows_read_as_values_page_as_models_do():
    for index in range(12):
        TeamFactory(name=f"Team {index % 4:02d}-{index:02d}")
    everyone = list(Team.objects.order_by("name", "pk").values("pk", "name"))

    forward, backward = walk(Team.objects.values("pk", "name"), ("name", "pk"), 5)

    assert [[row["pk"] for row in page] for page in forward] == [
        [row["pk"] for row in everyone[n : n + 5]] for n in (0, 5, 10)
    ]
    assert [row for page in backward for row in page] == [row for page in forward for row in page]
    assert {name for page in forward for row in page for name in row} == {"pk", "name", "keyset_0", "keyset_1"}


def test_descending_times_page_alike_on_every_database():
    """Times go through the cursor as text and come back as aware datetimes the column compares with."""
    key_result = KeyResultFactory()
    moment = timezone.now().replace(microsecond=123456)
    for _ in range(9):
        CheckInFactory(key_result=key_result)
    CheckIn.objects.update(created_at=moment)  # ties on the time fall back to the primary key
    CheckIn.objects.filter(pk__in=list(CheckIn.objects.values_list("pk", flat=True)[:3])).update(
        created_at=moment - datetime.timedelta(microseconds=1)
    )
    expected = list(CheckIn.objects.order_by("-created_at", "-pk"))

    forward, backward = walk(CheckIn.objects.all(), ("-created_at", "-pk"), 2)

    assert [check_in for page in forward for check_in in page] == expected
    assert [check_in for page in backward for check_in in page] == expected


def test_a_page_is_one_query(django_assert_num_queries):
    for index in range(12):
        TeamFactory(name=f"T{index:02d}")
    first = keyset_page(Team.objects.all(), ordering=("name", "pk"), size=5)
    with django_assert_num_queries(1):
        page = keyset_page(Team.objects.all(), ordering=("name", "pk"), size=5, after=first.next_cursor)
        list(page)
    assert [team.name for team in page] == [f"T{index:02d}" for index in range(5, 10)]


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        base64.urlsafe_b64encode(b"{not json").decode(),
        base64.urlsafe_b64encode(b'["only one value"]').decode(),
        base64.urlsafe_b64encode(b'["a", "not a number"]').decode(),
        base64.urlsafe_b64encode(b'["a", 99999999999999999999999]').decode(),
        base64.urlsafe_b64encode(b'["a\\u0000", 1]').decode(),
        base64.urlsafe_b64encode(b"[null, 1]").decode(),
    ],
)
def test_a_cursor_it_did_not_make_shows_the_first_page(cursor):
    for index in range(4):
        TeamFactory(name=f"T{index}")
    for direction in ("after", "before"):
        page = keyset_page(Team.objects.all(), ordering=("name", "pk"), size=3, **{direction: cursor})
        assert [team.name for team in page] == ["T0", "T1", "T2"]
        assert page.has_next
        assert not page.has_previous


def test_pages_are_at_most_a_hundred_rows():
    with pytest.raises(ValueError, match="1 to 100 rows"):
        keyset_page(Team.objects.all(), ordering=("pk",), size=101)

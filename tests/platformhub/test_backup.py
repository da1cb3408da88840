"""Backup and restore: `export_data` and `import_data` round-trip the whole database, on one
backend and from SQLite to PostgreSQL and back, with the pages reading the same."""

import io
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from simple_history.models import registered_models

from integrations.models import GitHubIssue
from platformhub.models import Team
from tests.platformhub.backup_pages import PAGES, SCALE_PAGES, render_pages

REPO = Path(__file__).resolve().parents[2]
POSTGRES = "postgres://postgres@127.0.0.1:5432"
WHOLE_SECOND = re.compile(r'("\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.000(Z|[+-]\d\d:\d\d")')


def history_rows() -> int:
    return sum(model.history.count() for model in registered_models.values() if hasattr(model, "history"))


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_every_page_and_all_history(tmp_path, quiet):
    call_command("load_demo", stdout=quiet)
    before, history = render_pages(), history_rows()
    backup = tmp_path / "backup.json"
    call_command("export_data", str(backup), stdout=quiet)

    call_command("import_data", str(backup), replace=True, stdout=quiet)

    assert render_pages() == before
    assert history_rows() == history > 0, "history comes back as it was, with no rows added by the restore"


@pytest.mark.django_db(transaction=True)
def test_a_backup_made_before_the_issue_flags_existed_restores_them_from_the_labels(tmp_path, quiet):
    GitHubIssue.objects.create(repo="posthog/posthog", number=1, labels=["blocked"], assignees=["tim"])
    GitHubIssue.objects.create(repo="posthog/posthog", number=2, labels=["bug"])
    backup = tmp_path / "backup.json"
    call_command("export_data", str(backup), stdout=quiet)
    records = json.loads(backup.read_text())
    for record in records:
        if record["model"] == "integrations.githubissue":
            del record["fields"]["blocked_label"], record["fields"]["unassigned"]
    backup.write_text(json.dumps(records))

    call_command("import_data", str(backup), replace=True, stdout=quiet)

    assert list(GitHubIssue.objects.order_by("number").values_list("blocked_label", "unassigned")) == [
        (True, False),
        (False, True),
    ]


@pytest.mark.django_db(transaction=True)
def test_restoring_into_a_database_with_data_is_refused(tmp_path, org, quiet):
    backup = tmp_path / "backup.json"
    call_command("export_data", str(backup), stdout=quiet)

    with pytest.raises(CommandError, match="already has data"):
        call_command("import_data", str(backup), stdout=quiet)


@pytest.mark.django_db(transaction=True)
def test_a_broken_backup_changes_nothing(tmp_path, org, quiet):
    backup = tmp_path / "backup.json"
    call_command("export_data", str(backup), stdout=quiet)
    records = json.loads(backup.read_text())
    records.append({"model": "platformhub.team", "pk": 999, "fields": {"parent": 12345, "name": "Orphan"}})
    backup.write_text(json.dumps(records))
    teams = set(Team.objects.values_list("name", flat=True))

    with pytest.raises(Exception, match="Problem installing fixture"):
        call_command("import_data", str(backup), replace=True, stdout=quiet)

    assert set(Team.objects.values_list("name", flat=True)) == teams, "nothing already saved is lost"


@pytest.fixture
def quiet():
    return io.StringIO()


def _manage(database_url: str, *args: str) -> str:
    return _start(database_url, "manage.py", *args).communicate()[0]


def _start(database_url: str, *args: str) -> subprocess.Popen:
    """A command against one database, started without waiting (the round trip is the suite's
    longest test, so the steps that do not depend on each other run side by side)."""
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": database_url, "PYTHONPATH": str(REPO)}
    return _Checked(
        [sys.executable, *args], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


class _Checked(subprocess.Popen):
    """A Popen whose `communicate()` raises when the command failed, with what it printed."""

    def communicate(self, *args, **kwargs):
        out, err = super().communicate(*args, **kwargs)
        if self.returncode:
            raise subprocess.CalledProcessError(self.returncode, self.args, out, err)
        return out, err


def _pages(*database_urls: str) -> list[dict[str, str]]:
    """Every page as rendered from each database, the databases read side by side."""
    script = REPO / "tests" / "platformhub" / "backup_pages.py"
    running = [_start(url, str(script)) for url in database_urls]
    return [json.loads(process.communicate()[0]) for process in running]


@pytest.fixture
def postgres_database():
    """A scratch PostgreSQL database for the round trip (skipped without PostgreSQL, except in CI)."""
    name = f"platformhub_backup_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(f"{POSTGRES}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        if os.environ.get("CI"):
            raise
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        yield f"{POSTGRES}/{name}"
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="uses both databases itself, so it runs once, in the SQLite pass",
)
def test_a_backup_moves_from_sqlite_to_postgresql_and_back_unchanged(tmp_path, postgres_database):
    """The demo data and, beside it, the generated reference org of `seed_scale --size S` (4,340
    rows more: 5 teams, 70 key results, 700 check-ins, 1,400 linked issues, 200 cards)."""
    first, last = f"sqlite:///{tmp_path / 'first.sqlite3'}", f"sqlite:///{tmp_path / 'last.sqlite3'}"
    postgresql_migrated = _start(postgres_database, "manage.py", "migrate", "--no-input", "-v0")
    _manage(first, "migrate", "--no-input", "-v0")
    shutil.copyfile(tmp_path / "first.sqlite3", tmp_path / "last.sqlite3")  # migrated and empty
    _manage(first, "load_demo")
    _manage(first, "seed_scale", "--size", "S")
    _manage(first, "export_data", str(tmp_path / "from_sqlite.json"))

    postgresql_migrated.communicate()
    _manage(postgres_database, "import_data", str(tmp_path / "from_sqlite.json"))
    _manage(postgres_database, "export_data", str(tmp_path / "from_postgresql.json"))

    _manage(last, "import_data", str(tmp_path / "from_postgresql.json"))
    _manage(last, "export_data", str(tmp_path / "back_in_sqlite.json"))

    def records(name: str) -> list:
        # Django's serializer writes times to the millisecond, and a time that is a whole second
        # once restored loses its ".000": the same instant, written two ways.
        text = WHOLE_SECOND.sub(r"\1\2", (tmp_path / name).read_text())
        return sorted(json.loads(text), key=lambda r: (r["model"], str(r["pk"])))

    assert records("from_sqlite.json") == records("from_postgresql.json") == records("back_in_sqlite.json")
    pages, from_postgresql, back_in_sqlite = _pages(first, postgres_database, last)
    assert len(pages) == len(PAGES) + len(SCALE_PAGES)
    assert all(page.startswith("200") for page in pages.values())
    assert from_postgresql == pages
    assert back_in_sqlite == pages

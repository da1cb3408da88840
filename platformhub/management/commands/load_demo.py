from django.core.management.base import BaseCommand

from integrations.demo import load_platform_issues
from okrs.demo import load_platform_okrs, load_platform_roadmap
from platformhub.demo import DEMO_PASSWORD, load_platform_team
from sprints.demo import load_platform_rituals, load_platform_sprints


class Command(BaseCommand):
    help = "Load the Platform team from PostHog's handbook as demo data. Safe to run again: it never overwrites."

    def handle(self, *args, **options) -> None:
        team, created = load_platform_team()
        self._report(created, f"{team.name} team and its people")
        self._report(load_platform_okrs(team), "Q4 2022 OKRs")
        self._report(load_platform_issues(team), "GitHub issues behind “Migrate postgres out of heroku”")
        self._report(load_platform_roadmap(team), "6-month and 3-year roadmap")
        self._report(load_platform_sprints(team), "sprints, projects and the board")
        self._report(load_platform_rituals(team), "standups, planning, retros and their actions")
        self.stdout.write(
            f"Log in as ellie (lead), guido or daniel (engineers), or exec (org-wide viewer); password: {DEMO_PASSWORD}"
        )

    def _report(self, created: bool, what: str) -> None:
        self.stdout.write(self.style.SUCCESS(f"Loaded {what}.") if created else f"Kept the existing {what}.")

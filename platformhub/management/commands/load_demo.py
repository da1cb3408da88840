from django.core.management.base import BaseCommand

from platformhub.demo import DEMO_PASSWORD, load_platform_team


class Command(BaseCommand):
    help = "Load the Platform team from PostHog's handbook as demo data (idempotent)."

    def handle(self, *args, **options) -> None:
        team, created = load_platform_team()
        verb = "Loaded" if created else "Kept the existing"
        self.stdout.write(self.style.SUCCESS(f"{verb} {team.name} team and its people."))
        self.stdout.write(
            f"Log in as ellie (lead), guido or daniel (engineers), or exec (org-wide viewer); password: {DEMO_PASSWORD}"
        )

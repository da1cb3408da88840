"""Fill a fresh database with scale data (sizes in platformhub/scale.py) to measure pages against."""

import time

from django.core.management.base import BaseCommand, CommandError

from platformhub.scale import LEAD_USERNAME, PASSWORD, SIZES, VIEWER_USERNAME, ScaleDataPresent, seed_scale


class Command(BaseCommand):
    help = "Create many teams with years of OKRs, issues, sprints, cards and meetings (bulk inserts, no history)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--size", choices=list(SIZES), default="S", help="S (the reference page), M or L")
        parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same data")

    def handle(self, *args, size: str, seed: int, **options) -> None:
        started = time.perf_counter()
        try:
            counts = seed_scale(size=size, seed=seed)
        except ScaleDataPresent as error:
            raise CommandError(str(error)) from error
        elapsed = time.perf_counter() - started
        for label, count in counts.items():
            self.stdout.write(f"{label:<40} {count:>10,}")
        self.stdout.write(f"{'rows in all':<40} {sum(counts.values()):>10,}")
        self.stdout.write(
            self.style.SUCCESS(f"Seeded size {size} with seed {seed} in {elapsed:.1f} s.")
            + f" Log in as {LEAD_USERNAME} or {VIEWER_USERNAME}; password: {PASSWORD}"
        )

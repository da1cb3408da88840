"""Render the demo's main pages as a lead and print them as JSON, with what changes on every
request (CSRF tokens, CSP nonces, clock times, times since) masked, so two databases can be compared.

Run as a script with DATABASE_URL pointing at the database to read."""

import json
import os
import re
import sys

PAGES = [
    "/",
    "/teams/platform/",
    "/teams/platform/okrs/2022-q4/",
    "/okrs/?period=2022-q4",
    "/roadmap/",
    "/teams/platform/roadmap/",
    "/teams/platform/board/",
    "/teams/platform/projects/",
    "/teams/platform/meetings/",
    "/teams/platform/standup/",
    "/sprints/1/report/",
    "/sprints/3/planning/",
    "/people/1/",
]
# The reference team of `seed_scale`, read by its lead, when the database holds scale data.
SCALE_PAGES = [
    "/teams/scale-reference/",
    "/teams/scale-reference/okrs/",
    "/teams/scale-reference/roadmap/",
    "/teams/scale-reference/board/",
    "/teams/scale-reference/dashboard/",
    "/teams/scale-reference/meetings/",
]
MASKS = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'), 'name="csrfmiddlewaretoken" value="…"'),
    (re.compile(r'"X-CSRFToken": "[^"]+"'), '"X-CSRFToken": "…"'),
    (re.compile(r'nonce="[^"]+"'), 'nonce="…"'),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[^\"<]*"), "TIMESTAMP"),
    (re.compile(r"\b\d{1,2}:\d{2}\b"), "HH:MM"),
    # "synced 41 minutes ago": databases read side by side can be read either side of a minute
    (re.compile(r"\b\d+\xa0(?:minute|hour|day)s?\b"), "N\xa0UNITS"),
]


def masked(html: str) -> str:
    for pattern, replacement in MASKS:
        html = pattern.sub(replacement, html)
    return html


def render_pages() -> dict[str, str]:
    from django.contrib.auth.models import User
    from django.test import Client

    pages = {}
    for username, urls in (("ellie", PAGES), ("scale-lead", SCALE_PAGES)):
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        client = Client()
        client.force_login(user)
        for url in urls:
            response = client.get(url, follow=True)
            pages[url] = f"{response.status_code}\n{masked(response.content.decode())}"
    return pages


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platformhub.settings")
    import django
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()
    json.dump(render_pages(), sys.stdout)

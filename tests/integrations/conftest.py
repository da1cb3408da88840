import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from integrations.webhooks import sign

PAYLOADS = Path(__file__).parent / "payloads"
SECRET = "webhook-secret-for-tests"


def payload(name: str) -> dict:
    """A real GitHub payload from tests/integrations/payloads/ (copied from octokit/webhooks)."""
    return json.loads((PAYLOADS / f"{name}.payload.json").read_text())


@pytest.fixture
def webhook_secret(settings):
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    return SECRET


@pytest.fixture
def deliver(client, webhook_secret, django_capture_on_commit_callbacks):
    """POST a signed delivery to the webhook and run the task worker over what it queued."""
    counter = iter(range(1, 10_000))

    def send(event: str, body: dict | bytes, *, delivery: str | None = None, signature: str | None = None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {
            "HTTP_X_GITHUB_EVENT": event,
            "HTTP_X_GITHUB_DELIVERY": delivery or f"delivery-{next(counter)}",
            "HTTP_X_HUB_SIGNATURE_256": signature if signature is not None else sign(secret=SECRET, body=raw),
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("integrations:github_webhook"), raw, content_type="application/json", **headers
            )
        run_worker()
        return response

    return send


def run_worker() -> None:
    """Run the real database task worker until the queue is empty."""
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0, stdout=io.StringIO())

"""Log-in throttling with two limits: an account locks after 10 failures, an IP address after 20.

django-axes has one failure limit (AXES_FAILURE_LIMIT, 20 here) compared against the larger of
its per-parameter counts. Counting each failure on an account twice makes that one limit lock an
account after 10 failures while an address (shared by a whole office, say) gets 20.
"""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum

ACCOUNT_FAILURE_LIMIT = 10


class AccountAndAddressHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        by_account, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        scale = settings.AXES_FAILURE_LIMIT / ACCOUNT_FAILURE_LIMIT
        return max(round(by_account * scale), by_address)

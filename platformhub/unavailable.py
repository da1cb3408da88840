"""A clear 503 page, instead of a stack trace, while the database cannot be reached.

`DatabaseUnavailableMiddleware` sits near the top of MIDDLEWARE (below the security and CSP
middleware, so the page still carries their headers, and above the session and authentication
middleware, which are the first to query). It answers 503 with `Retry-After` when a request
fails with a connection-level database error (`OperationalError` or `InterfaceError`: the
server is down or unreachable, the connection dropped, a SQLite file cannot be opened or stays
locked); every other error, an `IntegrityError` included, is left to Django's usual 500.

Django turns an exception into a 500 response at every middleware boundary, so this middleware
never sees most of them raised: a view's error reaches `process_exception`, and an error raised
in a middleware below this one (a session read when `request.user` is first used, a session
save on the way out) is noticed through `got_request_exception`, which marks the request, and
the 500 answered for it is replaced here.

The page is rendered without a request, so no context processor runs and nothing queries the
database; it has no inline script or style, so the site's Content-Security-Policy allows it.
"""

import logging
import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import get_template
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
_MARK = "_platformhub_database_unavailable"

FALLBACK_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Temporarily unavailable · PlatformHub</title></head>
<body><h1>PlatformHub is temporarily unavailable</h1>
<p>It can't reach its database right now. Nothing you saved before is lost; please try again in a minute.</p>
</body></html>
"""


def is_database_unavailable(error: BaseException | None) -> bool:
    return isinstance(error, UNAVAILABLE_ERRORS)


def unavailable_response() -> HttpResponse:
    """The 503 page, rendered from templates/503.html with no request and no database."""
    try:
        content = get_template("503.html").render({})
    except Exception:  # a missing template or static manifest must not turn a 503 into a 500
        logger.exception("Could not render 503.html; answering the plain page")
        content = FALLBACK_PAGE
    response = HttpResponse(content, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["X-Frame-Options"] = getattr(settings, "X_FRAME_OPTIONS", "DENY")  # its middleware sits below
    add_never_cache_headers(response)
    return response


def _mark_request(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """Django is about to answer 500 for an uncaught exception: note it if the database was the cause."""
    error = sys.exc_info()[1]
    if request is not None and is_database_unavailable(error):
        setattr(request, _MARK, error)


got_request_exception.connect(_mark_request, dispatch_uid="platformhub.unavailable")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        error = getattr(request, _MARK, None)
        if error is not None:
            # Django has logged the error with its traceback as it made the 500 answered below.
            logger.error("Database unavailable: answering 503 to %s %s: %s", request.method, request.path, error)
            return unavailable_response()
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            logger.error(
                "Database unavailable: answering 503 to %s %s", request.method, request.path, exc_info=exception
            )
            return unavailable_response()
        return None

"""Pages that are read again and again (the dashboard, roadmaps, OKR pages) are built once per
change of the data: the browser gets 304 Not Modified for the copy it holds, and another request
for the same page gets the server's copy, both after two queries (the session with the data
version, platformhub/sessions.py, and the user).

A page's key (its ETag) is a hash of everything its HTML depends on: the data version
(platformhub/data_version.py), who reads it, its address (filters and cursor), the minute (the
pages say "5 minutes ago" and judge "stale" and "recent" against the time: `page_clock`), the
CSRF cookie the page's forms carry a token for, and the code and templates that render it. So
a copy is never served after a write, to another reader, by a new release, or a minute later.

What is never answered from a copy: HTMX requests (their fragment depends on headers), requests
with a flash message waiting to be shown, requests without a CSRF cookie yet, anything but a
200 page, and a response that sets a cookie. Server copies live in the "pages" cache (per
process in memory by default, `CACHE_URL` for a shared one); every write makes them unreachable
and the cache's own limit evicts them. Pages are sent `Cache-Control: private, no-cache`: the
browser keeps them but asks every time, and no shared cache stores them.
"""

import datetime
import functools
import hashlib
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import quote_etag

CODE_DIRECTORIES = ("templates", "platformhub", "okrs", "sprints", "integrations")
PAGE_CACHE = "pages"
KEPT_HEADERS = ("Content-Type", "Content-Language")


def page_clock() -> datetime.datetime:
    """The time a page built by `conditional_page` judges by: the start of the current minute,
    so that its HTML stays the same, and its copies valid, until the minute turns."""
    return timezone.now().replace(second=0, microsecond=0)


@functools.cache
def code_stamp() -> str:
    """A hash of the templates and Python code: a new release never serves a copy of old HTML."""
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    for directory in CODE_DIRECTORIES:
        for path in sorted((base / directory).rglob("*")):
            if path.suffix in (".html", ".py") and "migrations" not in path.parts:
                digest.update(path.relative_to(base).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def page_etag(request: HttpRequest) -> str | None:
    """The page's key, or None when this request must be built afresh."""
    if request.method not in ("GET", "HEAD") or request.headers.get("HX-Request"):
        return None
    csrf_cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if not csrf_cookie or "messages" in request.COOKIES or not request.user.is_authenticated:
        return None
    version = getattr(request.session, "data_version", None)
    if version is None or "_messages" in request.session:
        return None
    parts = [
        code_stamp(),
        str(version),
        str(request.user.pk),
        request.get_full_path(),
        page_clock().isoformat(),
        csrf_cookie,
    ]
    return quote_etag(hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40])


def conditional_page[**P](view: Callable[P, HttpResponse]) -> Callable[P, HttpResponse]:
    """Answer 304 when the browser's copy is current, the server's copy when it has one, and
    otherwise build the page and keep a copy."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        etag = page_etag(request)
        if etag is None:
            return view(request, *args, **kwargs)
        cache = caches[PAGE_CACHE]
        if (response := get_conditional_response(request, etag=etag)) is None:
            if (copy := cache.get(etag)) is not None:
                content, headers = copy
                response = HttpResponse(content, headers=headers)
            else:
                response = view(request, *args, **kwargs)
                if response.status_code == 200 and not response.cookies and not response.streaming:
                    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
                    cache.set(etag, (response.content, headers))
        if response.status_code in (200, 304):
            response["ETag"] = etag
            patch_cache_control(response, private=True, no_cache=True)
            patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper

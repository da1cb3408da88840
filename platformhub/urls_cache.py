"""`reverse()` for links drawn on every row of a long page, at a fraction of its cost.

Django's `reverse()` walks the URL resolver each time (about 15 µs); a roadmap or OKR page draws
hundreds of links. A URL whose one argument is a primary key is reversed once per view name
(with a placeholder key that is then replaced), and any other URL is remembered by its
arguments; both per URLconf and script prefix, so they always equal what `reverse()` gives.
"""

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

_PK_PLACEHOLDER = 2_147_483_647


def reverse_pk(view_name: str, pk: int) -> str:
    """`reverse(view_name, args=[pk])`."""
    prefix, suffix = _pk_url_parts(view_name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    return f"{prefix}{int(pk)}{suffix}"


def reverse_cached(view_name: str, *args: str) -> str:
    """`reverse(view_name, args=args)` for arguments that repeat across a page (slugs)."""
    return _reverse(view_name, args, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@functools.cache
def _pk_url_parts(view_name: str, urlconf: str, script_prefix: str) -> tuple[str, str]:
    """The URL around the key; `script_prefix` is in the cache key because reverse() puts it in."""
    prefix, _, suffix = reverse(view_name, args=[_PK_PLACEHOLDER], urlconf=urlconf).rpartition(str(_PK_PLACEHOLDER))
    return prefix, suffix


@functools.lru_cache(maxsize=4096)
def _reverse(view_name: str, args: tuple[str, ...], urlconf: str, script_prefix: str) -> str:
    return reverse(view_name, args=args, urlconf=urlconf)

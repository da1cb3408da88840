"""Following the keyset pager (templates/includes/keyset_nav.html) the way a reader clicks it."""

import html
import re


def pager_link(content: str, rel: str) -> str | None:
    """The pager's "next" or "prev" address (a query string), or None when there is no such page."""
    found = re.search(rf'rel="{rel}" href="([^"]+)"', content)
    return html.unescape(found[1]) if found else None

"""Pages whose rows are remembered (platformhub/fragments.py) must equal the same pages built afresh."""

import re

from platformhub.fragments import forget_rendered_rows


def normalised(content: bytes) -> str:
    """A page's HTML without what differs on every request: CSRF tokens and CSP nonces."""
    text = content.decode()
    text = re.sub(r'(csrfmiddlewaretoken" value=")[^"]+', r"\1…", text)
    text = re.sub(r'("X-CSRFToken": ")[^"]+', r"\1…", text)
    return re.sub(r'nonce="[^"]+"', 'nonce="…"', text)


def same_as_built_afresh(client, url: str) -> str:
    remembered = normalised(client.get(url).content)
    forget_rendered_rows()
    afresh = normalised(client.get(url).content)
    assert remembered == afresh
    return remembered


def calls_of(monkeypatch, module, name: str) -> list[tuple]:
    """The calls made to `module.name` from now on, which still runs: a spy on what a page drawn
    from memory must not work out again."""
    calls = []
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls

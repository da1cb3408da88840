"""`{% url %}` that remembers the addresses it made, for every template (a builtin, see settings).

Django's tag reverses on every render (15–20 µs: it walks the URL resolver); a page renders
dozens, and the same ones on every request. An address depends on nothing but the view's name,
its arguments, the current app, the URLconf and the script prefix, so it is remembered under
exactly those. Only arguments that are strings or integers are: anything else (a model, whose
text can change) is reversed each time, as by Django's own tag, from the values already resolved.
"""

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Library
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

register = Library()


def _plain(value) -> bool:
    """A string (a literal in a template is a safe one) or an integer, not a bool (True == 1)."""
    kind = type(value)
    return kind is str or kind is int or (isinstance(value, str) and isinstance(value, SafeData))


@functools.lru_cache(maxsize=8192)
def _reverse(
    view_name: str, args: tuple, kwargs: tuple, current_app: str | None, urlconf: str, script_prefix: str
) -> str:
    """`reverse()`; `script_prefix` is in the key because reverse() puts it in the address."""
    return reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app, urlconf=urlconf)


@receiver(setting_changed)
def _forget_addresses(*, setting: str, **kwargs) -> None:
    """A test that swaps the URLconf also swaps the addresses (Django clears its resolvers then)."""
    if setting == "ROOT_URLCONF":
        _reverse.cache_clear()


class RememberedURLNode(URLNode):
    def render(self, context):
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = {name: value.resolve(context) for name, value in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            if _plain(view_name) and all(map(_plain, args)) and all(map(_plain, kwargs.values())):
                urlconf = get_urlconf() or settings.ROOT_URLCONF
                url = _reverse(view_name, args, tuple(kwargs.items()), current_app, urlconf, get_script_prefix())
            else:
                url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Django's `{% url %}`, with the same arguments and errors (`django.template.defaulttags.url`)."""
    node = django_url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)

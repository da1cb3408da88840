"""The form renderer: Django's own Jinja2 form templates, with its Django-template ones as a fallback."""

from functools import cached_property

from django.forms.renderers import DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class FormRenderer(Jinja2):
    """Fields render through Django's Jinja2 form templates, which give the same markup as its
    Django-template ones in about a third of the time (a KR page or a meeting draws a dozen
    fields). Widgets that ship only a Django template (the admin's) render through that one."""

    def get_template(self, template_name):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self._django_templates.get_template(template_name)

    @cached_property
    def _django_templates(self) -> DjangoTemplates:
        return DjangoTemplates()

from django import template

from platformhub.html import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    """Render user-written Markdown as sanitised HTML."""
    return render_markdown(text)

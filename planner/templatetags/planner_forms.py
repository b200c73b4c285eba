from django import template
from django.utils.html import format_html

from planner import submissions

register = template.Library()


@register.simple_tag
def submission_token() -> str:
    """The hidden one-time token that makes a creating form save once however often it is sent."""
    return format_html('<input type="hidden" name="{}" value="{}">', submissions.FIELD, submissions.new_token())

"""Term tooltips: ``{% term "q" %}`` (a term by its key, optionally with the page's own wording),
``{% term_label label %}`` (a header or evidence label, linked when it names a term) and
``{% term_hint label %}`` (a small «?» after a label that is itself a link, e.g. a sortable header).
Each links to the term's entry on the glossary page; the hint shows on hover and keyboard focus."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from shnor.web.glossary.terms import Term, find
from shnor.web.glossary.terms import term as term_of

register = template.Library()


def _href(t: Term) -> str:
    return f"{_index_url(get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)}#term-{t.key}"


@lru_cache(maxsize=16)  # reversed once per prefix and URLconf, not for each of a card's ~180 terms
def _index_url(prefix: str, urlconf: object) -> str:
    return reverse("glossary:index")


def _link(t: Term, text: str) -> SafeString:
    return format_html(
        '<a class="term" href="{}" title="{}" data-hint="{}">{}</a>', _href(t), t.hint, t.hint, text
    )


@register.simple_tag
def term(key: str, text: str = "") -> SafeString:
    """The term ``key`` (its name, or ``text``) as a link to its glossary entry with the hint as tooltip.
    An unknown key is an error: a template must not name a term the glossary lacks."""
    try:
        t = term_of(key)
    except KeyError:
        raise template.TemplateSyntaxError(f"нет термина «{key}» в словаре") from None
    return _link(t, text or t.name)


@register.simple_tag
def term_label(label: object) -> SafeString:
    """``label`` linked to the glossary when it names a term, else ``label`` as plain (escaped) text."""
    if isinstance(label, SafeString):  # already marked up: escaping would not change it, linking must see it
        t = find(str(label))
        return label if t is None else _link(t, str(label))
    return _label_html(str(label), get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@lru_cache(maxsize=4096)  # a card prints hundreds of labels, most of them the same few dozen
def _label_html(label: str, prefix: str, urlconf: object) -> SafeString:
    t = find(label)
    return format_html("{}", label) if t is None else _link(t, label)


@register.simple_tag
def term_hint(label: object) -> SafeString:
    """A small «?» linking to the glossary entry of the term ``label`` names; nothing when it names none."""
    t = find(str(label))
    if t is None:
        return mark_safe("")
    return format_html(
        ' <a class="term-hint" href="{}" title="{}" data-hint="{}" aria-label="Что такое «{}»">?</a>',
        _href(t), t.hint, t.hint, t.name,
    )  # fmt: skip

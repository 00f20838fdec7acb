"""One status badge and one palette for every admin page.

Each app maps its statuses to a *tone* (``success``, ``danger``...), never to a colour:
the colours live here once, light and dark, in ``exitus/static/exitus/admin.css``. A badge is
``badge(label, tone)`` — label first, tone second, everywhere.
"""

from django.utils.html import format_html

# tone -> (background, text): readable in the light and the dark admin themes alike.
PALETTE = {
    "success": "#067647",
    "danger": "#b42318",
    "warning": "#b54708",
    "info": "#175cd3",
    "progress": "#6941c6",
    "attention": "#c11574",
    "muted": "#667085",
}
TONES = tuple(PALETTE)


def badge(label, tone="muted", *, title=""):
    """A coloured pill: ``badge(_("Falhou"), "danger")``. Unknown tones fall back to ``muted``."""
    tone = tone if tone in PALETTE else "muted"
    if title:
        return format_html('<span class="x-badge x-badge-{}" title="{}">{}</span>', tone, title, label)
    return format_html('<span class="x-badge x-badge-{}">{}</span>', tone, label)


def choice_badge(value, label, tones: dict, *, title=""):
    """The badge of a choice value, given the app's ``{value: tone}`` map."""
    return badge(label, tones.get(value, "muted"), title=title)


def coloured(text, tone):
    """Coloured text without the pill (a figure in a table cell)."""
    tone = tone if tone in PALETTE else "muted"
    return format_html('<span class="x-text-{}">{}</span>', tone, text)

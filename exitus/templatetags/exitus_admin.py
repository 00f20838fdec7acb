"""Template helpers of the admin console: the home page's cards, pt-BR money and numbers, badges."""

from django import template

from exitus import admin_badges, console, formats

register = template.Library()


@register.simple_tag(takes_context=True)
def console_groups(context):
    """The home page's cards for the requesting user, grouped under their headings."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return console.grouped(console.cards_for(request.user))


@register.filter
def money_br(value, currency="BRL"):
    return formats.money_br(value, currency)


@register.filter
def number_br(value, places=0):
    return formats.number_br(value, int(places))


@register.simple_tag
def badge(label, tone):
    return admin_badges.badge(label, tone)

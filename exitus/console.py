"""The admin home page: cards that apps contribute, each linking to the filtered list it counts.

An app registers a provider in its ``admin`` module (loaded by the admin's autodiscovery)::

    @console.card_provider(order=10)
    def billing_cards(user, today):
        if not can_see_billing(user):
            return []
        return [console.Card(key="billing.approval", title=_("Aguardando aprovação"), value=12, ...)]

The provider decides who sees its cards (the home page is per role). ``exitus`` imports no app:
apps come to it, so the dependency keeps pointing one way.
"""

from dataclasses import dataclass, field

from django.utils import timezone


@dataclass
class Card:
    key: str  # stable id (tests, CSS): "billing.approval"
    title: str
    value: object = None  # the big figure, already formatted for display (or a number)
    url: str = ""  # the filtered list the figure counts
    tone: str = "info"  # exitus.admin_badges tone
    detail: str = ""  # one line under the figure
    group: str = ""  # heading the card sits under ("Faturas", "Robôs", "Investimentos"...)
    bars: list = field(default_factory=list)  # [{"label", "segments": [{"label", "value", "tone", "url"}]}]
    legend: list = field(default_factory=list)  # [{"label", "tone"}] for the bars' colours
    rows: list = field(default_factory=list)  # [{"label", "value", "url", "tone"}]
    wide: bool = False


_PROVIDERS: list[tuple[int, object]] = []


def card_provider(order: int = 100):
    """Register ``func(user, today) -> list[Card]``; providers run in ``order``."""

    def register(func):
        if func not in [f for _o, f in _PROVIDERS]:
            _PROVIDERS.append((order, func))
            _PROVIDERS.sort(key=lambda item: item[0])
        return func

    return register


def cards_for(user, today=None) -> list[Card]:
    """Every card ``user`` may see today, in provider order."""
    today = today or timezone.localdate()
    cards = []
    for _order, provider in _PROVIDERS:
        cards.extend(provider(user, today) or [])
    return cards


def grouped(cards) -> list[tuple[str, list[Card]]]:
    """Cards under their headings, headings in first-seen order."""
    groups: dict[str, list[Card]] = {}
    for card in cards:
        groups.setdefault(card.group, []).append(card)
    return list(groups.items())

from decimal import Decimal

import pytest

from exitus.admin_badges import badge
from exitus.formats import money_br, number_br, parse_money_br, percent_br


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("42325.30"), "R$ 42.325,30"),
        (Decimal("0.5"), "R$ 0,50"),
        (Decimal("-1234567.891"), "-R$ 1.234.567,89"),
        (0, "R$ 0,00"),
        (None, "—"),
    ],
)
def test_money_br(value, text):
    assert money_br(value) == text


def test_money_br_refuses_float_and_names_other_currencies():
    with pytest.raises(TypeError):
        money_br(1.5)
    assert money_br(Decimal("10"), "USD") == "US$ 10,00"
    assert number_br(Decimal("1234.5"), 1) == "1.234,5"
    assert number_br(1234, 0) == "1.234"
    assert percent_br(Decimal("12.25")) == "12,2%"


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.234,56", "1234.56"), ("R$ 1.234,56", "1234.56"), ("1234,5", "1234.5"), ("1234.56", "1234.56"), ("10", "10")],
)
def test_parse_money_br(text, value):
    assert parse_money_br(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "abc", "1.234", "1,2,3", "12.34,5.6", "NaN", "1.23,45"])
def test_parse_money_br_refuses_what_it_cannot_read(text):
    with pytest.raises(ValueError):
        parse_money_br(text)


def test_badge_is_label_then_tone_and_escapes():
    assert badge("Falhou", "danger") == '<span class="x-badge x-badge-danger">Falhou</span>'
    assert badge("<b>", "nope") == '<span class="x-badge x-badge-muted">&lt;b&gt;</span>'


def test_money_column_reads_the_rows_currency():
    from types import SimpleNamespace

    from exitus.admin_columns import money_column, seconds_column

    column = money_column("amount", "valor", currency_from="asset.currency")
    row = SimpleNamespace(amount=Decimal("1234.5"), asset=SimpleNamespace(currency="USD"))
    assert column(None, row) == "US$ 1.234,50"
    assert money_column("amount", "valor")(None, SimpleNamespace(amount=None)) == "—"
    assert seconds_column("at", "quando")(None, SimpleNamespace(at=None)) == "—"

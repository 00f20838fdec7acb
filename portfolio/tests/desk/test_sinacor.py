"""The SINACOR text reader on hand-written page text: every check a note must pass."""

from datetime import date
from decimal import Decimal

from portfolio.desk import sinacor, statements

from .test_notes import book  # noqa: F401 - the fixture

HEAD = "NOTA DE CORRETAGEM\nNr. nota Folha Data pregão\n777 1 10/03/2025\nXP INVESTIMENTOS CCTVM S/A\nC.N.P.J: 02.332.886/0001-04\n"


def page(trades, summary="", net="Líquido para 12/03/2025 0,00 C"):
    return HEAD + "\n".join(trades) + "\n" + summary + "\n" + net + "\n"


def test_a_clean_note():
    (note,) = sinacor.parse_pages(
        [
            page(
                ["1-BOVESPA C VISTA PETR4 PN 10 30,00 300,00 D"],
                "Compras à vista 300,00",
                "Líquido para 12/03/2025 300,00 D",
            )
        ]
    )
    assert note.errors == [] and note.net_amount == Decimal("-300.00") and note.trade_date == date(2025, 3, 10)


def test_options_are_refused_with_the_reason():
    (note,) = sinacor.parse_pages(
        [
            page(
                ["1-BOVESPA C OPCAO DE COMPRA 03/25 PETRC30 PN 100 1,00 100,00 D"],
                net="Líquido para 12/03/2025 100,00 D",
            )
        ]
    )
    assert any("não é importado" in error for error in note.errors)


def test_value_and_summary_must_add_up():
    (note,) = sinacor.parse_pages(
        [
            page(
                ["1-BOVESPA C VISTA PETR4 PN 10 30,00 301,00 D"],
                "Compras à vista 999,00",
                "Líquido para 12/03/2025 301,00 D",
            )
        ]
    )
    assert any("não bate com o total de compras" in e for e in note.errors)
    assert any("difere do valor" in e for e in note.errors)


def test_a_page_without_trades_or_date():
    (note,) = sinacor.parse_pages([page([])])
    assert any("Nenhum negócio" in e for e in note.errors)
    bad_day = HEAD.replace("10/03/2025", "31/02/2025")
    (note,) = sinacor.parse_pages(
        [bad_day + "1-BOVESPA C VISTA PETR4 PN 1 1,00 1,00 D\nLíquido para 12/03/2025 1,00 D\n"]
    )
    assert any("Data do pregão" in e for e in note.errors)


def test_blank_trailing_page_and_second_note():
    first = page(["1-BOVESPA C VISTA PETR4 PN 1 1,00 1,00 D"], net="Líquido para 12/03/2025 1,00 D")
    second = first.replace("777 1 10/03/2025", "778 1 10/03/2025")
    notes = sinacor.parse_pages([first, "", second])
    assert [n.number for n in notes] == ["777", "778"] and all(not n.errors for n in notes)


def test_irrf_without_sales_is_a_note_error(book):  # noqa: F811
    from portfolio.desk import services

    from .test_notes import SAMPLE, note_pdf

    note = {**SAMPLE[0], "trades": [("C", "VISTA", "PETROBRAS PN N2", "", 10, "30,00")], "fees": {}, "irrf": "0,10"}
    report = services.notes_import(content=note_pdf([note]), file_name="n.pdf", portfolio=book["portfolio"])
    assert report.notes[0].status == "error" and "não tem vendas" in report.notes[0].errors[0]


def test_statement_edges():
    import pytest

    with pytest.raises(statements.StatementError):
        statements.read_positions(b"PK\x03\x04 not really a zip")
    with pytest.raises(statements.StatementError):
        statements.read_cash(b"")
    content = "Produto;Instituição;Quantidade\nTesouro IPCA+ 2035;XP INVESTIMENTOS CCTVM S/A;2,5\n".encode("cp1252")
    (holding,) = statements.read_positions(content).holdings
    assert (holding.ticker, holding.quantity) == ("TESOURO-IPCA-2035", Decimal("2.5"))
    lines, problems = statements.read_cash(b"Corretora;Saldo\nXP;abc\nNU;10,00\n;5\n")
    assert [line.institution for line in lines] == ["NU"] and problems[0]["line"] == "2"

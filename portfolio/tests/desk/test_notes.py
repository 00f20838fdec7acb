"""Brokerage notes: real PDFs generated in the SINACOR layout (files/sinacor_pdf.py) — multi-page notes,
day trade and swing in one note, buys and sales, fees pro rata, IRRF, matching imported trades, dry
run, idempotent re-import, a malformed note with its own error."""

import sys
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from portfolio.choices import AssetType
from portfolio.desk import services, sinacor
from portfolio.desk.models import BrokerageNote, BrokerageNoteTrade
from portfolio.models import CashMovement, Position, Transaction

from ..factories import AssetFactory, BrokerFactory, D, PortfolioFactory, trade

sys.path.insert(0, str(Path(__file__).resolve().parent / "files"))
from sinacor_pdf import SAMPLE, note_pdf

pytestmark = pytest.mark.django_db
XP = {"broker": "XP INVESTIMENTOS CCTVM S/A", "cnpj": "02.332.886/0001-04"}
DAY = date(2025, 3, 10)


@pytest.fixture
def book(user):
    xp = BrokerFactory(name="XP Investimentos")
    xp.cnpj = "02332886000104"
    xp.save()
    assets = {
        "PETR4": AssetFactory(ticker="PETR4", name="Petrobras PN"),
        "VALE3": AssetFactory(ticker="VALE3", name="Vale ON"),
        "ITSA4": AssetFactory(ticker="ITSA4", name="Itaúsa PN"),
        "HGLG11": AssetFactory(ticker="HGLG11", name="CSHG Logística FII", asset_type=AssetType.FII),
    }
    portfolio = PortfolioFactory(owner=user, name="Notas")
    trade(portfolio, assets["VALE3"], "compra", 200, "50", broker=xp, on="2025-02-03")
    trade(portfolio, assets["PETR4"], "compra", 300, "28", broker=xp, on="2025-02-03")
    return {"xp": xp, "portfolio": portfolio, **assets}


def run(book, notes, **extra):
    return services.notes_import(
        content=note_pdf(notes), file_name="notas.pdf", portfolio=book["portfolio"], dry_run=False, **extra
    )


def test_parse_single_note():
    (note,) = sinacor.parse(note_pdf(SAMPLE))
    assert (note.number, note.trade_date, note.broker_cnpj) == ("1001", DAY, "02332886000104")
    assert note.broker_name == "XP INVESTIMENTOS CCTVM S/A"
    assert [(line.kind, line.specification, line.quantity, line.value) for line in note.lines] == [
        ("compra", "PETROBRAS PN N2", 100, D("3000.00")),
        ("venda", "VALE ON NM", 50, D("3000.00")),
    ]
    assert note.net_amount == D("-7.49") and note.settlement_date == date(2025, 3, 12)
    assert note.fees() == {
        "settlement_fee": D("1.65"),
        "emoluments": D("0.30"),
        "brokerage_fee": D("4.90"),
        "other_costs": D("0.49"),
    }
    assert note.summary["irrf"] == D("0.15") and note.errors == []


def test_import_a_note_with_fees_pro_rata(book, user):
    report = services.notes_import(
        content=note_pdf(SAMPLE), file_name="nota.pdf", portfolio=book["portfolio"], dry_run=False, actor=user
    )
    assert report.summary() == {"notes": 1, "new": 1, "duplicate": 0, "error": 0, "trades_created": 2, "fees_filled": 0}
    note = BrokerageNote.objects.get()
    assert (note.number, note.broker, note.net_amount, note.total_fees) == ("1001", book["xp"], D("-7.49"), D("7.34"))
    buy = Transaction.objects.get(asset=book["PETR4"], trade_date__date=DAY)
    sale = Transaction.objects.get(asset=book["VALE3"], kind="venda")
    # 1,65 / 0,30 / 4,90 / 0,49 split in halves (equal values); the odd cent to the first line
    assert (buy.settlement_fee, buy.emoluments, buy.brokerage_fee, buy.other_costs) == (
        D("0.83"), D("0.15"), D("2.45"), D("0.25"),
    )  # fmt: skip
    assert (sale.settlement_fee, sale.emoluments, sale.brokerage_fee, sale.other_costs) == (
        D("0.82"), D("0.15"), D("2.45"), D("0.24"),
    )  # fmt: skip
    assert sale.withheld_tax == D("0.15") and buy.withheld_tax == 0  # IRRF only on the sale
    cash = CashMovement.objects.filter(transaction__in=[buy, sale]).values_list("amount", flat=True)
    assert sum(cash) == note.net_amount  # the trades' cash is the note's Líquido, to the cent
    assert AuditEvent.objects.filter(action="portfolio.brokerage_note.import").count() == 1
    assert "Nota de corretagem 1001" in buy.notes and buy.source_file == "nota.pdf"


def test_dry_run_writes_nothing_and_reimport_is_idempotent(book):
    before = Transaction.objects.count()
    preview = services.notes_import(content=note_pdf(SAMPLE), file_name="n.pdf", portfolio=book["portfolio"])
    assert preview.dry_run and preview.summary()["trades_created"] == 2
    assert preview.notes[0].trades[0]["brokerage_fee"] == "2.45" and preview.notes[0].note_id is None
    assert Transaction.objects.count() == before and not BrokerageNote.objects.exists()
    run(book, SAMPLE)
    again = run(book, SAMPLE)
    assert again.summary()["duplicate"] == 1 and again.summary()["trades_created"] == 0
    assert BrokerageNote.objects.count() == 1 and Transaction.objects.count() == before + 2


def test_multi_page_note(book):
    trades = [("C", "VISTA", "PETROBRAS PN N2", "", 10, "30,00")] * 14 + [
        ("V", "VISTA", "VALE ON NM", "", 10, "60,00")
    ] * 10
    note = {"number": "2002", "date": DAY, **XP, "trades": trades, "per_page": 10,
            "fees": {"liquidacao": "2,00", "emolumentos": "0,41", "operacional": "10,00", "impostos": "1,00"}, "irrf": "0,30"}  # fmt: skip
    (parsed,) = sinacor.parse(note_pdf([note]))
    assert parsed.pages == [1, 2, 3] and len(parsed.lines) == 24 and parsed.errors == []
    report = run(book, [note])
    assert report.summary()["trades_created"] == 24
    stored = BrokerageNote.objects.get()
    assert stored.pages == 3
    created = Transaction.objects.filter(trade_date__date=DAY)
    assert sum(tx.brokerage_fee for tx in created) == D("10.00")
    assert sum(tx.settlement_fee for tx in created) == D("2.00")
    assert sum(tx.withheld_tax for tx in created) == D("0.30")


def test_day_trade_and_swing_in_one_note(book):
    note = {
        "number": "3003",
        "date": DAY,
        **XP,
        "trades": [
            ("V", "VISTA", "ITAUSA PN N1", "D", 100, "10,50"),  # the sale printed first
            ("C", "VISTA", "ITAUSA PN N1", "D", 100, "10,00"),
            ("V", "VISTA", "PETROBRAS PN N2", "", 100, "31,00"),
            ("C", "FRACIONARIO", "FII HGLG11 CI", "#", 5, "160,00"),
        ],
        "fees": {"liquidacao": "1,00", "emolumentos": "0,50", "operacional": "3,00"},
        "irrf": "0,16",
        "irrf_day_trade": "0,50",
    }
    report = run(book, [note])
    assert report.summary()["error"] == 0, report.as_dict()
    itsa = {tx.kind: tx for tx in Transaction.objects.filter(asset=book["ITSA4"])}
    assert itsa["compra"].pk < itsa["venda"].pk  # the purchase is recorded first
    assert itsa["venda"].withheld_tax == D("0.50")  # the day-trade IRRF on the day-trade sale
    petr_sale = Transaction.objects.get(asset=book["PETR4"], kind="venda")
    assert petr_sale.withheld_tax == D("0.16")  # the common IRRF on the swing sale
    assert Position.objects.get(asset=book["ITSA4"]).quantity == 0
    assert Position.objects.get(asset=book["HGLG11"]).quantity == 5
    lines = BrokerageNote.objects.get().lines
    assert [line["day_trade"] for line in lines] == [True, True, False, False]
    assert lines[3]["ticker"] == "HGLG11" and lines[3]["market"] == "FRACIONARIO"


def test_malformed_note_is_its_own_error(book):
    good = {**SAMPLE[0], "number": "4001"}
    bad = {**SAMPLE[0], "number": "4002", "net": "999,99"}
    unknown = {
        **SAMPLE[0],
        "number": "4003",
        "trades": [("C", "VISTA", "EMPRESA INEXISTENTE ON NM", "", 1, "1,00")],
        "fees": {},
        "irrf": "0",
    }
    truncated = {**SAMPLE[0], "number": "4004", "drop_net": True}
    report = run(book, [good, bad, unknown, truncated])
    status = {n.number: (n.status, n.errors) for n in report.notes}
    assert status["4001"] == ("new", [])
    assert status["4002"][0] == "error" and "não fecha" in status["4002"][1][0]
    assert status["4003"][0] == "error" and "não reconhecido" in status["4003"][1][0]
    assert status["4004"][0] == "error" and "Líquido para" in status["4004"][1][0]
    assert list(BrokerageNote.objects.values_list("number", flat=True)) == ["4001"]


def test_sale_beyond_holdings_is_a_note_error(book):
    note = {**SAMPLE[0], "number": "5001", "trades": [("V", "VISTA", "VALE ON NM", "", 5000, "60,00")]}
    report = run(book, [note, {**SAMPLE[0], "number": "5002"}])
    assert [n.status for n in report.notes] == ["error", "new"]
    assert "quantity" in report.notes[0].errors[0]


def test_fills_fees_of_trades_imported_from_the_b3_file(book, user):
    portfolio, xp = book["portfolio"], book["xp"]
    imported = trade(portfolio, book["PETR4"], "compra", 100, "30", broker=xp, on=DAY)
    part1 = trade(portfolio, book["VALE3"], "venda", 20, "60", broker=xp, on=DAY)  # two executions of one line
    part2 = trade(portfolio, book["VALE3"], "venda", 30, "60", broker=xp, on=DAY)
    Transaction.objects.filter(pk=imported.pk).update(trade_date=imported.trade_date.replace(hour=0))
    before = Transaction.objects.count()
    report = run(book, SAMPLE, actor=user)
    assert report.summary()["fees_filled"] == 3 and report.summary()["trades_created"] == 0
    assert Transaction.objects.count() == before  # no duplicates
    imported.refresh_from_db()
    part1.refresh_from_db()
    part2.refresh_from_db()
    assert imported.brokerage_fee == D("2.45")
    assert part1.brokerage_fee + part2.brokerage_fee == D("2.45")
    assert (part1.brokerage_fee, part2.brokerage_fee) == (D("0.98"), D("1.47"))  # 20 : 30
    assert part1.withheld_tax + part2.withheld_tax == D("0.15")
    services.brokerage_note_delete(note=BrokerageNote.objects.get(), actor=user)
    imported.refresh_from_db()
    assert imported.brokerage_fee == 0 and Transaction.objects.count() == before
    assert not BrokerageNoteTrade.objects.exists()


def test_delete_removes_created_trades(book, user):
    run(book, SAMPLE)
    count = Transaction.objects.count()
    services.brokerage_note_delete(note=BrokerageNote.objects.get(), actor=user)
    assert Transaction.objects.count() == count - 2
    assert AuditEvent.objects.filter(action="portfolio.brokerage_note.delete").exists()


def test_unknown_broker_uses_the_chosen_one(book):
    other = {**SAMPLE[0], "broker": "CORRETORA NOVA S.A.", "cnpj": "11.222.333/0001-44"}
    report = run(book, [other])
    assert report.notes[0].status == "error" and "não cadastrada" in report.notes[0].errors[0]
    report = run(book, [other], broker=book["xp"])
    assert report.notes[0].status == "new" and report.notes[0].broker == "XP Investimentos"


def test_new_ticker_in_the_specification_creates_the_asset(book):
    note = {**SAMPLE[0], "trades": [("C", "VISTA", "WEGE3 ON NM", "", 10, "40,00")], "fees": {}, "irrf": "0"}
    run(book, [note])
    assert Transaction.objects.get(asset__ticker="WEGE3").quantity == 10


def test_file_errors():
    with pytest.raises(ValidationError):
        services.notes_import(content=b"not a pdf", file_name="x.pdf", portfolio=None)
    with pytest.raises(ValidationError):
        services.notes_import(content=b"%PDF-1.4 garbage", file_name="x.pdf", portfolio=None)
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(30, 800, "Um PDF que não é nota")
    pdf.save()
    (note,) = sinacor.parse(buffer.getvalue())
    assert note.errors and "cabeçalho" in note.errors[0]


def test_encrypted_note_needs_its_password():
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(note_pdf(SAMPLE))).pages:
        writer.add_page(page)
    writer.encrypt("123")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(sinacor.NoteFileError):
        sinacor.parse(buffer.getvalue())
    assert sinacor.parse(buffer.getvalue(), password="123")[0].number == "1001"


def test_titles_are_resolved_or_refused(book):
    from portfolio.desk.services.notes import TitleResolver

    AssetFactory(ticker="PETR3", name="Petrobras ON")
    titles = TitleResolver()
    assert titles.resolve("PETROBRAS PN EDJ N2")[0].ticker == "PETR4"
    assert titles.resolve("PETROBRAS ON N2")[0].ticker == "PETR3"
    assert titles.resolve("PETROBRAS N2")[0] is None  # ON or PN: ambiguous
    assert "ambíguo" in titles.resolve("PETROBRAS N2")[1]
    assert titles.resolve("FII HGLG CSHG LOG CI")[0].ticker == "HGLG11"
    assert titles.resolve("N2")[0] is None

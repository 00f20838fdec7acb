"""B3 and generic CSV imports: preview, idempotent re-import, asset typing, all-or-nothing."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from portfolio import importers
from portfolio.choices import AssetType
from portfolio.models import Asset, Broker, CashMovement, Position, Transaction

from .factories import AssetFactory, BrokerFactory, PortfolioFactory, trade

pytestmark = pytest.mark.django_db

NEGOCIACAO_HEADER = [
    "Data do Negócio",
    "Tipo de Movimentação",
    "Mercado",
    "Prazo/Vencimento",
    "Instituição",
    "Código de Negociação",
    "Quantidade",
    "Preço",
    "Valor",
]


def xlsx(rows, header=NEGOCIACAO_HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


NEGOCIACAO = [
    ["10/03/2025", "Compra", "Mercado à Vista", "-", "XP INVESTIMENTOS CCTVM S/A", "PETR4", 100, 35.5, 3550],
    ["10/03/2025", "Compra", "Mercado Fracionário", "-", "XP INVESTIMENTOS CCTVM S/A", "HGLG11F", 5, 160.1, 800.5],
    ["11/03/2025", "Compra", "Mercado à Vista", "-", "NU INVEST CORRETORA DE VALORES S.A.", "AAPL34", 10, 55, 550],
    ["11/03/2025", "Compra", "Mercado à Vista", "-", "NU INVEST CORRETORA DE VALORES S.A.", "ABCD11", 10, 9.9, 99],
    ["12/03/2025", "Venda", "Mercado à Vista", "-", "XP INVESTIMENTOS CCTVM S/A", "PETR4", 40, "R$ 37,00", "1.480,00"],
    ["12/03/2025", "Compra", "Opção de Compra", "21/03/2025", "XP INVESTIMENTOS CCTVM S/A", "PETRC380", 100, 0.5, 50],
]


@pytest.fixture
def setup(db):
    portfolio = PortfolioFactory()
    xp = BrokerFactory(name="XP Investimentos")
    return portfolio, xp


def test_negociacao_dry_run_previews_without_writing(setup):
    portfolio, _xp = setup
    report = importers.run(content=xlsx(NEGOCIACAO), file_name="negociacao.xlsx", portfolio=portfolio)
    assert report.source == "b3_negociacao"
    assert report.summary() == {"rows": 6, "new": 5, "duplicate": 0, "ignored": 1, "error": 0, "created": 0}
    types = {a["ticker"]: (a["asset_type"], a["needs_review"]) for a in report.new_assets}
    assert types == {
        "PETR4": (AssetType.ACAO, False),
        "HGLG11": (AssetType.FII, False),  # curated list (and the fractional "F" is dropped)
        "AAPL34": (AssetType.STOCK_INTL, False),  # BDR suffix
        "ABCD11": (AssetType.OUTRO, True),  # a …11 nobody knows: flagged, not guessed
    }
    assert report.new_brokers == ["Nu Invest Corretora de Valores S.A."]
    assert not Transaction.objects.exists() and not Asset.objects.exists()
    assert Broker.objects.count() == 1


def test_negociacao_import_then_reimport_creates_nothing(setup):
    portfolio, xp = setup
    content = xlsx(NEGOCIACAO)
    report = importers.run(content=content, file_name="n.xlsx", portfolio=portfolio, dry_run=False)
    assert report.errors == [] and report.created == 5
    petr = Position.objects.get(asset__ticker="PETR4")
    assert (petr.broker, petr.quantity, petr.average_cost) == (xp, 60, Decimal("35.50000000"))
    assert petr.realized_pnl == Decimal("60.00")
    assert Asset.objects.get(ticker="ABCD11").needs_review
    assert CashMovement.objects.count() == 5
    again = importers.run(content=content, file_name="n.xlsx", portfolio=portfolio, dry_run=False)
    assert again.summary()["duplicate"] == 5 and again.created == 0
    assert Transaction.objects.count() == 5


def test_identical_rows_are_distinct_trades_and_overlapping_files_dedupe(setup):
    portfolio, _xp = setup
    row = ["10/03/2025", "Compra", "Mercado à Vista", "-", "XP INVESTIMENTOS CCTVM S/A", "VALE3", 10, 60, 600]
    first = importers.run(content=xlsx([row, row]), file_name="a.xlsx", portfolio=portfolio, dry_run=False)
    assert first.created == 2
    second = importers.run(content=xlsx([row, row, row]), file_name="b.xlsx", portfolio=portfolio, dry_run=False)
    assert second.created == 1
    assert Position.objects.get(asset__ticker="VALE3").quantity == 30


def test_malformed_rows_give_per_row_errors_and_nothing_is_written(setup):
    portfolio, _xp = setup
    rows = [
        NEGOCIACAO[0],
        ["32/13/2025", "Compra", "Mercado à Vista", "-", "XP", "VALE3", 10, 60, 600],
        ["10/03/2025", "Doação", "Mercado à Vista", "-", "XP", "VALE3", 10, 60, 600],
        ["10/03/2025", "Compra", "Mercado à Vista", "-", "XP", "VALE3", "dez", 60, 600],
        ["10/03/2025", "Compra", "Mercado à Vista", "-", "XP", "VALE3", 10, -1, 600],
    ]
    report = importers.run(content=xlsx(rows), file_name="bad.xlsx", portfolio=portfolio, dry_run=False)
    assert {(e["row"], e["field"]) for e in report.errors} == {
        (3, "trade_date"),
        (4, "kind"),
        (5, "quantity"),
        (6, "unit_price"),
    }
    assert report.created == 0
    assert not Transaction.objects.exists() and not Asset.objects.exists()


def test_failure_half_way_leaves_nothing(setup):
    """The sale beyond holdings is found only when positions are replayed, after rows were inserted."""
    portfolio, _xp = setup
    rows = [
        ["10/03/2025", "Compra", "Mercado à Vista", "-", "Banco Novo S/A", "WEGE3", 10, 40, 400],
        ["11/03/2025", "Compra", "Mercado à Vista", "-", "XP INVESTIMENTOS", "PETR4", 10, 30, 300],
        ["12/03/2025", "Venda", "Mercado à Vista", "-", "XP INVESTIMENTOS", "PETR4", 50, 30, 1500],
    ]
    report = importers.run(content=xlsx(rows), file_name="x.xlsx", portfolio=portfolio, dry_run=False)
    assert [(e["row"], e["field"]) for e in report.errors] == [(4, "quantity")]
    assert "Quantidade insuficiente" in report.errors[0]["message"]
    assert not Transaction.objects.exists()
    assert not CashMovement.objects.exists()
    assert not Position.objects.exists()
    assert not Asset.objects.exists()
    assert not Broker.objects.filter(name__icontains="novo").exists()


MOVIMENTACAO_CSV = """Entrada/Saída;Data;Movimentação;Produto;Instituição;Quantidade;Preço unitário;Valor da Operação
Credito;15/04/2025;Rendimento;HGLG11 - CSHG LOGISTICA FDO INV IMOB - FII;XP INVESTIMENTOS CCTVM S/A;5;1,10;5,50
Credito;12/03/2025;Transferência - Liquidação;PETR4 - PETROLEO BRASILEIRO S.A. PETROBRAS;XP INVESTIMENTOS CCTVM S/A;100;35,50;3.550,00
Credito;10/03/2025;Compra;Tesouro Selic 2029;XP INVESTIMENTOS CCTVM S/A;0,5;14.800,00;7.400,00
Credito;10/03/2025;Compra;XYZW11 - FUNDO DE INVESTIMENTO IMOBILIARIO XYZ;XP INVESTIMENTOS CCTVM S/A;10;100,00;1.000,00
Credito;20/03/2025;Amortização;XYZW11 - FUNDO DE INVESTIMENTO IMOBILIARIO XYZ;XP INVESTIMENTOS CCTVM S/A;10;0,50;5,00
Credito;21/03/2025;Desdobro;XYZW11 - FUNDO DE INVESTIMENTO IMOBILIARIO XYZ;XP INVESTIMENTOS CCTVM S/A;10;-;-
"""


def test_movimentacao_imports_what_negociacao_does_not_and_explains_the_rest(setup):
    portfolio, _xp = setup
    content = MOVIMENTACAO_CSV.encode("utf-8")
    report = importers.run(content=content, file_name="mov.csv", portfolio=portfolio, dry_run=False)
    assert report.source == "b3_movimentacao"
    assert report.errors == []
    statuses = {row.line: (row.status, row.message) for row in report.rows}
    assert statuses[2][0] == "ignored" and "Proventos" in statuses[2][1]
    assert statuses[3][0] == "ignored" and "negociação" in statuses[3][1]
    assert statuses[7][0] == "ignored" and "Evento corporativo" in statuses[7][1]
    assert report.created == 3
    tesouro = Asset.objects.get(ticker="TESOURO-SELIC-2029")
    assert tesouro.asset_type == AssetType.TESOURO_DIRETO
    assert Position.objects.get(asset=tesouro).quantity == Decimal("0.5")
    fund = Asset.objects.get(ticker="XYZW11")
    assert fund.asset_type == AssetType.FII and not fund.needs_review  # from B3's product description
    assert Position.objects.get(asset=fund).cost_basis == Decimal("995.00")


def test_generic_csv_with_portuguese_headers_types_and_fx(setup):
    portfolio, _xp = setup
    AssetFactory(ticker="AAPL", market="US", currency="USD", asset_type=AssetType.STOCK)
    content = (
        "data;tipo;ativo;mercado;quantidade;preço;corretora;corretagem;câmbio;tipo de ativo\n"
        "10/03/2025;compra;AAPL;US;2;170,50;Avenue Securities;1,00;5,80;\n"
        "10/03/2025;compra;O;US;10;55,00;Avenue Securities;0;5,80;reit\n"
    ).encode()
    report = importers.run(content=content, file_name="g.csv", portfolio=portfolio, dry_run=False)
    assert report.errors == [] and report.created == 2
    realty = Asset.objects.get(ticker="O")
    assert (realty.asset_type, realty.currency, realty.market) == (AssetType.REIT, "USD", "US")
    aapl = Position.objects.get(asset__ticker="AAPL")
    assert (aapl.cost_basis, aapl.cost_basis_brl) == (Decimal("342.00"), Decimal("1983.60"))


def test_generic_csv_requires_its_columns(setup):
    portfolio, _xp = setup
    with pytest.raises(ValidationError) as exc:
        importers.run(content=b"foo,bar\n1,2\n", file_name="x.csv", portfolio=portfolio)
    assert "file" in exc.value.message_dict


def test_export_reimports_as_generic_csv(setup, client_for):
    portfolio, _xp = setup
    importers.run(content=xlsx(NEGOCIACAO), file_name="n.xlsx", portfolio=portfolio, dry_run=False)
    exported = client_for(portfolio.owner).get("/api/v1/transactions/export/?format=csv").content
    other = PortfolioFactory(owner=portfolio.owner)
    report = importers.run(content=exported, file_name="export.csv", portfolio=other, dry_run=False)
    assert report.errors == [] and report.created == 5
    assert importers.run(content=exported, file_name="export.csv", portfolio=other, dry_run=False).created == 0


def test_fill_b3_fees(setup):
    portfolio, _xp = setup
    importers.run(
        content=xlsx(NEGOCIACAO[:1]), file_name="n.xlsx", portfolio=portfolio, dry_run=False, fill_b3_fees=True
    )
    tx = Transaction.objects.get()
    # 3550.00 × 0.005 % = 0.1775 → 0.18; × 0.025 % = 0.8875 → 0.89
    assert (tx.emoluments, tx.settlement_fee) == (Decimal("0.18"), Decimal("0.89"))


def test_import_api_dry_run_then_commit(setup, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    portfolio, _xp = setup
    client = client_for(portfolio.owner)

    def post(dry_run):
        upload = SimpleUploadedFile("n.xlsx", xlsx(NEGOCIACAO[:2]))
        return client.post(
            "/api/v1/transactions/import/",
            {"file": upload, "portfolio": portfolio.pk, "dry_run": dry_run},
            format="multipart",
        )

    preview = post("true")
    assert preview.status_code == 200
    assert preview.json()["summary"]["new"] == 2 and not Transaction.objects.exists()
    done = post("false")
    assert done.status_code == 201 and done.json()["summary"]["created"] == 2
    assert Transaction.objects.count() == 2
    bad = client.post(
        "/api/v1/transactions/import/",
        {"file": SimpleUploadedFile("x.csv", b"nada"), "portfolio": portfolio.pk, "dry_run": "false"},
        format="multipart",
    )
    assert bad.status_code == 400 and "file" in bad.json()


TRANSFER_CSV = """Entrada/Saída;Data;Movimentação;Produto;Instituição;Quantidade;Preço unitário;Valor da Operação
Debito;20/03/2025;Transferência - Liquidação;PETR4 - PETROLEO BRASILEIRO S.A. PETROBRAS;XP INVESTIMENTOS CCTVM S/A;40;-;-
Credito;20/03/2025;Transferência - Liquidação;PETR4 - PETROLEO BRASILEIRO S.A. PETROBRAS;NU INVEST CORRETORA DE VALORES S.A.;40;-;-
Credito;12/03/2025;Transferência - Liquidação;PETR4 - PETROLEO BRASILEIRO S.A. PETROBRAS;XP INVESTIMENTOS CCTVM S/A;100;35,50;3.550,00
"""


def test_movimentacao_custody_transfer_pairs_become_transfers_idempotently(setup):
    """Issue 14 §2: a "Transferência - Liquidação" leaving one institution and arriving at another
    the same day is a custody transfer (the average kept); a lone leg is a trade's settlement."""
    portfolio, xp = setup
    petr = AssetFactory(ticker="PETR4")
    trade(portfolio, petr, "compra", 100, "35.50", broker=xp, on="2025-03-10")
    content = TRANSFER_CSV.encode("utf-8")
    report = importers.run(content=content, file_name="mov.csv", portfolio=portfolio, dry_run=False)
    assert report.errors == [] and report.created == 1
    statuses = {row.line: (row.status, row.message) for row in report.rows}
    assert statuses[2][0] == "new" and "Transferência de custódia" in statuses[2][1]
    assert statuses[3][0] == "ignored" and "linha 2" in statuses[3][1]
    assert statuses[4][0] == "ignored" and "negociação" in statuses[4][1]
    assert Position.objects.get(asset=petr, broker=xp).quantity == 60
    moved = Position.objects.exclude(broker=xp).get(asset=petr)
    assert (moved.quantity, moved.average_cost) == (Decimal("40"), Decimal("35.50"))
    again = importers.run(content=content, file_name="mov.csv", portfolio=portfolio, dry_run=False)
    assert again.created == 0

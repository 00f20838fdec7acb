"""Reconciliation against the B3 position statement (real-looking XLSX and CSV) and brokers' cash."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from portfolio.desk import services, statements
from portfolio.desk.choices import LikelyCause, LineStatus
from portfolio.desk.models import Reconciliation, ReconciliationLine
from portfolio.desk.services.reconciliation import as_of_from_name, settlement_window
from portfolio.selectors import cash_balances

from ..factories import D
from .conftest import AS_OF, sample

pytestmark = pytest.mark.django_db


def lines_by_ticker(run):
    return {(line.ticker, line.institution): line for line in run.lines.all()}


def by_ticker(run):
    return {line.ticker: line for line in run.lines.all()}


@pytest.mark.parametrize("name", ["posicao-2025-03-31.xlsx", "posicao-2025-03-31.csv"])
def test_reads_every_sheet_of_the_statement(name):
    statement = statements.read_positions(sample(name))
    found = {(h.ticker, h.quantity) for h in statement.holdings}
    assert found == {
        ("PETR4", 100),
        ("ITSA4", 220),
        ("BBAS3", 200),
        ("VALE3", 50),
        ("WEGE3", 30),
        ("BHIA3", 40),
        ("XPTO3", 5),
        ("HGLG11", 10),
        ("TESOURO-SELIC-2029", Decimal("1.5")),
    }
    assert statement.problems == []


@pytest.mark.parametrize("name", ["posicao-2025-03-31.xlsx", "posicao-2025-03-31.csv"])
def test_positions_matches_differences_and_causes(desk, name):
    run, created = services.reconcile_positions(
        owner=desk.owner, content=sample(name), file_name=name, actor=desk.owner
    )
    assert created and run.as_of == AS_OF  # the date comes from the file name
    lines = by_ticker(run)
    assert lines["PETR4"].status == LineStatus.MATCH  # 60 + 40 in two portfolios; the April buy is later
    assert lines["PETR4"].books == 100
    assert lines["HGLG11"].status == LineStatus.MATCH
    assert lines["TESOURO-SELIC-2029"].status == LineStatus.MATCH
    itsa = lines["ITSA4"]
    assert (itsa.status, itsa.cause, itsa.difference) == (LineStatus.DIFFERENCE, LikelyCause.CORPORATE_EVENT, 20)
    assert "bonificação de 10%" in itsa.cause_detail
    bbas = lines["BBAS3"]
    assert (bbas.cause, bbas.difference) == (LikelyCause.CORPORATE_EVENT, 100)
    assert "desdobramento 1:2" in bbas.cause_detail
    vale = {k: v for k, v in lines_by_ticker(run).items() if k[0] == "VALE3"}
    assert {line.status for line in vale.values()} == {LineStatus.ONLY_BOOKS, LineStatus.ONLY_STATEMENT}
    assert {line.cause for line in vale.values()} == {LikelyCause.CUSTODY_TRANSFER}
    assert "XP Investimentos" in next(iter(vale.values())).cause_detail
    assert lines["VIIA3"].cause == lines["BHIA3"].cause == LikelyCause.TICKER_CHANGE
    assert lines["WEGE3"].status == LineStatus.ONLY_STATEMENT
    assert lines["WEGE3"].cause == LikelyCause.MISSING_TRADE
    assert lines["XPTO3"].cause == LikelyCause.UNKNOWN_ASSET and lines["XPTO3"].asset_id is None
    taee = lines["TAEE11"]
    assert (taee.status, taee.cause) == (LineStatus.ONLY_BOOKS, LikelyCause.UNSETTLED)
    assert (run.matches, run.differences, run.only_statement, run.only_books) == (3, 2, 4, 3)
    assert run.open_issues == 9
    assert AuditEvent.objects.filter(action="portfolio.reconciliation.create").count() == 1
    assert "999" not in {f"{line.books}" for line in run.lines.all()}  # another user's trades never count


def test_rerunning_the_same_file_changes_nothing(desk):
    content = sample("posicao-2025-03-31.xlsx")
    run, _created = services.reconcile_positions(owner=desk.owner, content=content, file_name="posicao-2025-03-31.xlsx")
    stamp, ids = (
        Reconciliation.objects.get().updated_at,
        sorted(ReconciliationLine.objects.values_list("pk", flat=True)),
    )
    again, created = services.reconcile_positions(
        owner=desk.owner, content=content, file_name="posicao-2025-03-31.xlsx"
    )
    assert (again.pk, created, again.unchanged) == (run.pk, False, True)
    assert Reconciliation.objects.get().updated_at == stamp
    assert sorted(ReconciliationLine.objects.values_list("pk", flat=True)) == ids


def test_rerun_after_fixing_the_books_updates_the_same_run(desk):
    from portfolio import services as portfolio_services

    content = sample("posicao-2025-03-31.csv")
    run, _ = services.reconcile_positions(owner=desk.owner, content=content, file_name="p.csv", as_of=AS_OF)
    portfolio_services.event_create(
        asset=desk.assets["BBAS3"], kind="split", event_date=date(2025, 3, 1), ratio_from=1, ratio_to=2
    )
    again, created = services.reconcile_positions(
        owner=desk.owner, content=content, file_name="p.csv", as_of=AS_OF, actor=desk.owner
    )
    assert again.pk == run.pk and not created and not again.unchanged
    assert by_ticker(again)["BBAS3"].status == LineStatus.MATCH
    assert again.runs == 2 and Reconciliation.objects.count() == 1
    assert AuditEvent.objects.filter(action="portfolio.reconciliation.rerun").count() == 1


def test_one_portfolio_only(desk):
    run, _ = services.reconcile_positions(
        owner=desk.owner, content=sample("posicao-2025-03-31.csv"), as_of=AS_OF, portfolio=desk.second
    )
    petr = by_ticker(run)["PETR4"]
    assert (petr.books, petr.statement, petr.status) == (40, 100, LineStatus.DIFFERENCE)


def test_refusals(desk):
    with pytest.raises(ValidationError) as error:
        services.reconcile_positions(owner=desk.owner, content=sample("posicao-2025-03-31.csv"), file_name="x.csv")
    assert "as_of" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.reconcile_positions(owner=desk.owner, content=b"a;b\n1;2\n", as_of=AS_OF)
    assert "file" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.reconcile_positions(
            owner=desk.owner, content=sample("posicao-2025-03-31.csv"), as_of=AS_OF, portfolio=desk.other_portfolio
        )
    assert "portfolio" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.reconcile_positions(owner=desk.owner, content=sample("posicao-2025-03-31.csv"), as_of=date(2199, 1, 1))
    assert "as_of" in error.value.message_dict
    assert Reconciliation.objects.count() == 0


def test_unreadable_rows_are_listed(desk):
    content = (
        "Produto;Instituição;Código de Negociação;Quantidade\n"
        "PETR4 - PETROBRAS;XP INVESTIMENTOS CCTVM S/A;PETR4;100\n"
        "ITSA4 - ITAUSA;XP INVESTIMENTOS CCTVM S/A;ITSA4;muitas\n"
        ";XP INVESTIMENTOS CCTVM S/A;;3\n"
        "VALE3 - VALE;XP INVESTIMENTOS CCTVM S/A;VALE3;-1\n"
    ).encode()
    run, _ = services.reconcile_positions(owner=desk.owner, content=content, as_of=AS_OF)
    assert [p["line"] for p in run.problems] == ["CSV:3", "CSV:4", "CSV:5"]


def test_helpers():
    assert as_of_from_name("posicao-2025-03-31-10-20-31.xlsx") == date(2025, 3, 31)
    assert as_of_from_name("extrato 31-03-2025.csv") == date(2025, 3, 31)
    assert as_of_from_name("posicao-2025-02-31.xlsx") is None
    assert as_of_from_name("posicao.xlsx") is None
    assert settlement_window(date(2025, 3, 31)) == (date(2025, 3, 28), date(2025, 3, 31))  # Monday
    assert settlement_window(date(2025, 3, 30)) == (date(2025, 3, 27), date(2025, 3, 30))  # Sunday


def test_grupamento_is_named(desk):
    content = (
        "Produto;Instituição;Código de Negociação;Quantidade\nBBAS3 - BB;XP INVESTIMENTOS CCTVM S/A;BBAS3;10\n"
    ).encode()
    run, _ = services.reconcile_positions(owner=desk.owner, content=content, as_of=AS_OF, portfolio=desk.portfolio)
    assert "grupamento 10:1" in by_ticker(run)["BBAS3"].cause_detail


def test_difference_without_a_clean_ratio_is_a_missing_trade(desk):
    content = (
        "Produto;Instituição;Código de Negociação;Quantidade\nBBAS3 - BB;XP INVESTIMENTOS CCTVM S/A;BBAS3;73\n"
        "HGLG11 - FII;CORRETORA NOVA S.A.;HGLG11;10\n"
    ).encode()
    run, _ = services.reconcile_positions(owner=desk.owner, content=content, as_of=AS_OF, portfolio=desk.portfolio)
    bbas = by_ticker(run)["BBAS3"]
    assert bbas.cause == LikelyCause.MISSING_TRADE and "27" in bbas.cause_detail
    unknown = run.lines.get(institution="CORRETORA NOVA S.A.")
    assert unknown.cause == LikelyCause.UNKNOWN_BROKER and unknown.broker_id is None


# --- cash ----------------------------------------------------------------------------------


def test_cash_typed_balance(desk):
    books = {r["broker_id"]: r["balance"] for r in cash_balances(owner_id=desk.owner.pk)}
    run, created = services.reconcile_cash(
        owner=desk.owner,
        as_of=AS_OF,
        # the April buy is after the date; the broker has not yet paid the TAEE11 buy of 31/03 (D+2)
        balances=[{"broker": desk.xp, "balance": books[desk.xp.pk] + D("190.00") + D("350.00")}],
        actor=desk.owner,
    )
    line = run.lines.get()
    assert created and line.currency == "BRL"
    assert line.status == LineStatus.DIFFERENCE and line.cause == LikelyCause.UNSETTLED
    assert line.difference == D("350.00")
    assert run.source == "informado"


def test_cash_match_and_missing_movement(desk):
    books_at = {r["broker_id"]: r["balance"] for r in cash_balances(owner_id=desk.owner.pk)}
    expected = books_at[desk.xp.pk] + D("190.00")
    run, _ = services.reconcile_cash(
        owner=desk.owner, as_of=date(2025, 3, 31), balances=[{"broker": desk.xp, "balance": expected}]
    )
    assert run.lines.get().status == LineStatus.MATCH
    run, _ = services.reconcile_cash(owner=desk.owner, as_of=AS_OF, balances=[{"broker": desk.nu, "balance": D("10")}])
    line = run.lines.get()
    assert line.cause == LikelyCause.MISSING_MOVEMENT and "10" in line.cause_detail
    with pytest.raises(ValidationError):
        services.reconcile_cash(owner=desk.owner, as_of=AS_OF, balances=[])
    with pytest.raises(ValidationError):
        services.reconcile_cash(
            owner=desk.owner,
            as_of=AS_OF,
            balances=[{"broker": desk.nu, "balance": D("1")}, {"broker": desk.nu, "balance": D("2")}],
        )


def test_cash_from_a_file_lists_unknown_institutions(desk):
    run, _ = services.reconcile_cash_file(
        owner=desk.owner, content=sample("saldos-2025-03-31.csv"), file_name="saldos-2025-03-31.csv"
    )
    assert run.as_of == AS_OF and run.source == "arquivo"
    assert {line.institution for line in run.lines.all()} == {"XP Investimentos", "Nu Invest"}
    assert run.problems == [{"line": "4", "message": "Instituição “CORRETORA DESCONHECIDA S.A.” não cadastrada."}]
    again, created = services.reconcile_cash_file(
        owner=desk.owner, content=sample("saldos-2025-03-31.csv"), file_name="saldos-2025-03-31.csv"
    )
    assert again.pk == run.pk and not created and again.unchanged
    with pytest.raises(ValidationError):
        services.reconcile_cash_file(owner=desk.owner, content=b"x;y\n1;2\n", file_name="s.csv", as_of=AS_OF)


def test_delete_is_audited(desk):
    run, _ = services.reconcile_positions(owner=desk.owner, content=sample("posicao-2025-03-31.csv"), as_of=AS_OF)
    services.reconciliation_delete(reconciliation=run, actor=desk.owner)
    assert not Reconciliation.objects.exists() and not ReconciliationLine.objects.exists()
    assert AuditEvent.objects.filter(action="portfolio.reconciliation.delete").exists()

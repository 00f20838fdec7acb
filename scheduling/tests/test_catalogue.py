import pytest
from django.core.exceptions import ValidationError

from scheduling.catalogue import BY_KEY, JOBS, get_job, parse_cron, validate_params

SEED_TYPES = {"CRIAR_PROCESSOS_MENSAIS", "EXECUTAR_DOWNLOADS", "ENVIAR_RELATORIOS", "LIMPEZA_LOGS", "BACKUP_DADOS"}


def test_catalogue_has_the_seed_job_types_and_the_platform_jobs():
    keys = set(BY_KEY)
    assert keys >= SEED_TYPES
    tasks = {job.task for job in JOBS}
    assert {
        "billing_rpa.create_month_processes",
        "billing_rpa.dispatch_pending_downloads",
        "billing_rpa.send_approved_to_sat",
        "billing_rpa.poll_executions",
        "quotes.refresh_quotes",
        "quotes.refresh_fx",
        "quotes.backfill_prices",
        "portfolio.month_end_snapshot",
        "scheduling.send_monthly_report",
        "scheduling.cleanup_logs",
        "scheduling.backup_data",
    } <= tasks
    assert len(tasks) == len(JOBS), "one catalogue entry per task"
    for job in JOBS:
        assert (job.cron is None) != (job.every_seconds is None), job.key
        if job.cron:
            parse_cron(job.cron)


def test_defaults_are_filled_in():
    assert validate_params(get_job("CRIAR_PROCESSOS_MENSAIS"), {}) == {"month": None}
    assert validate_params(get_job("BACKFILL_PRECOS"), {"days": 5}) == {
        "days": 5,
        "tickers": None,
        "include_delisted": False,
    }


@pytest.mark.parametrize(
    "key, params, field, message",
    [
        ("CRIAR_PROCESSOS_MENSAIS", {"month": "2026-11"}, "month", "MM/AAAA"),
        ("CRIAR_PROCESSOS_MENSAIS", {"month": "13/2026"}, "month", "MM/AAAA"),
        ("CRIAR_PROCESSOS_MENSAIS", {"mes": "11/2026"}, "kwargs", "desconhecido: mes"),
        ("BACKFILL_PRECOS", {"days": "trinta"}, "days", "Tipo inválido"),
        ("BACKFILL_PRECOS", {"days": 0}, "days", "intervalo"),
        ("ENVIAR_RELATORIOS", {"recipients": ["nao-e-email"]}, "recipients.0", "e-mail"),
    ],
)
def test_bad_parameters_are_refused_with_a_field_message(key, params, field, message):
    with pytest.raises(ValidationError) as excinfo:
        validate_params(get_job(key), params)
    errors = excinfo.value.message_dict
    assert field in errors
    assert any(message in text for text in errors[field])


def test_parameters_must_be_an_object():
    with pytest.raises(ValidationError) as excinfo:
        validate_params(get_job("LIMPEZA_LOGS"), ["x"])
    assert "kwargs" in excinfo.value.message_dict


def test_unknown_job_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        get_job("LAVAR_LOUCA")
    assert "desconhecido" in excinfo.value.message_dict["job"][0]


@pytest.mark.parametrize("expression", ["", "0 8 * *", "61 8 * * *", "0 25 * * *", "0 8 * * segunda", "a b c d e"])
def test_bad_cron_is_refused(expression):
    with pytest.raises(ValidationError) as excinfo:
        parse_cron(expression)
    assert "cron" in excinfo.value.message_dict


def test_good_cron_is_split_into_fields():
    assert parse_cron("*/5 10-18 * * 1-5") == {
        "minute": "*/5",
        "hour": "10-18",
        "day_of_month": "*",
        "month_of_year": "*",
        "day_of_week": "1-5",
    }

"""The catalogue of schedulable jobs: what an operator may put on a schedule.

Each job names a Celery task (owned by the app that owns the work), a pt-BR label and
description, a JSON Schema of its keyword arguments (with defaults) and its default
schedule. django-celery-beat's ``PeriodicTask`` rows point at these task names; the admin
only offers catalogue tasks and validates the kwargs against the schema.

Keys keep the seed's vocabulary (``CRIAR_PROCESSOS_MENSAIS``, ``EXECUTAR_DOWNLOADS``,
``ENVIAR_RELATORIOS``, ``LIMPEZA_LOGS``, ``BACKUP_DADOS``) where operators know them.
"""

from dataclasses import dataclass, field

import jsonschema
from celery.schedules import crontab
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MONTH_PATTERN = r"^(0[1-9]|1[0-2])/[0-9]{4}$"

MONTH = {"type": ["string", "null"], "pattern": MONTH_PATTERN, "default": None}
POSITIVE_INT_OR_NULL = {"type": ["integer", "null"], "minimum": 1, "default": None}
TICKERS = {"type": ["array", "null"], "items": {"type": "string", "minLength": 1}, "default": None}


def schema(**properties):
    return {"type": "object", "properties": properties, "additionalProperties": False}


class CatchUp:
    """What happens to a run that was due while beat or the broker was down."""

    ONCE = "uma_vez"  # it runs once as soon as they are back (a missed month, backup, tax run matters)
    SKIP = "pular"  # it waits for its next time (a frequent job: the next run does the same work)

    LABELS = {
        ONCE: _("Executa uma vez ao voltar"),
        SKIP: _("Pula; espera o próximo horário"),
    }


@dataclass(frozen=True)
class Job:
    key: str
    task: str
    label: str
    description: str
    params: dict = field(default_factory=lambda: schema())
    cron: str | None = None  # "minute hour day_of_month month_of_year day_of_week"
    every_seconds: int | None = None
    critical: bool = False
    # Health reports a critical job as late when its last success is older than this.
    max_age_hours: int | None = None
    enabled_by_default: bool = True
    catch_up: str = CatchUp.SKIP

    @property
    def catch_up_label(self):
        return CatchUp.LABELS[self.catch_up]

    @property
    def default_name(self):
        return str(self.label)


JOBS = (
    Job(
        key="CRIAR_PROCESSOS_MENSAIS",
        task="billing_rpa.create_month_processes",
        label=_("Criar processos mensais"),
        description=_("Cria o processo do mês (MM/AAAA) para cada cliente ativo. Idempotente."),
        params=schema(month=MONTH),
        cron="0 6 1 * *",
        critical=True,
        max_age_hours=24 * 32,
        catch_up=CatchUp.ONCE,
    ),
    Job(
        key="EXECUTAR_DOWNLOADS",
        task="billing_rpa.dispatch_pending_downloads",
        label=_("Executar downloads pendentes"),
        description=_("Dispara os robôs de download das faturas aguardando download (opcionalmente de uma operadora)."),
        params=schema(
            carrier={"type": ["string", "null"], "minLength": 1, "default": None},
            limit=POSITIVE_INT_OR_NULL,
        ),
        cron="0 8 * * 1-5",
    ),
    Job(
        key="ENVIAR_SAT",
        task="billing_rpa.send_approved_to_sat",
        label=_("Enviar faturas aprovadas ao SAT"),
        description=_("Dispara o robô do SAT para as faturas aprovadas."),
        params=schema(limit=POSITIVE_INT_OR_NULL),
        cron="0 10,15 * * 1-5",
    ),
    Job(
        key="ACOMPANHAR_ROBOS",
        task="billing_rpa.poll_executions",
        label=_("Acompanhar robôs em execução"),
        description=_("Consulta status e logs dos jobs de robô em andamento; aplica tempo limite e novas tentativas."),
        every_seconds=5,
        critical=True,
        max_age_hours=1,
    ),
    Job(
        key="NOTIFICAR_APROVACOES",
        task="billing_rpa.notify_pending_approvals",
        label=_("Avisar aprovadores"),
        description=_("Envia aos aprovadores a lista de faturas aguardando aprovação."),
        cron="0 9 * * 1-5",
    ),
    Job(
        key="AVISAR_ATRASOS",
        task="billing_rpa.notify_late_processes",
        label=_("Avisar operadores sobre atrasos"),
        description=_("Envia aos operadores a lista de processos atrasados."),
        cron="0 9 * * 1-5",
    ),
    Job(
        key="ATUALIZAR_COTACOES",
        task="quotes.refresh_quotes",
        label=_("Atualizar cotações"),
        description=_(
            "Atualiza as cotações dos ativos em carteira; cotações ainda frescas (mercado fechado) não geram "
            "consultas, então rodar o dia todo só custa fora do pregão para cripto."
        ),
        params=schema(tickers=TICKERS),
        cron="*/5 * * * *",
        critical=True,
        max_age_hours=24 * 4,
    ),
    Job(
        key="ATUALIZAR_CAMBIO",
        task="quotes.refresh_fx",
        label=_("Atualizar câmbio (PTAX)"),
        description=_("Busca as taxas de câmbio do dia."),
        params=schema(pairs={"type": ["array", "null"], "items": {"type": "string"}, "default": None}),
        cron="30 13,18 * * 1-5",
    ),
    Job(
        key="ATUALIZAR_INDICADORES",
        task="quotes.refresh_indicators",
        label=_("Atualizar indicadores (CDI, Selic, IPCA)"),
        description=_("Busca as séries do Banco Central usadas em benchmarks e sinais."),
        params=schema(series={"type": ["array", "null"], "items": {"type": "string"}, "default": None}),
        cron="30 9 * * *",
    ),
    Job(
        key="BACKFILL_PRECOS",
        task="quotes.backfill_prices",
        label=_("Preencher histórico de preços"),
        description=_("Completa lacunas do histórico diário de preços."),
        params=schema(
            days={"type": "integer", "minimum": 1, "maximum": 3650, "default": 30},
            tickers=TICKERS,
            include_delisted={"type": "boolean", "default": False},
        ),
        cron="0 20 * * 1-5",
    ),
    Job(
        key="CREDITAR_PROVENTOS",
        task="portfolio.credit_due_dividends",
        label=_("Creditar proventos"),
        description=_("Credita no caixa os proventos cuja data de pagamento chegou."),
        cron="0 7 * * *",
        catch_up=CatchUp.ONCE,
    ),
    Job(
        key="SNAPSHOT_MENSAL",
        task="portfolio.month_end_snapshot",
        label=_("Fotografia mensal do patrimônio"),
        description=_("Registra o patrimônio de fim de mês de cada carteira (mês anterior por padrão)."),
        params=schema(month=MONTH),
        cron="0 2 1 * *",
        catch_up=CatchUp.ONCE,
    ),
    Job(
        key="APURAR_IR_MENSAL",
        task="portfolio.tax_assess_month",
        label=_("Apurar IR do mês"),
        description=_("Calcula e guarda a apuração mensal de IR de cada investidor (mês anterior por padrão)."),
        params=schema(month=MONTH),
        cron="0 4 1 * *",
        catch_up=CatchUp.ONCE,
    ),
    Job(
        key="ENVIAR_RELATORIOS",
        task="scheduling.send_monthly_report",
        label=_("Enviar relatório mensal de faturas"),
        description=_("Envia por e-mail o relatório do mês (totais por status e operadora, atrasos) em CSV."),
        params=schema(
            month=MONTH,
            recipients={"type": ["array", "null"], "items": {"type": "string", "format": "email"}, "default": None},
            force={"type": "boolean", "default": False},
        ),
        cron="0 8 1 * *",
        catch_up=CatchUp.ONCE,
    ),
    Job(
        key="VERIFICAR_PROCESSOS_MENSAIS",
        task="scheduling.check_monthly_processes",
        label=_("Verificar criação dos processos do mês"),
        description=_("Avisa os operadores se os processos do mês não foram criados até o dia configurado."),
        cron="0 9 * * *",
        catch_up=CatchUp.ONCE,
    ),
    Job(
        key="LIMPEZA_LOGS",
        task="scheduling.cleanup_logs",
        label=_("Limpeza de logs"),
        description=_("Apaga logs de robôs, tentativas de provedores e histórico antigos (retenção configurável)."),
        params=schema(retention_days=POSITIVE_INT_OR_NULL),
        cron="30 3 * * *",
    ),
    Job(
        key="BACKUP_DADOS",
        task="scheduling.backup_data",
        label=_("Backup dos dados"),
        description=_("Cópia lógica do banco, comprimida, no armazenamento; mantém as N mais recentes."),
        params=schema(keep=POSITIVE_INT_OR_NULL),
        cron="0 3 * * *",
        critical=True,
        max_age_hours=26,
        catch_up=CatchUp.ONCE,
    ),
)

BY_KEY = {job.key: job for job in JOBS}
BY_TASK = {job.task: job for job in JOBS}


def job_for_task(task_name):
    return BY_TASK.get(task_name)


def get_job(key):
    try:
        return BY_KEY[key]
    except KeyError:
        raise ValidationError({"job": gettext("Job desconhecido: %(key)s.") % {"key": key}}) from None


def _message(error):
    field_name = ".".join(str(p) for p in error.absolute_path) or "kwargs"
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return "kwargs", gettext("Parâmetro desconhecido: %(names)s.") % {"names": ", ".join(extra)}
    if error.validator == "pattern":
        return field_name, gettext("Formato inválido: use MM/AAAA.")
    if error.validator == "type":
        return field_name, gettext("Tipo inválido.")
    if error.validator in ("minimum", "maximum"):
        return field_name, gettext("Valor fora do intervalo permitido.")
    if error.validator == "format":
        return field_name, gettext("Endereço de e-mail inválido.")
    return field_name, gettext("Valor inválido.")


FORMAT_CHECKER = jsonschema.FormatChecker()


@FORMAT_CHECKER.checks("email", raises=ValidationError)
def _is_email(value):
    from django.core.validators import validate_email

    validate_email(value)
    return True


def validate_params(job, params):
    """Check ``params`` against the job's schema; return them with defaults filled in.

    Raises ``ValidationError`` with one message per offending parameter.
    """
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ValidationError({"kwargs": gettext("Os parâmetros devem ser um objeto JSON.")})
    validator = jsonschema.Draft202012Validator(job.params, format_checker=FORMAT_CHECKER)
    errors = {}
    for error in sorted(validator.iter_errors(params), key=lambda e: list(e.absolute_path)):
        name, message = _message(error)
        errors.setdefault(name, []).append(message)
    if errors:
        raise ValidationError(errors)
    defaults = {name: spec.get("default") for name, spec in job.params.get("properties", {}).items()}
    return {**defaults, **params}


CRON_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


def parse_cron(expression):
    """``"0 8 * * 1-5"`` → the five crontab fields, validated by Celery's own parser."""
    parts = (expression or "").split()
    if len(parts) != 5:
        raise ValidationError(
            {"cron": gettext("Expressão cron inválida: use 5 campos (minuto hora dia mês dia-da-semana).")}
        )
    fields = dict(zip(CRON_FIELDS, parts, strict=True))
    try:
        crontab(**fields)
    except (ValueError, TypeError) as exc:
        raise ValidationError({"cron": gettext("Expressão cron inválida: %(error)s") % {"error": exc}}) from exc
    return fields

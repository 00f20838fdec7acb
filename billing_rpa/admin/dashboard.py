"""The billing cards of the admin home page, per role: Aprovador, Operador, ADMIN."""

from decimal import Decimal

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from exitus import console
from exitus.formats import money_br, number_br

from .. import selectors
from ..choices import ProcessStatus
from ..selectors import PERM_APPROVE, PERM_OPERATE, PERM_UPLOAD, can_see_billing, user_has_billing_perm
from .base import PROCESS_TONES


def _processes(**params) -> str:
    return f"{reverse('admin:billing_rpa_invoiceprocess_changelist')}?{urlencode(params)}"


@console.card_provider(order=10)
def billing_cards(user, today):
    if not (user.is_staff and can_see_billing(user)):
        return []
    approver = user_has_billing_perm(user, PERM_APPROVE)
    operator = user_has_billing_perm(user, PERM_OPERATE) or user_has_billing_perm(user, PERM_UPLOAD)
    admin = user.is_superuser
    home = selectors.console_home(today)
    month = home["month"]
    group = _("Faturas de telecom")
    cards = []
    if approver or admin:
        cards.append(
            console.Card(
                key="billing.awaiting_approval",
                title=_("Aguardando aprovação"),
                value=number_br(home["awaiting_approval"], 0),
                url=_processes(status=ProcessStatus.AGUARDANDO_APROVACAO),
                tone="info" if home["awaiting_approval"] else "success",
                detail=_("Total: %(v)s") % {"v": money_br(home["awaiting_amount"])}
                if home["awaiting_approval"]
                else _("Nada a aprovar."),
                group=group,
            )
        )
    if operator or admin:
        steps = (
            # (current step, title, tone when any, detail)
            ("failed", _("Etapas que falharam"), "danger", _("Aguardando um operador (repetir ou enviar à mão).")),
            (
                "retrying",
                _("Tentando novamente"),
                "warning",
                _("Falhas de sistema, nova tentativa automática agendada."),
            ),
            ("running", _("Robôs em execução agora"), "info", ""),
        )
        for step, title, tone, detail in steps:
            count = home["running"] if step == "running" else home[step]
            cards.append(
                console.Card(
                    key=f"billing.{step}",
                    title=title,
                    value=number_br(count, 0),
                    url=_processes(step=step),
                    tone=tone if count or step == "running" else "success",
                    detail=detail,
                    group=group,
                )
            )
    cards.append(
        console.Card(
            key="billing.late",
            title=_("Processos atrasados"),
            value=number_br(home["late"], 0),
            url=_processes(late="1"),
            tone="danger" if home["late"] else "success",
            group=group,
        )
    )
    previous = home["amount_previous"]
    current = home["amount_month"]
    if current is not None and previous:
        change = (current - previous) / previous * 100
        compare = _("%(sign)s%(pct)s%% em relação a %(month)s (%(prev)s)") % {
            "sign": "+" if change >= 0 else "",
            "pct": number_br(change.quantize(Decimal("0.1")), 1),
            "month": home["previous"],
            "prev": money_br(previous),
        }
    else:
        compare = _("%(month)s: %(prev)s") % {"month": home["previous"], "prev": money_br(previous)}
    cards.append(
        console.Card(
            key="billing.amount",
            title=_("Total das faturas de %(month)s") % {"month": month},
            value=money_br(current),
            url=_processes(month=month),
            tone="info",
            detail=compare,
            group=group,
        )
    )
    total_robot = home["robots_ok"] + home["robots_bad"]
    if total_robot:
        rate = Decimal(home["robots_ok"] * 100) / Decimal(total_robot)
        rate_text = f"{number_br(rate.quantize(Decimal('0.1')), 1)}%"
        tone = "success" if rate >= 90 else ("warning" if rate >= 70 else "danger")
    else:
        rate_text, tone = "—", "muted"
    cards.append(
        console.Card(
            key="billing.robot_rate",
            title=_("Sucesso dos robôs (7 dias)"),
            value=rate_text,
            url=reverse("admin:billing_rpa_execution_changelist"),
            tone=tone,
            detail=_("%(ok)d concluídas, %(bad)d com falha") % {"ok": home["robots_ok"], "bad": home["robots_bad"]},
            group=group,
        )
    )
    statuses = list(ProcessStatus)
    bars = [
        {
            "label": row["carrier"],
            "total": row["total"],
            "segments": [
                {
                    "label": status.label,
                    "value": row["by_status"][status.value],
                    "tone": PROCESS_TONES[status],
                    "url": _processes(month=month, carrier=row["carrier"], status=status.value),
                }
                for status in statuses
            ],
        }
        for row in home["progress"]
    ]
    cards.append(
        console.Card(
            key="billing.progress",
            title=_("Progresso de %(month)s por operadora") % {"month": month},
            value=None,
            url=reverse("admin:billing_rpa_invoiceprocess_overview") + "?" + urlencode({"month": month}),
            tone="info",
            detail="" if bars else _("Nenhum processo criado para %(month)s.") % {"month": month},
            bars=bars,
            legend=[{"label": status.label, "tone": PROCESS_TONES[status]} for status in statuses],
            group=group,
            wide=True,
        )
    )
    return cards

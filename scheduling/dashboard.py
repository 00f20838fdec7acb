"""The scheduling cards of the admin home page (ADMIN): last backup's age, schedules that failed."""

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from exitus import console

from .catalogue import get_job
from .selectors import BACKUP_JOB, last_backup, schedules_last_failed


@console.card_provider(order=50)
def scheduling_cards(user, today):
    if not user.is_superuser:
        return []
    group = _("Operações")
    cards = []
    backup = last_backup()
    history = reverse("admin:scheduling_jobrun_changelist")
    if backup is None or backup.finished_at is None:
        age_text, tone, detail = _("nunca"), "danger", _("Nenhum backup concluído.")
    else:
        hours = (timezone.now() - backup.finished_at).total_seconds() / 3600
        limit = get_job(BACKUP_JOB).max_age_hours or 26
        tone = "success" if hours <= limit else "danger"
        if hours < 48:
            age_text = ngettext("%(n)d hora", "%(n)d horas", int(hours)) % {"n": int(hours)}
        else:
            age_text = ngettext("%(n)d dia", "%(n)d dias", int(hours // 24)) % {"n": int(hours // 24)}
        detail = _("Último: %(t)s") % {"t": timezone.localtime(backup.finished_at).strftime("%d/%m/%Y %H:%M:%S")}
    cards.append(
        console.Card(
            key="ops.backup",
            title=_("Idade do último backup"),
            value=age_text,
            url=f"{history}?{urlencode({'job': BACKUP_JOB})}",
            tone=tone,
            detail=detail,
            group=group,
        )
    )
    failed = schedules_last_failed()
    schedules = reverse("admin:django_celery_beat_periodictask_changelist")
    cards.append(
        console.Card(
            key="ops.schedules_failed",
            title=_("Agendamentos cuja última execução falhou"),
            value=len(failed),
            url=f"{history}?{urlencode({'status': 'FALHOU'})}",
            tone="danger" if failed else "success",
            rows=[
                {
                    "label": name,
                    "url": f"{schedules}?{urlencode({'q': name})}",
                    "value": timezone.localtime(when).strftime("%d/%m %H:%M:%S") if when else None,
                    "tone": "danger",
                }
                for name, _task, when in failed[:5]
            ],
            detail="" if failed else _("Todos os agendamentos ativos terminaram bem da última vez."),
            group=group,
        )
    )
    return cards

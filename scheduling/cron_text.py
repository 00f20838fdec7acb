"""Cron expressions as Portuguese sentences: ``0 9 * * 1-5`` → "De segunda a sexta, às 09:00".

Why not cron-descriptor: the version django-celery-beat pins (<2.0) and the current 2.2.1 both
lack a pt_BR locale, and their pt_PT output keeps weekday and month names in English ("de
Monday a Friday"); 2.2.1 also conflicts with django-celery-beat's pin. The schedules operators
edit use a small part of cron (lists, ranges, steps, ``*``), which this module reads fully;
anything else is shown as the raw expression, labelled, never guessed.
"""

WEEKDAYS = ["domingo", "segunda", "terça", "quarta", "quinta", "sexta", "sábado"]
MONTHS = [
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
]


class Unsupported(ValueError):
    pass


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " e " + items[-1]


def _values(field: str, low: int, high: int) -> list[int] | None:
    """The values a field takes (``None`` for ``*``); ranges, lists and steps."""
    if field == "*":
        return None
    values: list[int] = []
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise Unsupported(field)
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            if not (a.isdigit() and b.isdigit()):
                raise Unsupported(field)
            start, end = int(a), int(b)
        elif part.isdigit():
            start = end = int(part)
            if step != 1:
                end = high
        else:
            raise Unsupported(field)
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise Unsupported(field)
        values.extend(range(start, end + 1, step))
    return sorted(set(values))


def _weekdays(field: str) -> str:
    values = _values(field.replace("7", "0") if field != "*" else field, 0, 6)
    if values is None:
        return ""
    if values == [1, 2, 3, 4, 5]:
        return "De segunda a sexta"
    if values == [0, 6]:
        return "Aos sábados e domingos"
    # A contiguous run of three or more days reads as a range.
    if len(values) >= 3 and values == list(range(values[0], values[-1] + 1)):
        return f"De {WEEKDAYS[values[0]]} a {WEEKDAYS[values[-1]]}"
    plural = [f"{WEEKDAYS[v]}s" for v in values]
    return ("Aos " if values[0] in (0, 6) else "Às ") + _join(plural)


def _days_of_month(field: str) -> str:
    values = _values(field, 1, 31)
    if values is None:
        return ""
    if len(values) == 1:
        return f"No dia {values[0]} do mês"
    return f"Nos dias {_join([str(v) for v in values])} do mês"


def _months(field: str) -> str:
    values = _values(field, 1, 12)
    if values is None:
        return ""
    return "Em " + _join([MONTHS[v - 1] for v in values])


def _times(minute: str, hour: str) -> str:
    if "/" in minute and minute.startswith("*") and hour == "*":
        step = minute.split("/", 1)[1]
        if not step.isdigit() or not 1 <= int(step) <= 59:
            raise Unsupported(minute)
        return f"A cada {int(step)} minutos" if int(step) != 1 else "A cada minuto"
    if minute == "*" and hour == "*":
        return "A cada minuto"
    minutes = _values(minute, 0, 59)
    hours = _values(hour, 0, 23)
    if minutes is None:
        raise Unsupported(minute)
    if hours is None:
        if len(minutes) == 1:
            return f"A cada hora, no minuto {minutes[0]:02d}" if minutes[0] else "A cada hora, em ponto"
        return f"A cada hora, nos minutos {_join([f'{m:02d}' for m in minutes])}"
    if "/" in minute:
        raise Unsupported(minute)
    moments = [f"{h:02d}:{m:02d}" for h in hours for m in minutes]
    if len(moments) > 6:
        raise Unsupported(f"{minute} {hour}")
    article = "à " if len(moments) == 1 and moments[0].startswith("01:") else "às "
    return article + _join(moments)


def describe(expression: str) -> str:
    """``minute hour day_of_month month_of_year day_of_week`` → one Portuguese sentence."""
    parts = expression.split()
    if len(parts) != 5:
        return f"Expressão cron: {expression}"
    minute, hour, dom, month, dow = parts
    try:
        when = _times(minute, hour)
        prefix = [text for text in (_months(month), _days_of_month(dom), _weekdays(dow)) if text]
    except Unsupported:
        return f"Expressão cron: {expression}"
    if not prefix:
        if when.startswith(("às", "à ")):
            return "Todos os dias, " + when
        return when
    sentence = ", ".join([prefix[0]] + [p[0].lower() + p[1:] for p in prefix[1:]])
    return f"{sentence}, {when[0].lower() + when[1:]}"

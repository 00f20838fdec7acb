import pytest

from scheduling.catalogue import JOBS
from scheduling.cron_text import describe


@pytest.mark.parametrize(
    ("expression", "sentence"),
    [
        ("0 9 * * 1-5", "De segunda a sexta, às 09:00"),
        ("0 10,15 * * 1-5", "De segunda a sexta, às 10:00 e 15:00"),
        ("0 6 1 * *", "No dia 1 do mês, às 06:00"),
        ("*/5 * * * *", "A cada 5 minutos"),
        ("30 3 * * *", "Todos os dias, às 03:30"),
        ("0 3 * * 0", "Aos domingos, às 03:00"),
        ("0 9 * * 1,3", "Às segundas e quartas, às 09:00"),
        ("15 4 1 1 *", "Em janeiro, no dia 1 do mês, às 04:15"),
        ("0 * * * *", "A cada hora, em ponto"),
        ("0 1 * * *", "Todos os dias, à 01:00"),
    ],
)
def test_describe(expression, sentence):
    assert describe(expression) == sentence


@pytest.mark.parametrize("expression", ["0 0 L * *", "5 4 * * sun", "61 * * * *", "* *", "*/0 * * * *"])
def test_what_it_cannot_read_is_shown_raw_never_guessed(expression):
    assert describe(expression) == f"Expressão cron: {expression}"


def test_every_catalogue_schedule_reads_as_a_sentence():
    for job in JOBS:
        if job.cron:
            assert not describe(job.cron).startswith("Expressão cron"), job.key

"""Brokerage notes in the B3/SINACOR layout, generated with reportlab (the desk's tests parse them).

``note_pdf([note, ...])`` draws each note as SINACOR prints it — header (Nr. nota, Folha, Data pregão,
broker and CNPJ), *Negócios realizados* (one line per trade), and on the note's last page the *Resumo
dos Negócios* and *Resumo Financeiro* (clearing, bolsa, custos operacionais, IRRF, Líquido para D+2);
earlier pages of a long note read CONTINUA... . A note is a dict::

    {"number": "1001", "date": date(2025, 3, 10), "broker": "XP INVESTIMENTOS CCTVM S/A",
     "cnpj": "02.332.886/0001-04", "trades": [("C", "VISTA", "PETROBRAS PN N2", "", 100, "30,00")],
     "fees": {"liquidacao": "1,50", ...}, "irrf": "0,15", "irrf_day_trade": "0,00",
     "per_page": 30, "net": None}     # net: override the Líquido (a malformed note)

``python portfolio/tests/desk/files/sinacor_pdf.py out.pdf`` writes the sample used in the docs.
"""

import io
import sys
from datetime import date, timedelta
from decimal import Decimal

FEES = (
    ("liquidacao", "Taxa de liquidação"),
    ("registro", "Taxa de Registro"),
    ("termo", "Taxa de termo/opções"),
    ("ana", "Taxa A.N.A."),
    ("emolumentos", "Emolumentos"),
    ("operacional", "Taxa Operacional"),
    ("execucao", "Execução"),
    ("custodia", "Taxa de Custódia"),
    ("impostos", "Impostos"),
    ("outros", "Outros"),
)


def brl(value: Decimal) -> str:
    text = f"{value:,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def dec(text) -> Decimal:
    return Decimal(str(text).replace(".", "").replace(",", "."))


def _settlement(day: date) -> date:
    day += timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class _Writer:
    """Draws one line at a time, top to bottom (what pypdf then reads back in order)."""

    def __init__(self, pdf, y):
        self.pdf, self.y = pdf, y

    def line(self, text, x=30, size=8, bold=False):
        self.pdf.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        self.pdf.drawString(x, self.y, text)

    def nl(self, step=12):
        self.y -= step


def note_pdf(notes: list) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    height = A4[1]
    for note in notes:
        trades = note["trades"]
        per_page = note.get("per_page", 25)
        chunks = [trades[i : i + per_page] for i in range(0, len(trades), per_page)] or [[]]
        fees = {key: dec(note.get("fees", {}).get(key, "0")) for key, _label in FEES}
        bought = sum((Decimal(q) * dec(p) for cv, _m, _s, _o, q, p in trades if cv == "C"), Decimal(0))
        sold = sum((Decimal(q) * dec(p) for cv, _m, _s, _o, q, p in trades if cv == "V"), Decimal(0))
        irrf, irrf_dt = dec(note.get("irrf", "0")), dec(note.get("irrf_day_trade", "0"))
        net = sold - bought - sum(fees.values()) - irrf - irrf_dt
        if note.get("net") is not None:
            net = dec(note["net"])
        for page, chunk in enumerate(chunks, start=1):
            writer = _Writer(pdf, height - 40)
            line, nl = writer.line, writer.nl
            line("NOTA DE CORRETAGEM", bold=True, size=11)
            nl(16)
            line("Nr. nota     Folha     Data pregão")
            nl()
            line(f"{note['number']}     {page}     {note['date']:%d/%m/%Y}")
            nl(16)
            line(note["broker"], bold=True)
            nl()
            line("Av. Presidente Juscelino Kubitschek, 1909 - São Paulo - SP")
            nl()
            line(f"C.N.P.J: {note['cnpj']}   Carta Patente: 000.000   Tel. (11) 3003-3710")
            nl(16)
            line(
                "Cliente: INVESTIDOR DE TESTE   C.P.F./C.N.P.J/C.V.M./C.O.B.: 123.456.789-00   Código cliente: 1234567"
            )
            nl(18)
            line("Negócios realizados", bold=True)
            nl()
            line(
                "Q Negociação C/V Tipo mercado Prazo Especificação do título Obs. (*) Quantidade Preço / Ajuste Valor Operação / Ajuste D/C"
            )
            nl()
            for cv, market, spec, obs, qty, price in chunk:
                value = Decimal(qty) * dec(price)
                parts = [
                    "1-BOVESPA",
                    cv,
                    market,
                    spec,
                    obs,
                    f"{int(qty):,}".replace(",", "."),
                    price,
                    brl(value),
                    "D" if cv == "C" else "C",
                ]
                line(" ".join(p for p in parts if p))
                nl()
            nl(10)
            last = page == len(chunks)
            money = (lambda v: brl(v)) if last else (lambda v: "CONTINUA...")
            left = [
                ("Resumo dos Negócios", None),
                ("Debêntures", Decimal(0)),
                ("Vendas à vista", sold),
                ("Compras à vista", bought),
                ("Opções - compras", Decimal(0)),
                ("Opções - vendas", Decimal(0)),
                ("Operações à termo", Decimal(0)),
                ("Valor das oper. c/ títulos públ. (v. nom.)", Decimal(0)),
                ("Valor das operações", sold + bought),
            ]
            right = [("Resumo Financeiro", None), ("Clearing", None), ("Valor líquido das operações", sold - bought)]
            right += [(label, fees[key]) for key, label in FEES[:2]]
            right += [("Total CBLC", sold - bought - fees["liquidacao"] - fees["registro"]), ("Bolsa", None)]
            right += [(label, fees[key]) for key, label in FEES[2:5]]
            right += [
                ("Total Bovespa / Soma", fees["termo"] + fees["ana"] + fees["emolumentos"]),
                ("Custos Operacionais", None),
            ]
            right += [(label, fees[key]) for key, label in FEES[5:9]]
            top = writer.y
            for label, value in left:
                line(label if value is None else f"{label} {money(value)}", bold=value is None)
                nl()
            writer.y = top
            for label, value in right:
                text = (
                    label
                    if value is None
                    else f"{label} {money(value)} {'D' if label != 'Valor líquido das operações' or value < 0 else 'C'}"
                )
                line(text, x=330, bold=value is None)
                nl()
            line(f"I.R.R.F. s/ operações, base R$ {money(sold)} {money(irrf)}", x=330)
            nl()
            if irrf_dt:
                line(f"IRRF Day Trade: Base R$ {money(irrf_dt * 100)} Projeção R$ {money(irrf_dt)}", x=330)
                nl()
            line(f"Outros {money(fees['outros'])} D", x=330)
            nl()
            costs = sum(fees[key] for key, _label in FEES[5:])
            line(f"Total Custos / Despesas {money(costs)} D", x=330)
            nl()
            if last and not note.get("drop_net"):
                line(
                    f"Líquido para {_settlement(note['date']):%d/%m/%Y} {brl(abs(net))} {'C' if net >= 0 else 'D'}",
                    x=330,
                    bold=True,
                )
            elif not last:
                line("Líquido para CONTINUA...", x=330, bold=True)
            nl()
            pdf.setFont("Helvetica", 6)
            pdf.drawString(30, 30, "(*) Observações: D - Day Trade; # - Negócio direto; F - Cobertura; B - Debêntures")
            pdf.showPage()
    pdf.save()
    return buffer.getvalue()


SAMPLE = [
    {
        "number": "1001",
        "date": date(2025, 3, 10),
        "broker": "XP INVESTIMENTOS CCTVM S/A",
        "cnpj": "02.332.886/0001-04",
        "trades": [("C", "VISTA", "PETROBRAS PN N2", "", 100, "30,00"), ("V", "VISTA", "VALE ON NM", "", 50, "60,00")],
        "fees": {"liquidacao": "1,65", "emolumentos": "0,30", "operacional": "4,90", "impostos": "0,49"},
        "irrf": "0,15",
    }
]

if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "nota-sinacor.pdf"
    with open(target, "wb") as handle:
        handle.write(note_pdf(SAMPLE))

"""Small but real invoice PDFs for the simulator (reportlab)."""

import io
from decimal import Decimal

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def invoice_pdf(*, carrier: str, razao: str, cnpj: str, mes_ano: str, valor: Decimal, vencimento: str) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(f"Fatura {carrier} {mes_ano}")
    _width, height = A4
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(50, height - 60, f"Fatura {carrier} - competência {mes_ano}")
    pdf.setFont("Helvetica", 11)
    lines = [
        f"Cliente: {razao}",
        f"CNPJ: {cnpj}",
        f"Valor total: R$ {valor:.2f}".replace(".", ","),
        f"Vencimento: {vencimento}",
        "Documento gerado pelo simulador RPA do Exitus (dados fictícios).",
    ]
    for index, line in enumerate(lines):
        pdf.drawString(50, height - 100 - 18 * index, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()

"""The annual report as files: CSV (sections one after the other), XLSX (a sheet per section), PDF."""

import csv
import io
from datetime import date
from decimal import Decimal

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_MEDIA_TYPE = "application/pdf"


def _cell(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value.as_tuple().exponent >= -2 else f"{value.normalize():f}"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "sim" if value else "não"
    return "" if value is None else value


def sections(report: dict) -> list[tuple[str, list, list]]:
    """``[(title, headers, rows)]`` of the report, in the order of the DIRPF."""
    out = []
    out.append(
        (
            f"Bens e Direitos em 31/12/{report['year']}",
            [
                "Grupo",
                "Código",
                "Ticker",
                "CNPJ do emissor",
                "Corretora",
                "CNPJ da corretora",
                "Localização",
                "Quantidade",
                f"Custo 31/12/{report['year'] - 1}",
                f"Custo 31/12/{report['year']}",
                "Discriminação",
            ],
            [
                [
                    b["group"],
                    b["code"],
                    b["ticker"],
                    b["cnpj"],
                    b["broker"],
                    b["broker_cnpj"],
                    b["location"],
                    b["quantity"],
                    b["previous_cost"],
                    b["cost"],
                    b["description"],
                ]
                for b in report["bens_e_direitos"]
            ],
        )
    )
    isentos = report["rendimentos_isentos"]
    rows = [["09 - Lucros e dividendos", r["ticker"], r["cnpj"], r["amount"]] for r in isentos["dividendos_09"]]
    rows += [["20 - Ganhos líquidos em ações (vendas até R$ 20 mil/mês)", "", "", isentos["acoes_ate_20mil_20"]]]
    rows += [["Rendimentos de FII", r["ticker"], r["cnpj"], r["amount"]] for r in isentos["fii_rendimentos"]]
    rows += [["Ganho em criptoativos (vendas até R$ 35 mil/mês)", "", "", isentos["cripto_ate_35mil"]]]
    rows += [
        ["18 - Incorporação de reservas ao capital / bonificações em ações", r["ticker"], r["cnpj"], r["amount"]]
        for r in report.get("bonificacoes_18", [])
    ]
    out.append(("Rendimentos Isentos e Não Tributáveis", ["Linha", "Ticker", "CNPJ da fonte", "Valor"], rows))
    out.append(
        (
            "Rendimentos Sujeitos à Tributação Exclusiva",
            ["Linha", "Ticker", "CNPJ da fonte", "Bruto", "IRRF", "Líquido"],
            [
                ["10 - Juros sobre capital próprio", r["ticker"], r["cnpj"], r["gross"], r["tax"], r["net"]]
                for r in report["tributacao_exclusiva"]["jcp_10"]
            ],
        )
    )
    out.append(
        (
            "Renda Variável — resultados mensais",
            [
                "Mês",
                "Vendas de ações",
                "Isento",
                "Comum",
                "Day trade",
                "FII",
                "Prejuízo comum a compensar",
                "Prejuízo day trade",
                "Prejuízo FII",
                "Imposto devido",
                "IRRF",
                "DARF 6015",
                "Vendas cripto",
                "Imposto cripto",
            ],
            [
                [
                    m["month"].strftime("%m/%Y"),
                    m["acoes_sales"],
                    m["exempt"],
                    m["common_result"],
                    m["day_trade_result"],
                    m["fii_result"],
                    m["common_loss_out"],
                    m["day_trade_loss_out"],
                    m["fii_loss_out"],
                    m["tax_due"],
                    m["irrf"],
                    m["darf"],
                    m["crypto_sales"],
                    m["crypto_tax"],
                ]
                for m in report["renda_variavel"]["months"]
            ],
        )
    )
    abroad = report.get("exterior") or {}
    if abroad:
        out.append(
            (
                "Aplicações no exterior (Lei 14.754/2023)",
                ["Item", "Valor (R$)"],
                [
                    ["Ganhos", abroad.get("gains")],
                    ["Perdas", abroad.get("losses")],
                    ["Rendimentos", abroad.get("income")],
                    ["Prejuízo de anos anteriores compensado", abroad.get("compensated")],
                    ["Base de cálculo", abroad.get("taxable")],
                    ["Imposto (15%)", abroad.get("tax")],
                    ["Crédito do imposto pago no exterior", abroad.get("credit")],
                    ["Imposto devido", abroad.get("tax_due")],
                    ["Prejuízo a compensar", abroad.get("loss_out")],
                ],
            )
        )
    return out


def to_csv(report: dict) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([f"Informe para a DIRPF {report['year'] + 1} (ano-calendário {report['year']})"])
    for title, headers, rows in sections(report):
        writer.writerow([])
        writer.writerow([title])
        writer.writerow(headers)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(report: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sections(report):
        sheet = book.create_sheet(title[:31].replace("/", "-"))
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([float(v) if isinstance(v, Decimal) else _cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_pdf(report: dict) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        title=f"IR {report['year']}",
        leftMargin=20,
        rightMargin=20,
        topMargin=20,
        bottomMargin=20,
    )
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=6.5, leading=8)
    story = [
        Paragraph(f"Informe para a DIRPF — ano-calendário {report['year']}", styles["Title"]),
        Paragraph(f"Investidor: {report['user']['name'] or report['user']['username']}", styles["Normal"]),
    ]
    for title, headers, rows in sections(report):
        story += [Spacer(1, 8), Paragraph(title, styles["Heading3"])]
        data = [[Paragraph(str(h), small) for h in headers]]
        data += [[Paragraph(str(_cell(v)), small) for v in row] for row in rows] or [["—"] * len(headers)]
        table = Table(data, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    doc.build(story)
    return buffer.getvalue()


RENDERERS = {"csv": (to_csv, CSV_MEDIA_TYPE), "xlsx": (to_xlsx, XLSX_MEDIA_TYPE), "pdf": (to_pdf, PDF_MEDIA_TYPE)}


def render(fmt: str, report: dict) -> tuple[bytes, str]:
    func, media_type = RENDERERS[fmt]
    return func(report), media_type

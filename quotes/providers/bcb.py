"""Banco Central do Brasil: PTAX (Olinda OData) and the SGS series (CDI, Selic, IPCA). No key.

PTAX: ``CotacaoDolarPeriodo`` / ``CotacaoMoedaPeriodo`` answer ``{"value": [{"cotacaoCompra",
"cotacaoVenda", "dataHoraCotacao": "AAAA-MM-DD HH:MM:SS.fff", "tipoBoletim"?}]}``; we keep the
closing PTAX *venda* of each day. SGS: ``/dados/serie/bcdata.sgs.{code}/dados?formato=json``
answers ``[{"data": "DD/MM/AAAA", "valor": "0.055131"}]`` (values in %, as published).
"""

from datetime import datetime

from ..choices import SGS_CODES
from .base import FX, SERIES, BadResponse, FxPoint, Provider, SeriesPoint, to_decimal


class BCBProvider(Provider):
    name = "bcb"
    capabilities = frozenset({FX, SERIES})
    markets = frozenset({"FX", "SERIES"})

    @property
    def olinda_url(self):
        return (self.config.get("olinda_url") or "").rstrip("/")

    def fetch_fx(self, base, quote, start, end):
        if quote != "BRL" or base == "BRL":
            return []  # PTAX quotes foreign currencies in reais only
        window = f"@dataInicial='{start:%m-%d-%Y}'&@dataFinalCotacao='{end:%m-%d-%Y}'&$format=json"
        root = f"{self.olinda_url}/olinda/servico/PTAX/versao/v1/odata"
        if base == "USD":
            url = f"{root}/CotacaoDolarPeriodo(dataInicial=@dataInicial,dataFinalCotacao=@dataFinalCotacao)?{window}"
        else:
            url = (
                f"{root}/CotacaoMoedaPeriodo(moeda=@moeda,dataInicial=@dataInicial,"
                f"dataFinalCotacao=@dataFinalCotacao)?@moeda='{base}'&{window}"
            )
        data = self.get_json(url, not_found_ok=True)
        if data is None:
            return []
        rows = data.get("value") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise BadResponse("campo 'value' ausente")
        by_day = {}
        for row in rows:
            if not isinstance(row, dict):
                raise BadResponse("linha PTAX inválida")
            bulletin = row.get("tipoBoletim")
            if bulletin is not None and bulletin != "Fechamento PTAX":
                continue
            try:
                moment = datetime.fromisoformat(str(row.get("dataHoraCotacao")).strip())
            except ValueError as exc:
                raise BadResponse("'dataHoraCotacao' inválido") from exc
            by_day[moment.date()] = to_decimal(row.get("cotacaoVenda"), what="cotação de venda")
        return [FxPoint(date=day, rate=rate) for day, rate in sorted(by_day.items()) if start <= day <= end]

    def fetch_series(self, series, start, end):
        code = SGS_CODES.get(series)
        if code is None:
            return []
        data = self.get_json(
            f"{self.base_url}/dados/serie/bcdata.sgs.{code}/dados",
            params={"formato": "json", "dataInicial": f"{start:%d/%m/%Y}", "dataFinal": f"{end:%d/%m/%Y}"},
            not_found_ok=True,
        )
        if data is None:
            return []
        if not isinstance(data, list):
            raise BadResponse("série SGS não é uma lista")
        points = []
        for row in data:
            if not isinstance(row, dict):
                raise BadResponse("linha SGS inválida")
            try:
                day = datetime.strptime(str(row.get("data")), "%d/%m/%Y").date()
            except ValueError as exc:
                raise BadResponse("data SGS inválida") from exc
            points.append(SeriesPoint(date=day, value=to_decimal(row.get("valor"), what="valor", positive=False)))
        return [p for p in points if start <= p.date <= end]

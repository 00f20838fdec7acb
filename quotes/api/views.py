"""Quotes API: latest quotes (single and batch), history, FX, buy signals, watchlist, symbol lookup.

Views validate input, call selectors/services and serialize; nothing else. Everything needs
authentication; registering an asset needs the ADMIN role; READONLY users cannot write.
"""

from datetime import UTC, datetime
from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from accounts.audit import RequestMeta
from accounts.permissions import IsAdminRole
from portfolio.models import Asset
from portfolio.selectors import held_asset_ids_for

from .. import cache as quote_cache
from .. import selectors, services
from ..choices import is_quotable, quotable_q
from ..models import WatchlistItem
from . import serializers as s

TICKER = OpenApiParameter("ticker", OpenApiTypes.STR, OpenApiParameter.PATH, description="Ticker, ex.: PETR4")
MARKET = OpenApiParameter(
    "market", OpenApiTypes.STR, enum=["BR", "US", "EU", "ASIA", "GLOBAL"], description="Mercado (quando ambíguo)"
)
NOT_FOUND = OpenApiResponse(s.ErrorSerializer, description="Ativo não cadastrado.")


class QuoteUnavailableError(APIException):
    """No provider answered and no price was ever stored: there is no quote to show (404, like a
    fixed-income title without a market price), with each provider's reason. Never a made-up value."""

    status_code = status.HTTP_404_NOT_FOUND
    default_code = "quote_unavailable"

    def __init__(self, exc):
        super().__init__({"detail": str(exc), "reasons": exc.reasons})


class RefreshThrottle(UserRateThrottle):
    """Limits forced provider calls (``?refresh=1``) per user; plain reads are not throttled."""

    scope = "quotes_refresh"

    def allow_request(self, request, view):
        if request.query_params.get("refresh", "").lower() not in ("1", "true", "yes"):
            return True
        return super().allow_request(request, view)


class LookupThrottle(UserRateThrottle):
    scope = "quotes_lookup"


def validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def asset_or_404(ticker, market=None):
    asset = selectors.asset_by_ticker(ticker=ticker, market=market)
    if asset is None:
        raise NotFound(
            _("Ativo %(ticker)s não encontrado. Busque-o nos provedores em /api/v1/assets/lookup/?q=%(ticker)s.")
            % {"ticker": ticker.upper()}
        )
    return asset


def quotable_or_404(asset):
    if not is_quotable(asset):
        raise NotFound(
            _("%(ticker)s (%(type)s) não tem cotação de mercado.")
            % {"ticker": asset.ticker, "type": asset.get_asset_type_display()}
        )
    return asset


class QuoteBatchView(APIView):
    throttle_classes = [RefreshThrottle]

    @extend_schema(
        operation_id="quotes_batch",
        summary="Cotações em lote",
        parameters=[s.BatchQuerySerializer],
        responses={200: s.QuoteBatchSerializer, 400: OpenApiResponse(description="Tickers demais ou inválidos.")},
    )
    def get(self, request):
        params = validated(s.BatchQuerySerializer, request.query_params)
        if "tickers" in params:
            assets, not_found = selectors.assets_by_tickers(tokens=params["tickers"])
        else:
            assets, not_found = list(Asset.objects.filter(pk__in=held_asset_ids_for(owner=request.user))), []
        quotable = [a for a in assets if is_quotable(a)]
        found = services.quotes_read(quotable, refresh=params["refresh"])
        return Response(
            {
                "results": [found[a.pk] for a in quotable if a.pk in found],
                "not_found": not_found,
                "not_quotable": [a.ticker for a in assets if not is_quotable(a)],
                "unavailable": [a.ticker for a in quotable if a.pk not in found],
            }
        )


class QuoteDetailView(APIView):
    throttle_classes = [RefreshThrottle]

    @extend_schema(
        operation_id="quotes_retrieve",
        summary="Cotação de um ativo",
        parameters=[TICKER, s.DetailQuerySerializer],
        responses={
            200: s.QuoteSerializer,
            404: OpenApiResponse(
                s.UnavailableSerializer,
                description="Ativo não cadastrado, sem cotação de mercado, ou nenhum provedor respondeu e não há "
                "preço salvo (com o motivo de cada provedor).",
            ),
        },
    )
    def get(self, request, ticker):
        params = validated(s.DetailQuerySerializer, request.query_params)
        asset = quotable_or_404(asset_or_404(ticker, params.get("market")))
        try:
            return Response(services.quote_read(asset, refresh=params["refresh"]))
        except services.QuoteUnavailable as exc:
            raise QuoteUnavailableError(exc) from exc


class QuoteHistoryView(APIView):
    @extend_schema(
        operation_id="quotes_history",
        summary="Histórico diário (OHLCV)",
        parameters=[TICKER, s.HistoryQuerySerializer],
        responses={200: s.HistorySerializer, 404: NOT_FOUND},
    )
    def get(self, request, ticker):
        params = validated(s.HistoryQuerySerializer, request.query_params)
        asset = asset_or_404(ticker, params.get("market"))
        bars = list(selectors.price_history(asset_id=asset.pk, start=params["start"], end=params["end"]))
        return Response(
            {
                "ticker": asset.ticker,
                "market": asset.market,
                "currency": asset.currency,
                "start": params["start"],
                "end": params["end"],
                "count": len(bars),
                "results": s.PriceBarSerializer(bars, many=True).data,
            }
        )


class QuoteUpdatesView(APIView):
    """Polling alternative to the SSE stream: quotes changed since ``since`` (the last ``last_event_id``)."""

    @extend_schema(
        operation_id="quotes_updates",
        summary="Atualizações de cotações (polling)",
        parameters=[s.UpdatesQuerySerializer],
        responses={200: s.QuoteUpdatesSerializer, 404: NOT_FOUND},
    )
    def get(self, request):
        params = validated(s.UpdatesQuerySerializer, request.query_params)
        asset_ids = stream_asset_ids(request.user, params.get("tickers"))
        since = params.get("since")
        since_at = datetime.fromtimestamp(since / 1_000_000, tz=UTC) if since else None
        rows = selectors.quote_updates_since(asset_ids=asset_ids, since=since_at)
        last = since or 0
        results = []
        for row in rows:
            results.append(quote_cache.decorate(quote_cache.quote_payload(row, row.asset), cached=False))
            last = max(last, services.event_id(row.fetched_at))
        return Response({"last_event_id": last, "results": results})


def stream_asset_ids(user, tickers):
    """Assets a user's live feed covers: ``tickers`` (404 if unknown) or what the user holds."""
    if tickers:
        assets, unknown = selectors.assets_by_tickers(tokens=tickers)
        if unknown:
            raise NotFound(_("Ativo(s) não encontrado(s): %(list)s.") % {"list": ", ".join(unknown)})
        return [a.pk for a in assets]
    return sorted(held_asset_ids_for(owner=user))


class FxView(APIView):
    @extend_schema(
        operation_id="fx_retrieve",
        summary="Taxa de câmbio (PTAX) em uma data",
        parameters=[s.FxQuerySerializer],
        responses={200: s.FxSerializer, 404: OpenApiResponse(s.ErrorSerializer, description="Sem taxa para o par.")},
    )
    def get(self, request):
        params = validated(s.FxQuerySerializer, request.query_params)
        row = selectors.fx_rate_row_on(pair=params["pair"], on=params.get("date"))
        if row is None:
            raise NotFound(_("Sem taxa de câmbio para %(pair)s nessa data.") % {"pair": params["pair"]})
        rate, rate_date, source = row
        body = {
            "pair": params["pair"],
            "date": params.get("date"),
            "rate_date": rate_date,
            "rate": rate,
            "source": source,
        }
        if "amount" in params:
            body["amount"] = params["amount"]
            body["converted"] = (params["amount"] * rate).quantize(Decimal("0.00000001"))
        return Response(s.FxSerializer(body).data)


class SignalDetailView(APIView):
    @extend_schema(
        operation_id="signals_retrieve",
        summary="Sinais de compra de um ativo",
        parameters=[TICKER, MARKET],
        responses={200: s.SignalSerializer, 404: NOT_FOUND},
    )
    def get(self, request, ticker):
        asset = asset_or_404(ticker, request.query_params.get("market"))
        return Response(s.SignalSerializer(selectors.asset_signals(asset=asset)).data)


class SignalRankingView(APIView):
    @extend_schema(
        operation_id="signals_ranking",
        summary="Ranking de sinais de compra",
        parameters=[s.RankingQuerySerializer],
        responses={200: s.RankingSerializer},
    )
    def get(self, request):
        params = validated(s.RankingQuerySerializer, request.query_params)
        universe = params["universe"]
        ids = set()
        if universe in ("default", "watchlist"):
            ids |= selectors.watchlist_asset_ids(owner=request.user)
        if universe in ("default", "held"):
            ids |= held_asset_ids_for(owner=request.user)
        assets = Asset.objects.filter(quotable_q(), delisted=False)
        if universe != "all":
            assets = assets.filter(pk__in=ids)
        rows = selectors.signals_ranking(assets=assets, limit=params["limit"])
        return Response(s.RankingSerializer({"universe": universe, "count": len(rows), "results": rows}).data)


class WatchlistView(APIView):
    @extend_schema(
        operation_id="watchlist_list",
        summary="Lista de acompanhamento",
        responses={200: s.WatchlistItemSerializer(many=True)},
    )
    def get(self, request):
        return Response(s.WatchlistItemSerializer(selectors.watchlist_items(owner=request.user), many=True).data)

    @extend_schema(
        operation_id="watchlist_create",
        summary="Acompanhar um ativo",
        request=s.WatchlistCreateSerializer,
        responses={201: s.WatchlistItemSerializer, 404: NOT_FOUND},
    )
    def post(self, request):
        data = validated(s.WatchlistCreateSerializer, request.data)
        asset = asset_or_404(data["ticker"], data.get("market"))
        item = services.watchlist_add(owner=request.user, asset=asset)
        return Response(s.WatchlistItemSerializer(item).data, status=status.HTTP_201_CREATED)


class WatchlistItemView(APIView):
    @extend_schema(
        operation_id="watchlist_destroy", summary="Deixar de acompanhar", responses={204: None, 404: NOT_FOUND}
    )
    def delete(self, request, pk):
        item = get_object_or_404(WatchlistItem.objects.filter(owner=request.user), pk=pk)
        services.watchlist_remove(item=item)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LookupView(APIView):
    throttle_classes = [LookupThrottle]

    @extend_schema(
        operation_id="assets_lookup",
        summary="Buscar símbolos nos provedores",
        parameters=[s.LookupQuerySerializer],
        responses={200: s.LookupSerializer},
    )
    def get(self, request):
        params = validated(s.LookupQuerySerializer, request.query_params)
        results = services.assets_lookup(query=params["q"])
        return Response(s.LookupSerializer({"query": params["q"], "results": results}).data)


class RegisterView(APIView):
    permission_classes = [IsAdminRole]
    throttle_classes = [LookupThrottle]

    @extend_schema(
        operation_id="assets_lookup_register",
        summary="Cadastrar um ativo a partir da busca (ADMIN)",
        request=s.RegisterSerializer,
        responses={
            201: s.RegisteredAssetSerializer,
            400: OpenApiResponse(description="Inválido, já cadastrado ou desconhecido."),
        },
    )
    def post(self, request):
        data = dict(validated(s.RegisterSerializer, request.data))
        asset = services.asset_register(actor=request.user, meta=RequestMeta.from_request(request), **data)
        body = {
            "id": asset.pk,
            "ticker": asset.ticker,
            "market": asset.market,
            "name": asset.name,
            "asset_type": asset.asset_type,
            "asset_class": asset.asset_class,
            "currency": asset.currency,
            "sector": asset.sector,
        }
        return Response(s.RegisteredAssetSerializer(body).data, status=status.HTTP_201_CREATED)

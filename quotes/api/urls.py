"""Routes of the quotes app, mounted at ``/api/v1/``. Explicit paths: fixed words before ``<ticker>``."""

from django.urls import path

from . import sse, views

urlpatterns = [
    path("quotes/", views.QuoteBatchView.as_view(), name="quote-list"),
    path("quotes/stream/", sse.QuoteStreamView.as_view(), name="quote-stream"),
    path("quotes/updates/", views.QuoteUpdatesView.as_view(), name="quote-updates"),
    path("quotes/<str:ticker>/", views.QuoteDetailView.as_view(), name="quote-detail"),
    path("quotes/<str:ticker>/history/", views.QuoteHistoryView.as_view(), name="quote-history"),
    path("fx/", views.FxView.as_view(), name="fx"),
    path("signals/ranking/", views.SignalRankingView.as_view(), name="signal-ranking"),
    path("signals/watchlist/", views.WatchlistView.as_view(), name="watchlist"),
    path("signals/watchlist/<int:pk>/", views.WatchlistItemView.as_view(), name="watchlist-item"),
    path("signals/<str:ticker>/", views.SignalDetailView.as_view(), name="signal-detail"),
    path("assets/lookup/", views.LookupView.as_view(), name="asset-lookup"),
    path("assets/lookup/register/", views.RegisterView.as_view(), name="asset-register"),
]

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("brokers", views.BrokerViewSet, basename="broker")
router.register("assets", views.AssetViewSet, basename="asset")
router.register("portfolios", views.PortfolioViewSet, basename="portfolio")
router.register("transactions", views.TransactionViewSet, basename="transaction")
router.register("positions", views.PositionViewSet, basename="position")
router.register("corporate-events", views.CorporateEventViewSet, basename="corporate-event")
# Registered before dividends/ for readability; numeric lookups keep "received" from matching {pk}.
router.register("dividends/received", views.DividendReceiptViewSet, basename="dividend-receipt")
router.register("dividends", views.DividendViewSet, basename="dividend")
router.register("cash-movements", views.CashMovementViewSet, basename="cash-movement")
router.register("opening-balances", views.OpeningPositionViewSet, basename="opening-balance")
router.register("custody-transfers", views.CustodyTransferViewSet, basename="custody-transfer")
router.register("fraction-sales", views.FractionSaleViewSet, basename="fraction-sale")

urlpatterns = [
    path("dashboard/", views.DashboardView.as_view(), name="portfolio-dashboard"),
    *router.urls,
    path("", include("portfolio.analytics.api.urls")),  # analytics and tax (portfolio/analytics, portfolio/tax)
]

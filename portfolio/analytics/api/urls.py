from django.urls import include, path

from . import views

urlpatterns = [
    path("portfolios/<int:pk>/performance/", views.PortfolioPerformanceView.as_view(), name="portfolio-performance"),
    path("portfolios/<int:pk>/history/", views.PortfolioHistoryView.as_view(), name="portfolio-history"),
    path("performance/", views.UserPerformanceView.as_view(), name="performance"),
    path("", include("portfolio.tax.api.urls")),
]

from django.urls import path

from . import views

urlpatterns = [
    path("tax/monthly/", views.MonthlyView.as_view(), name="tax-monthly"),
    path("tax/monthly/explain/", views.MonthlyExplainView.as_view(), name="tax-monthly-explain"),
    path("tax/opening-balance/", views.TaxOpeningView.as_view(), name="tax-opening-balance"),
    path("tax/monthly/file/", views.FileMonthView.as_view(), name="tax-monthly-file"),
    path("tax/monthly/unfile/", views.UnfileMonthView.as_view(), name="tax-monthly-unfile"),
    path("tax/darf/", views.DarfView.as_view(), name="tax-darf"),
    path("tax/annual/", views.AnnualView.as_view(), name="tax-annual"),
    path("tax/rules/", views.RulesView.as_view(), name="tax-rules"),
]

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("carriers", views.CarrierViewSet, basename="billing-carrier")
router.register("clients", views.BillingClientViewSet, basename="billing-client")
router.register("processes", views.InvoiceProcessViewSet, basename="billing-process")
router.register("executions", views.ExecutionViewSet, basename="billing-execution")
router.register("reports", views.ReportViewSet, basename="billing-report")

urlpatterns = [
    path("files/<str:token>/", views.InvoiceFileView.as_view(), name="billing-invoice-file"),
    *router.urls,
]

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("brokerage-notes", views.BrokerageNoteViewSet, basename="brokerage-note")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("reconciliations", views.ReconciliationViewSet, basename="reconciliation")

urlpatterns = [
    path("income/calendar/", views.IncomeCalendarView.as_view(), name="income-calendar"),
    *router.urls,
]

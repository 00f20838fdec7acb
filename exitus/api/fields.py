"""Serializer fields shared by every app's API."""

from rest_framework import serializers


class DateTimeField(serializers.DateTimeField):
    """DRF's ``DateTimeField`` that answers 400 at the calendar's edges instead of a 500.

    A naive ``9999-12-31T23:59:59`` made aware in America/Sao_Paulo lies past ``datetime.max``
    in UTC; DRF's validity check overflows outside its ``try`` (DRF 3.18).
    """

    def enforce_timezone(self, value):
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("overflow")

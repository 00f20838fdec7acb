"""Catalogue services: creating an asset for another app (the quotes app's registration)."""

import pytest
from django.core.exceptions import ValidationError

from portfolio import services
from portfolio.models import Asset

pytestmark = pytest.mark.django_db


def test_asset_create_fills_the_class_and_refuses_a_duplicate(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        asset = services.asset_create(
            data={"ticker": "HGLG11", "market": "BR", "name": "CSHG Logística", "asset_type": "fii", "currency": "BRL"}
        )
    assert (asset.pk is not None, asset.asset_class) == (True, "renda_variavel")
    assert callbacks == []  # nobody holds it: no cached view to invalidate
    with pytest.raises(ValidationError) as refused:
        services.asset_create(data={"ticker": "HGLG11", "market": "BR", "asset_type": "fii", "currency": "BRL"})
    assert refused.value.message_dict == {"__all__": ["Ativo com este Ticker e Mercado já existe."]}
    assert Asset.objects.filter(ticker="HGLG11").count() == 1

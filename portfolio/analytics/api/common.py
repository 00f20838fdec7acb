"""What the analytics and tax endpoints share: whose data (``?user=`` for ADMIN) and which portfolio."""

from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter

from ...api.base import requested_owner_id, scope_to_user
from ...models import Portfolio

USER_PARAM = OpenApiParameter(
    "user", int, description=_("Só ADMIN: id do usuário cujos dados mostrar (``owner`` também é aceito).")
)


def target_user(request):
    """The requesting user, or — for ADMIN only — the one named by ``?user=`` (404 if unknown)."""
    user = request.user
    wanted = requested_owner_id(request)
    if wanted is not None and wanted != user.pk:
        found = get_user_model().objects.filter(pk=wanted).first()
        if found is None:
            raise Http404
        return found
    return user


def portfolio_for(request, pk) -> Portfolio:
    """A portfolio the requester may see: their own, any for ADMIN; anything else is a 404."""
    found = scope_to_user(Portfolio.objects.all(), request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found

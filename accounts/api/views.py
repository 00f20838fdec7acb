from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenBlacklistView, TokenObtainPairView, TokenRefreshView

from .. import services
from ..audit import RequestMeta
from ..choices import Role
from ..filters import UserFilter
from ..permissions import IsAdminRole, ReadOnlyRoleCannotWrite
from ..selectors import user_list
from ..throttles import LoginIPThrottle, LoginUsernameThrottle, RegistrationThrottle
from .serializers import (
    USER_ROW_FIELDS,
    DetailSerializer,
    LogoutSerializer,
    UserSerializer,
    UserUpdateSerializer,
    UserWriteSerializer,
    user_row,
)

# Serializer field → model field.
FIELD_MAP = {"active": "is_active"}


def _to_model_fields(data):
    return {FIELD_MAP.get(key, key): value for key, value in data.items()}


class LoginView(TokenObtainPairView):
    """Exchange username **or e-mail** + password for an ``access`` and a ``refresh`` token."""

    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]


class RefreshView(TokenRefreshView):
    """Exchange a refresh token for a new pair; the old refresh token stops working (rotation)."""


class LogoutView(TokenBlacklistView):
    """Blacklist a refresh token: it can no longer be refreshed."""

    @extend_schema(request=LogoutSerializer, responses={200: DetailSerializer})
    def post(self, request, *args, **kwargs):
        super().post(request, *args, **kwargs)
        return Response({"detail": _("Sessão encerrada.")}, status=status.HTTP_200_OK)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=UserSerializer)
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Users. ADMIN manages everyone; a user sees and edits only themself; anyone may register (as USER)."""

    serializer_class = UserSerializer
    filterset_class = UserFilter
    ordering_fields = ["username", "email", "created_at", "role"]
    ordering = ["username"]

    def get_queryset(self):
        return user_list(viewer=self.request.user)

    def list(self, request, *args, **kwargs):
        rows = self.filter_queryset(self.get_queryset()).values(*USER_ROW_FIELDS)
        return self.get_paginated_response([user_row(row) for row in self.paginate_queryset(rows)])

    def get_permissions(self):
        if self.action == "create":
            return [AllowAny(), ReadOnlyRoleCannotWrite()]
        if self.action in ("list", "destroy"):
            return [IsAuthenticated(), IsAdminRole()]
        return [IsAuthenticated(), ReadOnlyRoleCannotWrite()]

    def get_throttles(self):
        if self.action == "create":
            return [RegistrationThrottle()]
        return super().get_throttles()

    def get_serializer_class(self):
        if self.action == "create":
            return UserWriteSerializer
        if self.action in ("update", "partial_update"):
            return UserUpdateSerializer
        return UserSerializer

    def _is_admin(self):
        user = self.request.user
        return user.is_authenticated and user.is_admin_role

    @extend_schema(request=UserWriteSerializer, responses={201: UserSerializer})
    def create(self, request, *args, **kwargs):
        serializer = UserWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = _to_model_fields(serializer.validated_data)
        if not self._is_admin():
            # Public registration always yields a USER; asking for more is refused.
            if data.get("role", Role.USER) != Role.USER:
                raise ValidationError({"role": [_("Somente administradores podem definir o papel.")]})
            if data.get("is_active") is False:
                raise ValidationError({"active": [_("Somente administradores podem alterar o status ativo.")]})
            data["role"] = Role.USER
            data["is_active"] = True
        actor = request.user if request.user.is_authenticated else None
        user = services.user_create(**data, actor=actor, meta=RequestMeta.from_request(request))
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UserUpdateSerializer, responses=UserSerializer)
    def update(self, request, *args, **kwargs):
        user = self.get_object()
        serializer = UserUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = _to_model_fields(serializer.validated_data)
        if not self._is_admin():
            errors = {}
            if "role" in data and data["role"] != user.role:
                errors["role"] = [_("Você não pode alterar o próprio papel.")]
            if "is_active" in data and data["is_active"] != user.is_active:
                errors["active"] = [_("Você não pode alterar o próprio status ativo.")]
            if errors:
                raise ValidationError(errors)
            data.pop("role", None)
            data.pop("is_active", None)
        elif user.pk == request.user.pk and data.get("is_active") is False:
            raise ValidationError({"active": [_("Você não pode desativar o próprio usuário.")]})
        user = services.user_update(user=user, data=data, actor=request.user, meta=RequestMeta.from_request(request))
        return Response(UserSerializer(user).data)

    @extend_schema(request=UserUpdateSerializer, responses=UserSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        user = self.get_object()
        services.user_delete(user=user, actor=request.user, meta=RequestMeta.from_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

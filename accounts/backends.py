from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q


class UsernameOrEmailBackend(ModelBackend):
    """Log in with the username or the e-mail, both matched case-insensitively."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user_model = get_user_model()
        login = username if username is not None else kwargs.get(user_model.USERNAME_FIELD)
        if not login or password is None:
            return None
        login = login.strip()
        user = user_model._default_manager.filter(Q(username__iexact=login) | Q(email__iexact=login)).first()
        if user is None:
            # Spend the same time as a real check so timing does not reveal which logins exist.
            user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

from django.contrib.auth.base_user import BaseUserManager

from .choices import Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        """Usernames are matched case-insensitively, like e-mails."""
        return self.get(username__iexact=username)

    def _create_user(self, username, email, password, **extra):
        if not username:
            raise ValueError("username is required")
        user = self.model(username=username, email=self.normalize_email(email or "").lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, username, email=None, password=None, **extra):
        extra.setdefault("role", Role.USER)
        return self._create_user(username, email, password, **extra)

    def create_superuser(self, username, email=None, password=None, **extra):
        extra["role"] = Role.ADMIN
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(username, email, password, **extra)

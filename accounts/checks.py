"""``manage.py check --deploy``: a deployment must not keep the demo accounts' known passwords."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from .demo import demo_users
from .models import User


@register(Tags.security, deploy=True)
def demo_accounts_with_demo_passwords(app_configs=None, **kwargs):
    """Error when DEBUG is off and a demo user still logs in with the seed's password."""
    if settings.DEBUG:
        return []
    rows = {row["username"].lower(): row["password"] for row in demo_users()}
    try:
        users = list(User.objects.filter(username__in=list(rows), is_active=True).only("username", "password"))
    except DatabaseError:  # no database or no tables yet: nothing to check
        return []
    exposed = sorted(user.username for user in users if user.check_password(rows[user.username.lower()]))
    if not exposed:
        return []
    return [
        Error(
            f"Contas de demonstração com a senha conhecida: {', '.join(exposed)}.",
            hint="Remova-as, desative-as ou troque as senhas (manage.py changepassword) antes de publicar.",
            id="exitus.E001",
        )
    ]

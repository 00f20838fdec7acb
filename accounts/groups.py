"""Groups whose members keep admin access (``is_staff``) when they stop being ADMIN.

An app that gates its own work with groups (billing's Aprovador and Operador) declares them
from its ``AppConfig.ready()``; accounts knows no app's groups or permissions.
"""

_staff_groups: set[str] = set()


def register_staff_groups(*names) -> None:
    _staff_groups.update(str(name) for name in names)


def staff_group_names() -> frozenset[str]:
    return frozenset(_staff_groups)

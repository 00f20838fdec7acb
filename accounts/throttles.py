"""Login throttles: one budget per client IP and one per attempted username.

They count in the ``throttle`` cache, which keeps limiting per process while Redis is down
(``exitus.cache.FailoverRedisCache``) instead of letting unlimited guesses through.
"""

from django.core.cache import caches
from rest_framework.throttling import SimpleRateThrottle


class _ThrottleCache:
    @property
    def cache(self):
        return caches["throttle"]


class LoginIPThrottle(_ThrottleCache, SimpleRateThrottle):
    scope = "login_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginUsernameThrottle(_ThrottleCache, SimpleRateThrottle):
    """Stops brute force against one account from many IPs."""

    scope = "login_username"

    def get_cache_key(self, request, view):
        login = request.data.get("username") if hasattr(request.data, "get") else None
        if not login or not isinstance(login, str):
            return None
        return self.cache_format % {"scope": self.scope, "ident": login.strip().lower()}


class RegistrationThrottle(_ThrottleCache, SimpleRateThrottle):
    scope = "registration"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

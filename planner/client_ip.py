"""django-axes' client address (AXES_CLIENT_IP_CALLABLE): the real client behind the unit's TLS proxy."""

from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

from planner.core.client_address import Network, client_address, trusted_networks


@lru_cache(maxsize=4)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return trusted_networks(entries)


def request_client_ip(request: HttpRequest) -> str | None:
    # Read on every request (parsed once per setting): a changed TRUSTED_PROXIES applies at once.
    trusted = _networks(tuple(settings.TRUSTED_PROXIES))
    return client_address(request.META.get("REMOTE_ADDR"), request.META.get("HTTP_X_FORWARDED_FOR"), trusted)

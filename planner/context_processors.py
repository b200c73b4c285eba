from django.conf import settings
from django.http import HttpRequest


def unit(request: HttpRequest) -> dict[str, str]:
    return {"unit_name": settings.UNIT_NAME}

"""What the REST APIs share: strict fields (JSON text and booleans only, no coercion), the agent
behind a request, and validated input in the one error shape."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.request import Request

from contactcenter.core.errors import Forbidden, InvalidInput
from contactcenter.core.staff.models import AgentProfile
from contactcenter.core.staff.selectors import agent_for_user


class Text(serializers.CharField):
    """Text only: DRF's CharField would take 5 or 1.5 and store "5"."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class Flag(serializers.BooleanField):
    """JSON true or false only, not "yes", 1 or "on"."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


def request_agent(request: Request) -> AgentProfile:
    """The signed-in user's agent profile; 403 not_an_agent for anyone else."""
    agent = agent_for_user(user_id=request.user.pk) if request.user.is_authenticated else None
    if agent is None:
        raise Forbidden(_("Only agents may use this endpoint."), reason="not_an_agent")
    return agent


def validated(serializer: serializers.Serializer[Any]) -> dict[str, Any]:
    """The serializer's data, or InvalidInput with the per-field messages in details.fields."""
    if not serializer.is_valid():
        raise InvalidInput(_("The input is not valid."), fields=serializer.errors)
    return dict(serializer.validated_data)

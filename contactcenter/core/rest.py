"""What the REST APIs share: strict fields (JSON text, booleans and ids only, no coercion), input
that refuses unknown fields, the agent behind a request, and validated input in the one error shape."""

from __future__ import annotations

from collections.abc import Mapping
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


#: The largest id a table can have (BigAutoField). Larger numbers are refused as input: SQLite cannot
#: even compare them (OverflowError, a 500), and no row has one.
ID_MAX = 2**63 - 1


class Id(serializers.IntegerField):
    """A JSON integer id (not "5", not 5.0, not true), 1 to :data:`ID_MAX`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class Related(serializers.PrimaryKeyRelatedField[Any]):
    """A row named by its JSON integer id: DRF's field would take "5", and true as id 1."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= data <= ID_MAX:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class StrictInput(serializers.Serializer[Any]):
    """Refuses fields it does not know: a misspelt "assigne" must not be dropped silently."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


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

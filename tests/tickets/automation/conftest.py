"""Builders for the automation tests: rules, templates and macros saved through the services (so they are checked)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contactcenter.core.staff.models import AgentProfile
from tests.tickets.conftest import T0
from tickets.automation import services
from tickets.automation.models import Macro, Rule, Template


@pytest.fixture
def make_rule(supervisor: AgentProfile) -> Callable[..., Rule]:
    def make(name: str, **data: Any) -> Rule:
        data.setdefault("trigger", "event")
        data.setdefault("events", ["created"])
        return services.save_rule(actor=supervisor, now=T0, data={"name": name, **data})

    return make


@pytest.fixture
def make_template(supervisor: AgentProfile) -> Callable[..., Template]:
    def make(name: str, body: str, **data: Any) -> Template:
        return services.save_template(actor=supervisor, now=T0, data={"name": name, "body": body, **data})

    return make


@pytest.fixture
def make_macro(supervisor: AgentProfile) -> Callable[..., Macro]:
    def make(name: str, actions: list[dict[str, Any]], **data: Any) -> Macro:
        return services.save_macro(actor=supervisor, now=T0, data={"name": name, "actions": actions, "shared": True, **data})

    return make

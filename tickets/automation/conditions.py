"""Rule conditions: ``{"all": [...], "any": [...]}`` over a ticket's fields and the change that set the rule off.

A condition is ``{"field", "op", "value"}``; a change condition is ``{"field": "<ticket field>", "op":
"changed", "from"?: ..., "to"?: ...}`` and holds when the triggering event changed that field (read from
the ticket's newest ``field_change`` timeline entries), from and to the given values when given.
``all`` must all hold, and of ``any`` (when not empty) at least one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from contactcenter.core.errors import InvalidInput
from contactcenter.core.staff import selectors as staff_selectors
from contactcenter.core.staff import worktime
from tickets.models import Priority, Source, Status, Ticket

#: field → operators it accepts
CHOICE_FIELDS = {"status": Status.values, "priority": Priority.values, "source": Source.values}
ID_FIELDS = ("team", "type", "stage", "assignee")
TAG_FIELDS = ("tags", "customer_tags")
TEXT_FIELDS = ("subject", "stage_name", "reply_author", "sla_metric")
HOURS_FIELDS = ("hours_since_created", "hours_since_updated", "hours_since_solved", "hours_since_closed", "hours_since_urged")
#: The same, counted in the ticket's team's business hours (contactcenter.core.staff; a team without: around the clock).
WORKING_HOURS_FIELDS = tuple(f"working_{name}" for name in HOURS_FIELDS)
TIME_FIELDS = (*HOURS_FIELDS, *WORKING_HOURS_FIELDS)
NUMBER_FIELDS = ("urge_count", "csat_score", *TIME_FIELDS)
CHANGEABLE = ("status", "priority", "stage", "team", "type", "assignee", "tags", "subject", "due_at", "category", "custom_fields")

OPS_CHOICE = ("is", "is_not", "in", "not_in")
OPS_TAGS = ("contains", "not_contains")
OPS_TEXT = ("is", "is_not", "contains", "not_contains")
OPS_NUMBER = ("gt", "gte", "lt", "lte", "is")


@dataclass(frozen=True, slots=True)
class Change:
    field: str
    old: Any
    new: Any


@dataclass(slots=True)
class Facts:
    """What conditions look at: the ticket, the time, and what the event said (changes, the reply's author)."""

    ticket: Ticket
    now: datetime
    changes: Mapping[str, Change] = field(default_factory=dict)
    reply_author: str = ""  # customer | agent | system (ticket.replied)
    sla_metric: str = ""  # ticket.sla_warning / ticket.sla_breached
    csat_score: int | None = None  # ticket.csat_received
    calendars: dict[int | None, worktime.Calendar] = field(default_factory=dict)  # by business hours id, read once

    def calendar(self) -> worktime.Calendar:
        hours_id = self.ticket.team.business_hours_id
        if hours_id not in self.calendars:
            self.calendars[hours_id] = staff_selectors.calendar(hours=self.ticket.team.business_hours)
        return self.calendars[hours_id]


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"conditions": message})


def clean(conditions: Any) -> dict[str, list[dict[str, Any]]]:
    """The conditions checked and normalised, or InvalidInput naming the first problem."""
    if conditions in (None, {}):
        return {"all": [], "any": []}
    if not isinstance(conditions, dict) or set(conditions) - {"all", "any"}:
        raise _bad(_('Conditions are {"all": [...], "any": [...]}.'))
    cleaned: dict[str, list[dict[str, Any]]] = {"all": [], "any": []}
    for group in ("all", "any"):
        items = conditions.get(group, [])
        if not isinstance(items, list) or len(items) > 50:
            raise _bad(_("%(group)s must be a list of at most 50 conditions.") % {"group": group})
        cleaned[group] = [_clean_one(item) for item in items]
    return cleaned


def _clean_one(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("field"), str) or not isinstance(item.get("op"), str):
        raise _bad(_('A condition is {"field", "op", "value"}.'))
    name, op, value = item["field"], item["op"], item.get("value")
    if op == "changed":
        if name not in CHANGEABLE or set(item) - {"field", "op", "from", "to"}:
            raise _bad(_("Unknown field for a change: %(field)s.") % {"field": name})
        return {k: item[k] for k in ("field", "op", "from", "to") if k in item}
    if set(item) - {"field", "op", "value"}:
        raise _bad(_('A condition is {"field", "op", "value"}.'))
    if name in CHOICE_FIELDS:
        allowed = CHOICE_FIELDS[name]
        values = value if op in ("in", "not_in") else [value]
        if op not in OPS_CHOICE or not isinstance(values, list) or any(v not in allowed for v in values):
            raise _bad(_("%(field)s: use is / is_not / in / not_in with %(values)s.") % {"field": name, "values": ", ".join(allowed)})
    elif name in ID_FIELDS:
        values = value if op in ("in", "not_in") else [value]
        ok = isinstance(values, list) and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in values)
        if op not in OPS_CHOICE or not ok:
            raise _bad(_("%(field)s: use is / is_not / in / not_in with ids (null: none).") % {"field": name})
    elif name in TAG_FIELDS:
        if op not in OPS_TAGS or not isinstance(value, str) or not value.strip():
            raise _bad(_("%(field)s: use contains / not_contains with a tag.") % {"field": name})
        value = value.strip().lower()
    elif name in TEXT_FIELDS:
        if op not in OPS_TEXT or not isinstance(value, str):
            raise _bad(_("%(field)s: use is / is_not / contains / not_contains with text.") % {"field": name})
    elif name in NUMBER_FIELDS:
        if op not in OPS_NUMBER or isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise _bad(_("%(field)s: use gt / gte / lt / lte / is with a number.") % {"field": name})
    else:
        raise _bad(_("Unknown condition field: %(field)s.") % {"field": name})
    return {"field": name, "op": op, "value": value}


def holds(conditions: Mapping[str, Sequence[Mapping[str, Any]]], facts: Facts) -> bool:
    every = conditions.get("all", ())
    some = conditions.get("any", ())
    return all(_holds(c, facts) for c in every) and (not some or any(_holds(c, facts) for c in some))


def time_fields(conditions: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    """The (working_)hours_since_* fields a rule measures (for the once-per-ticket key of time rules)."""
    return sorted({c["field"] for group in ("all", "any") for c in conditions.get(group, ()) if c["field"] in TIME_FIELDS})


_STAMP = {
    "hours_since_created": "created_at",
    "hours_since_updated": "updated_at",
    "hours_since_solved": "solved_at",
    "hours_since_closed": "closed_at",
    "hours_since_urged": "last_urged_at",
}


def stamp_field(hours_field: str) -> str:
    return _STAMP[hours_field.removeprefix("working_")]


def value_of(name: str, facts: Facts) -> Any:
    ticket = facts.ticket
    if name in CHOICE_FIELDS:
        return getattr(ticket, name)
    if name in ID_FIELDS:
        return getattr(ticket, f"{name}_id")
    if name == "tags":
        return {t.name for t in ticket.tags.all()}
    if name == "customer_tags":
        tags = ticket.customer.tags if ticket.customer is not None else []
        return {str(t).lower() for t in tags or []}
    if name == "subject":
        return ticket.subject
    if name == "stage_name":
        return ticket.stage.name
    if name == "reply_author":
        return facts.reply_author
    if name == "sla_metric":
        return facts.sla_metric
    if name == "csat_score":
        return facts.csat_score
    if name == "urge_count":
        return ticket.urge_count
    stamp: datetime | None = getattr(ticket, stamp_field(name))
    if stamp is None:
        return None
    if name in WORKING_HOURS_FIELDS:
        return worktime.between(facts.calendar(), stamp, facts.now).total_seconds() / 3600
    return (facts.now - stamp).total_seconds() / 3600


def _matches(expected: Any, actual: Any) -> bool:
    """A change's value against from/to: the value itself, or for {"id", "name"} refs either of them."""
    if isinstance(actual, dict) and ("id" in actual or "name" in actual):
        return expected in (actual.get("id"), actual.get("name"))
    if isinstance(actual, list) and isinstance(expected, list):
        return sorted(map(str, actual)) == sorted(map(str, expected))
    return bool(expected == actual)


def _holds(condition: Mapping[str, Any], facts: Facts) -> bool:
    name, op = condition["field"], condition["op"]
    if op == "changed":
        found = facts.changes.get(name)
        if found is None:
            return False
        if "from" in condition and not _matches(condition["from"], found.old):
            return False
        return not ("to" in condition and not _matches(condition["to"], found.new))
    expected: Any = condition.get("value")
    actual = value_of(name, facts)
    if name in TAG_FIELDS:
        return bool(expected in actual) == bool(op == "contains")
    if name in NUMBER_FIELDS:
        if actual is None:
            return False
        return bool(
            {
                "gt": actual > expected,
                "gte": actual >= expected,
                "lt": actual < expected,
                "lte": actual <= expected,
                "is": actual == expected,
            }[op]
        )
    if isinstance(actual, str) and isinstance(expected, str):
        actual_l, expected_l = actual.casefold(), expected.casefold()
        if op in ("contains", "not_contains"):
            return bool(expected_l in actual_l) == bool(op == "contains")
        return bool(actual_l == expected_l) == bool(op == "is")
    if op in ("in", "not_in"):
        return bool(actual in expected) == bool(op == "in")
    return bool(actual == expected) == bool(op == "is")

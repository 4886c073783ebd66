"""Running automation rules: on ticket events (a tickets.hooks listener) and on time (a periodic job).

**Chains and loop protection.** A person's change (or the clock) starts a chain. The rules it sets off
run their actions as SYSTEM; the events those actions cause are handled in the same chain one level
deeper, so rules can build on each other. A chain stops at :data:`MAX_DEPTH`, and a rule fires at
most once per ticket per chain — two rules that would undo each other forever each run once.

How the chain reaches the deeper events: the listener runs after commit, and so do the events of the
actions it takes. Before a rule's actions it registers an on-commit callback that enters the chain
one level deeper and after them one that leaves it, in the same transaction; on-commit callbacks run
in order, so exactly the events of those actions are handled inside the chain, whether the
callbacks run at once (a real commit) or later (tests capturing them).

**Time rules** fire at most once per ticket per key: the timestamps their ``hours_since_*`` conditions
measure (so "solved 24 h ago → survey" fires once per solve), or else the rule's period
(``period_hours``). The key is a unique row, so two tickers never fire a rule twice.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from contactcenter.core.errors import ContactCenterError
from tickets import events, hooks
from tickets.access import SYSTEM
from tickets.automation import actions, conditions
from tickets.automation.models import Rule, RuleRun, TimeRuleFiring
from tickets.models import Status, Ticket, TimelineEntry
from tickets.services import _common as common

logger = logging.getLogger(__name__)

MAX_DEPTH = 5
#: The system timeline entry each rule run that did something writes (body: the rule's name).
AUDIT_EVENT = "automation_rule"
TIME_BATCH = 200

#: tickets.events name → what a rule lists in ``events``.
EVENT_NAMES = {
    events.CREATED: "created",
    events.UPDATED: "updated",
    events.BULK_UPDATED: "updated",
    events.REPLIED: "replied",
    events.NOTED: "noted",
    events.ASSIGNED: "assigned",
    events.URGED: "urged",
    # Emitted by tickets.sla (metric: first_response, next_response, resolution, stage) and, once it exists, by CSAT (score 1-5).
    "ticket.sla_warning": "sla_warning",
    "ticket.sla_breached": "sla_breached",
    "ticket.csat_received": "csat_received",
}
RULE_EVENTS = ("created", "updated", "replied", "noted", "assigned", "urged", "sla_warning", "sla_breached", "csat_received")


@dataclass(slots=True)
class Chain:
    id: str
    fired: set[tuple[int, int]] = field(default_factory=set)  # (rule id, ticket id)


@dataclass(frozen=True, slots=True)
class _Frame:
    chain: Chain
    depth: int


_local = threading.local()


def _stack() -> list[_Frame]:
    stack: list[_Frame] | None = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def _enter(chain: Chain, depth: int) -> None:
    _stack().append(_Frame(chain, depth))


def _leave() -> None:
    stack = _stack()
    if stack:
        stack.pop()


def _rules(trigger: str) -> list[Rule]:
    return list(Rule.objects.filter(is_active=True, trigger=trigger).order_by("position", "id"))


def _tickets(ticket_ids: Iterable[int]) -> list[Ticket]:
    return list(
        Ticket.objects.filter(pk__in=list(ticket_ids), merged_into__isnull=True)
        .select_related("team", "team__business_hours", "stage", "type", "customer", "assignee")
        .prefetch_related("tags")
        .order_by("id")
    )


def _latest_changes(ticket: Ticket, names: Sequence[str]) -> dict[str, conditions.Change]:
    """Each named field's newest field_change entry (the change the event reports): the last written, whatever
    time its writer passed in. Listeners run right after each commit, so that is the event's own change
    unless another change to the same field committed in between (then both listeners see the later one)."""
    if not names:
        return {}
    found: dict[str, conditions.Change] = {}
    rows = TimelineEntry.objects.filter(ticket=ticket, kind=TimelineEntry.Kind.FIELD_CHANGE, field__in=list(names)).order_by("-id")[
        : 4 * len(names)
    ]
    for row in rows:
        found.setdefault(row.field, conditions.Change(row.field, row.old_value, row.new_value))
    return found


def _reply_author(entry: dict[str, Any] | None) -> str:
    if not entry:
        return ""
    if entry.get("author_customer_id"):
        return "customer"
    return "agent" if entry.get("author_agent_id") else "system"


def on_ticket_event(event: hooks.TicketEvent) -> None:
    """The tickets.hooks listener: evaluate the event rules for each ticket the event names."""
    name = EVENT_NAMES.get(event.name)
    if name is None:
        return
    rules = [r for r in _rules(Rule.Trigger.EVENT) if name in (r.events or [])]
    if not rules:
        return
    stack = _stack()
    frame = stack[-1] if stack else _Frame(Chain(uuid.uuid4().hex), 0)
    if frame.depth >= MAX_DEPTH:
        logger.warning("automation chain %s stopped at depth %d (%s on %s)", frame.chain.id, frame.depth, event.name, event.ticket_ids)
        return
    now = timezone.now()
    changed = event.fields.get("changes") or []
    if event.name == events.ASSIGNED:
        changed = ["assignee"]
    # Only rules that ask what changed need the timeline (one query per ticket: a bulk change names many).
    asked = {c["field"] for r in rules for g in (r.conditions or {}).values() for c in g if c.get("op") == "changed"}
    changed = [name for name in changed if name in asked]
    for ticket in _tickets(event.ticket_ids):
        facts = conditions.Facts(
            ticket=ticket,
            now=now,
            changes=_latest_changes(ticket, changed),
            reply_author=_reply_author(event.fields.get("entry")) if event.name == events.REPLIED else "",
            sla_metric=str(event.fields.get("metric") or ""),
            csat_score=event.fields.get("score") if isinstance(event.fields.get("score"), int) else None,
        )
        for rule in rules:
            key = (rule.pk, ticket.pk)
            if key in frame.chain.fired:
                continue
            if not conditions.holds(rule.conditions or {}, facts):
                continue
            frame.chain.fired.add(key)
            fire(rule, ticket_id=ticket.pk, trigger=event.name, chain=frame.chain, depth=frame.depth, now=now)


def fire(rule: Rule, *, ticket_id: int, trigger: str, chain: Chain, depth: int, now: datetime) -> RuleRun:
    """Carry out a rule's actions on one ticket as SYSTEM, each in a savepoint (one that fails is logged, the
    others stay), and write the execution log; the events they cause are handled one level deeper in ``chain``."""
    done: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    with transaction.atomic():
        transaction.on_commit(lambda: _enter(chain, depth + 1))
        for index, action in enumerate(rule.actions or []):
            try:
                with transaction.atomic():
                    ticket = Ticket.objects.select_related("assignee").get(pk=ticket_id)
                    done.append(actions.run(action, ticket_id=ticket_id, actor=SYSTEM, now=now, writer=ticket.assignee))
            except ContactCenterError as error:
                errors.append({"action": index, "type": action.get("type"), "code": error.code, "message": str(error.message)})
            except Exception as error:  # a broken action must not stop the log or the other actions
                logger.exception("automation rule %s action %s failed on ticket %s", rule.pk, index, ticket_id)
                errors.append({"action": index, "type": action.get("type"), "code": "error", "message": type(error).__name__})
        run = RuleRun.objects.create(
            ticket_id=ticket_id,
            rule=rule,
            rule_name=rule.name,
            trigger=trigger,
            chain=chain.id,
            depth=depth,
            actions=done,
            errors=errors,
            created_at=now,
        )
        if done:
            # Beside each change's own audit entry (author: none), one system entry says which rule made them.
            ticket = Ticket.objects.get(pk=ticket_id)
            data = {"rule_id": rule.pk, "run_id": run.pk, "trigger": trigger, "errors": len(errors)}
            common.save_entries([common.system(ticket, AUDIT_EVENT, actor=SYSTEM, now=now, body=rule.name, data=data)])
        transaction.on_commit(_leave)
    return run


# -- time rules ------------------------------------------------------------------------------------


def _candidates(rule: Rule, now: datetime) -> QuerySet[Ticket]:
    """Tickets the rule may match, narrowed in SQL by its ``all`` conditions on status, priority, team and hours."""
    tickets = Ticket.objects.filter(merged_into__isnull=True)
    for condition in (rule.conditions or {}).get("all", []):
        name, op, value = condition["field"], condition["op"], condition.get("value")
        if name in ("status", "priority", "source") and op in ("is", "in"):
            tickets = tickets.filter(**{name if op == "is" else f"{name}__in": value})
        elif name in ("team", "stage", "type", "assignee") and op == "is":
            tickets = tickets.filter(**{f"{name}_id": value} if value is not None else {f"{name}__isnull": True})
        elif name in conditions.TIME_FIELDS and op in ("gt", "gte"):
            # Working time never exceeds the time elapsed, so the wall-clock bound narrows both.
            stamp = conditions.stamp_field(name)
            tickets = tickets.filter(**{f"{stamp}__lte": now - timedelta(hours=float(value))})
    if not any(c["field"] == "status" for c in (rule.conditions or {}).get("all", [])):
        tickets = tickets.exclude(status=Status.CLOSED)
    return tickets


def _firing_key(rule: Rule, ticket: Ticket, now: datetime) -> str:
    measured = conditions.time_fields(rule.conditions or {})
    if measured:
        parts = []
        for name in measured:
            stamp = getattr(ticket, conditions.stamp_field(name))
            parts.append(f"{name}={stamp.isoformat() if stamp else '-'}")
        return ";".join(parts)[:200]
    period = max(1, rule.period_hours) * 3600
    return f"period={int(now.timestamp()) // period}"


def run_time_rules(now: datetime) -> int:
    """The periodic job ``tickets_automation.time_rules``: every active time rule over its matching tickets
    (in chunks, at most TIME_BATCH firings a run; the rest next run); returns how many fired."""
    fired = 0
    for rule in _rules(Rule.Trigger.TIME):
        last_id = 0
        while fired < TIME_BATCH:
            chunk = list(_candidates(rule, now).filter(pk__gt=last_id).order_by("id").values_list("pk", flat=True)[:500])
            if not chunk:
                break
            last_id = chunk[-1]
            known = set(TimeRuleFiring.objects.filter(rule=rule, ticket_id__in=chunk).values_list("ticket_id", "key"))
            for ticket in _tickets(chunk):
                if fired >= TIME_BATCH:
                    return fired
                if not conditions.holds(rule.conditions or {}, conditions.Facts(ticket=ticket, now=now)):
                    continue
                key = _firing_key(rule, ticket, now)
                if (ticket.pk, key) in known:
                    continue
                chain = Chain(uuid.uuid4().hex, fired={(rule.pk, ticket.pk)})
                try:
                    with transaction.atomic():
                        TimeRuleFiring.objects.create(rule=rule, ticket=ticket, key=key, created_at=now)
                        fire(rule, ticket_id=ticket.pk, trigger="time", chain=chain, depth=0, now=now)
                except IntegrityError:
                    continue  # fired for this key already (on another ticker)
                fired += 1
    return fired


def log_for(*, ticket_id: int, limit: int = 200) -> list[RuleRun]:
    return list(RuleRun.objects.filter(ticket_id=ticket_id).order_by("-created_at", "-id")[:limit])


def active_chain_depth() -> int | None:
    """The depth of the chain being handled in this thread (None outside one); for tests and logging."""
    stack = _stack()
    return stack[-1].depth if stack else None


__all__ = ["MAX_DEPTH", "RULE_EVENTS", "Chain", "fire", "log_for", "on_ticket_event", "run_time_rules"]

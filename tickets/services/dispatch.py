"""Who works a ticket: manual assignment, dispatch through routing, grabbing from the pool (抢单),
redispatch (改派), urging (催单), follow-up reminders (追单), and routing's handlers for kind "ticket"."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from contactcenter.core.customers.models import Customer
from contactcenter.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from contactcenter.core.staff.models import AgentProfile
from routing.handlers import RoutingEvent
from routing.models import QueueEntry
from tickets import access, events
from tickets.access import Actor
from tickets.errors import AlreadyTaken, TicketClosed, UrgedRecently
from tickets.models import FollowUp, Priority, Ticket, TimelineEntry, Urge
from tickets.models.ticket import ROUTING_PRIORITY
from tickets.services import _common as common
from tickets.services import routing_bridge
from tickets.services.create import route

#: One urge per person per ticket within this window; more are refused (UrgedRecently).
URGE_INTERVAL = timedelta(minutes=10)


def give_to(ticket: Ticket, agent: AgentProfile | None, *, actor: Actor, now: datetime, via: str = "") -> None:
    """Set the assignee (audit, routing load, events) on a ticket locked by the caller."""
    previous = ticket.assignee
    if (previous.pk if previous else None) == (agent.pk if agent else None):
        return
    if agent is not None and ticket.is_open:
        routing_bridge.hold(assignments={ticket.pk: (agent.pk, ticket.team)}, now=now, priority=ROUTING_PRIORITY[Priority(ticket.priority)])
    else:
        routing_bridge.release(ticket_ids=[ticket.pk], now=now)
    ticket.assignee, ticket.updated_at = agent, now
    ticket.save(update_fields=["assignee", "updated_at"])
    entry = common.change(ticket, "assignee", previous, agent, actor=actor, now=now)
    if via:
        entry.body = via
    common.save_entries([entry])
    if agent is not None:
        events.publish(ticket, events.ASSIGNED, extra_agents=(previous.pk if previous else None,), via=via)
    else:
        events.publish(ticket, events.UNASSIGNED, extra_agents=(previous.pk if previous else None,))


def assign_ticket(*, ticket_id: int, actor: Actor, agent: AgentProfile | None, now: datetime) -> Ticket:
    """Manual assignment (no capacity check); ``agent=None`` puts the ticket back in the unassigned pool."""
    access.require_agent(actor)
    with transaction.atomic():
        ticket = common.lock_ticket(actor=actor, ticket_id=ticket_id, routing=True)
        if agent is not None:
            access.check_assignable(actor=actor, agent=agent, team_id=ticket.team_id)
        give_to(ticket, agent, actor=actor, now=now, via="manual")
    return ticket


def dispatch_ticket(*, ticket_id: int, actor: Actor, now: datetime) -> Ticket:
    """Route an unassigned open ticket through its team's ticket queue: the queue's strategy
    (round-robin, least-load, skills ...) picks the agent now, or the ticket waits in line for the sweep."""
    access.require_agent(actor)
    with transaction.atomic():
        ticket = common.lock_ticket(actor=actor, ticket_id=ticket_id, routing=True)
        if not ticket.is_open:
            raise TicketClosed()
        if ticket.assignee_id is not None:
            raise Conflict(_("This ticket already has an assignee; redispatch it instead."))
        route(ticket, now=now)
    return ticket


def grab_ticket(*, ticket_id: int, agent: AgentProfile, now: datetime) -> Ticket:
    """抢单: an agent of the ticket's team takes an unassigned open ticket; the first grab wins and
    every later one gets AlreadyTaken (code ``already_taken``). Within the agent's ticket capacity."""
    with transaction.atomic():
        routing_bridge.lock_entries([ticket_id])
        routing_bridge.lock_agent(agent)
        ticket = common.lock_ticket(actor=agent, ticket_id=ticket_id)
        if not ticket.is_open:
            raise TicketClosed()
        if ticket.assignee_id is not None:
            raise AlreadyTaken()
        if not access.can_work_for_team(agent, ticket.team_id):
            raise Forbidden()
        routing_bridge.check_capacity(agent)
        give_to(ticket, agent, actor=agent, now=now, via="grab")
    return ticket


def redispatch_ticket(*, ticket_id: int, actor: Actor, reason: str, now: datetime, to_agent: AgentProfile | None = None) -> Ticket:
    """改派: move a ticket away from its assignee with a reason, to a chosen agent or back through
    routing (the previous assignee is left out of that first round). The assignee or a supervisor."""
    reason = common.clean_body(reason, field="reason")
    access.require_agent(actor)
    with transaction.atomic():
        ticket = common.lock_ticket(actor=actor, ticket_id=ticket_id, routing=True)
        if not ticket.is_open:
            raise TicketClosed()
        previous_id = ticket.assignee_id
        if isinstance(actor, AgentProfile) and not actor.is_supervisor and actor.pk != previous_id:
            raise Forbidden()
        if to_agent is not None:
            if to_agent.pk == previous_id:
                raise InvalidInput(_("The ticket is already with this agent."))
            access.check_assignable(actor=actor, agent=to_agent, team_id=ticket.team_id)
        common.save_entries([common.system(ticket, "redispatched", actor=actor, now=now, body=reason, data={"from": previous_id})])
        give_to(ticket, to_agent, actor=actor, now=now, via="redispatch")
        if to_agent is None:
            route(ticket, now=now, note=reason, exclude_agent_id=previous_id)
        events.publish(ticket, events.REDISPATCHED, extra_agents=(previous_id,), reason=reason, previous_assignee_id=previous_id)
    return ticket


def urge_ticket(*, ticket_id: int, actor: AgentProfile | Customer, now: datetime, note: str = "") -> Ticket:
    """催单: the customer or a colleague asks for speed. Counted on the ticket, written to the timeline,
    the assignee is told; the same person again within URGE_INTERVAL is refused (UrgedRecently)."""
    with transaction.atomic():
        ticket = common.lock_ticket(actor=actor, ticket_id=ticket_id)
        if not ticket.is_open:
            raise TicketClosed()
        mine: dict[str, int] = {"by_customer_id": actor.pk} if isinstance(actor, Customer) else {"by_agent_id": actor.pk}
        last = Urge.objects.filter(ticket=ticket, created_at__gt=now - URGE_INTERVAL, **mine).order_by("-created_at").first()
        if last is not None:
            retry = int((last.created_at + URGE_INTERVAL - now).total_seconds()) + 1
            raise UrgedRecently(_("You urged this ticket a moment ago; try again later."), retry_after_s=retry)
        note = (note or "").strip()[:500]
        Urge.objects.create(ticket=ticket, note=note, created_at=now, **mine)
        ticket.urge_count += 1
        ticket.last_urged_at = ticket.updated_at = now
        ticket.save(update_fields=["urge_count", "last_urged_at", "updated_at"])
        common.save_entries([common.system(ticket, "urged", actor=actor, now=now, body=note, data={"count": ticket.urge_count})])
        events.publish(ticket, events.URGED, note=note, by_customer=isinstance(actor, Customer))
    return ticket


# -- follow-up reminders ---------------------------------------------------------------------------


def schedule_follow_up(
    *, ticket_id: int, actor: AgentProfile, due_at: datetime, now: datetime, note: str = "", agent: AgentProfile | None = None
) -> FollowUp:
    """追单: remind ``agent`` (default: the actor) to come back to the ticket at ``due_at``."""
    if due_at <= now:
        raise InvalidInput(_("Pick a time in the future."), fields={"due_at": _("Pick a time in the future.")})
    agent = agent or actor
    with transaction.atomic():
        ticket = common.lock_ticket(actor=actor, ticket_id=ticket_id)
        if agent.pk != actor.pk:
            access.check_assignable(actor=actor, agent=agent, team_id=ticket.team_id)
        follow_up = FollowUp.objects.create(
            ticket=ticket, agent=agent, due_at=due_at, note=note.strip()[:500], created_by=actor, created_at=now
        )
        common.save_entries(
            [
                common.system(
                    ticket,
                    "follow_up_scheduled",
                    actor=actor,
                    now=now,
                    body=follow_up.note,
                    data={"agent_id": agent.pk, "due_at": due_at.isoformat()},
                )
            ]
        )
    return follow_up


def cancel_follow_up(*, follow_up_id: int, actor: AgentProfile, now: datetime) -> None:
    with transaction.atomic():
        ticket_id = FollowUp.objects.filter(pk=follow_up_id).values_list("ticket_id", flat=True).first()
        if ticket_id is None:
            raise NotFound()
        common.lock_ticket(actor=actor, ticket_id=ticket_id)  # a reminder on a hidden ticket reads as missing
        follow_up = FollowUp.objects.select_for_update().filter(pk=follow_up_id, fired_at__isnull=True, cancelled_at__isnull=True).first()
        if follow_up is None:
            raise InvalidInput(_("This reminder is no longer pending."))
        if follow_up.agent_id != actor.pk and follow_up.created_by_id != actor.pk and not actor.is_supervisor:
            raise Forbidden()
        follow_up.cancelled_at = now
        follow_up.save(update_fields=["cancelled_at"])


def fire_due_follow_ups(now: datetime, *, limit: int = 200) -> int:
    """The periodic job: every reminder that is due fires once (row locks with SKIP LOCKED across nodes)."""
    with transaction.atomic():
        due = list(
            FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(fired_at__isnull=True, cancelled_at__isnull=True, due_at__lte=now)
            .select_related("ticket")
            .order_by("due_at", "id")[:limit]
        )
        if not due:
            return 0
        FollowUp.objects.filter(pk__in=[f.pk for f in due]).update(fired_at=now)
        common.save_entries(
            common.system(f.ticket, "follow_up_due", actor=access.SYSTEM, now=now, body=f.note, data={"agent_id": f.agent_id}) for f in due
        )
        for follow_up in due:
            events.publish_to_agent(
                follow_up.agent_id,
                events.FOLLOW_UP_DUE,
                ticket=events.summary(follow_up.ticket),
                follow_up_id=follow_up.pk,
                note=follow_up.note,
            )
    return len(due)


# -- routing's handlers for kind "ticket" ----------------------------------------------------------


def on_assigned(event: RoutingEvent) -> None:
    """Routing gave the ticket to an agent (dispatch, an accepted offer, a take, a transfer): that agent is the assignee.

    Runs inside routing's transaction, which already holds the entry's lock."""
    entry = event.entry
    assert entry.assigned_agent_id is not None
    now = entry.assigned_at or entry.enqueued_at
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("assignee", "team").filter(pk=entry.item_id).first()
    if ticket is None or not ticket.is_open or ticket.merged_into_id is not None:
        # Over before anyone came: give the agent's slot back at once.
        QueueEntry.objects.filter(pk=entry.pk).update(finished_at=now)
        return
    agent = AgentProfile.objects.get(pk=entry.assigned_agent_id)
    previous = ticket.assignee
    if previous is not None and previous.pk == agent.pk:
        return
    routing_bridge.release(ticket_ids=[ticket.pk], now=now, keep_entry_id=entry.pk)
    ticket.assignee, ticket.updated_at = agent, now
    ticket.save(update_fields=["assignee", "updated_at"])
    audit = common.change(ticket, "assignee", previous, agent, actor=access.SYSTEM, now=now)
    audit.body = f"routing:{event.via}"
    common.save_entries([audit])
    events.publish(ticket, events.ASSIGNED, extra_agents=(previous.pk if previous else None,), via=f"routing:{event.via}")


def on_overflowed(event: RoutingEvent) -> None:
    """Nobody took it within the queue's maximum wait: it stays in the unassigned pool, noted on the timeline."""
    entry = event.entry
    ticket = Ticket.objects.filter(pk=entry.item_id).first()
    if ticket is None:
        return
    now = entry.ended_at or entry.enqueued_at
    TimelineEntry.objects.create(
        ticket=ticket,
        kind=TimelineEntry.Kind.SYSTEM,
        event="routing_overflowed",
        created_at=now,
        new_value={"queue_id": entry.queue_id, "target_queue_id": event.target.pk if event.target else None},
    )
    events.publish_to_team(ticket.team_id, events.UPDATED, ticket=events.summary(ticket))

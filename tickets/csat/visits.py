"""Follow-up visits (回访): scheduling on a finished ticket or chat, recording the outcome, and the
periodic job that escalates overdue ones exactly once."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from contactcenter.core.errors import Forbidden, InvalidInput, NotFound
from contactcenter.core.events import publish_many_on_commit
from contactcenter.core.staff.models import AgentProfile
from tickets import access, events
from tickets.csat import conversations
from tickets.csat.errors import NotRatable, VisitDone
from tickets.csat.models import FollowUpVisit
from tickets.models import Status, TimelineEntry

logger = logging.getLogger(__name__)

SCHEDULED = "ticket.follow_up_visit_scheduled"
OVERDUE = "ticket.follow_up_visit_overdue"
COMPLETED = "ticket.follow_up_visit_completed"
BATCH = 100


def visit_payload(visit: FollowUpVisit) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "ticket_id": visit.ticket_id,
        "conversation_id": visit.conversation_id,
        "customer_id": visit.customer_id,
        "team_id": visit.team_id,
        "agent_id": visit.agent_id,
        "channel": visit.channel,
        "due_at": visit.due_at.isoformat(),
        "note": visit.note,
        "outcome": visit.outcome,
        "outcome_notes": visit.outcome_notes,
        "completed_at": visit.completed_at.isoformat() if visit.completed_at else None,
        "escalated_at": visit.escalated_at.isoformat() if visit.escalated_at else None,
    }


def _team_agent(team_id: int, agent_id: int) -> AgentProfile:
    agent = AgentProfile.objects.filter(pk=agent_id, user__is_active=True).first()
    if agent is None or not access.can_work_for_team(agent, team_id):
        raise InvalidInput(_("The agent does not work for this team."), fields={"agent_id": _("Choose an agent of the team.")})
    return agent


def schedule_visit(
    *,
    actor: AgentProfile,
    due_at: datetime,
    now: datetime,
    ticket_id: int | None = None,
    conversation_id: int | None = None,
    agent_id: int | None = None,
    channel: str = FollowUpVisit.Channel.PHONE,
    note: str = "",
) -> FollowUpVisit:
    """A follow-up visit of a solved or closed ticket, or of a resolved or closed chat (exactly one of
    the two). The agent defaults to who served the contact, else the actor; they must work for its team."""
    if (ticket_id is None) == (conversation_id is None):
        raise InvalidInput(_("Name a ticket or a conversation."), fields={"ticket_id": _("Give a ticket or a conversation.")})
    if channel not in FollowUpVisit.Channel.values:
        raise InvalidInput(_("Unknown channel."), fields={"channel": _("phone, email or visit")})
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidInput(_("The note is too long."), fields={"note": _("At most 2000 characters.")})
    with transaction.atomic():
        if ticket_id is not None:
            ticket = access.access_ticket(actor=actor, ticket_id=ticket_id, lock=True)
            if ticket.status == Status.OPEN:
                raise NotRatable(_("Schedule a follow-up visit once the ticket is solved or closed."))
            team_id, customer_id, served_by = ticket.team_id, ticket.customer_id, ticket.assignee_id
        else:
            assert conversation_id is not None
            facts = conversations.find(conversation_id)
            if facts is None or facts.team_id is None or not access.can_work_for_team(actor, facts.team_id):
                raise NotFound()
            if not facts.finished:
                raise NotRatable(_("Schedule a follow-up visit once the chat is resolved."))
            ticket = None
            team_id, customer_id, served_by = facts.team_id, facts.customer_id, facts.assignee_id
        agent = _team_agent(team_id, agent_id or served_by or actor.pk)
        visit = FollowUpVisit.objects.create(
            ticket=ticket,
            conversation_id=conversation_id,
            customer_id=customer_id,
            team_id=team_id,
            agent=agent,
            created_by=actor,
            channel=channel,
            due_at=due_at,
            note=note,
            created_at=now,
        )
        if ticket is not None:
            TimelineEntry.objects.create(
                ticket=ticket,
                kind=TimelineEntry.Kind.SYSTEM,
                event="follow_up_visit_scheduled",
                body=note,
                new_value={"visit_id": visit.pk, "agent_id": agent.pk, "channel": channel, "due_at": due_at.isoformat()},
                author_agent=actor,
                created_at=now,
            )
        events.publish_to_agent(agent.pk, SCHEDULED, visit=visit_payload(visit))
    return visit


def record_outcome(*, actor: AgentProfile, visit_id: int, outcome: str, notes: str = "", now: datetime) -> FollowUpVisit:
    """The visit's result, once: by its agent or a supervisor."""
    if outcome not in FollowUpVisit.Outcome.values:
        raise InvalidInput(_("Unknown outcome."), fields={"outcome": _("reached, not_reached, satisfied or unsatisfied")})
    notes = (notes or "").strip()
    if len(notes) > 4000:
        raise InvalidInput(_("The notes are too long."), fields={"notes": _("At most 4000 characters.")})
    with transaction.atomic():
        visit = FollowUpVisit.objects.select_for_update().filter(pk=visit_id).first()
        if visit is None or not (actor.is_supervisor or visit.agent_id == actor.pk or access.can_work_for_team(actor, visit.team_id)):
            raise NotFound()
        if visit.agent_id != actor.pk and not actor.is_supervisor:
            raise Forbidden(_("Only the visit's agent or a supervisor can record its outcome."))
        if visit.completed_at is not None:
            raise VisitDone(_("This follow-up visit already has an outcome."))
        visit.outcome, visit.outcome_notes, visit.completed_at = outcome, notes, now
        visit.save(update_fields=["outcome", "outcome_notes", "completed_at"])
        if visit.ticket_id is not None:
            TimelineEntry.objects.create(
                ticket_id=visit.ticket_id,
                kind=TimelineEntry.Kind.SYSTEM,
                event="follow_up_visit_completed",
                body=notes,
                new_value={"visit_id": visit.pk, "outcome": outcome},
                author_agent=actor,
                created_at=now,
            )
        events.publish_to_team(visit.team_id, COMPLETED, visit=visit_payload(visit))
    return visit


def supervisor_ids(team_id: int) -> list[int]:
    return list(
        AgentProfile.objects.filter(
            teams__id=team_id, role__in=(AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN), user__is_active=True
        )
        .order_by("id")
        .values_list("pk", flat=True)
    )


def escalate_overdue(now: datetime, *, limit: int = BATCH) -> int:
    """The periodic job ``tickets_csat.escalate_visits``: each open visit past its due time is escalated
    once — the team's supervisors (and the visit's agent) are told, the ticket's timeline says so.

    Several tickers may run this at once: rows are taken with SKIP LOCKED and marked with a
    compare-and-set on ``escalated_at`` in the same transaction, so a visit is escalated exactly once."""
    with transaction.atomic():
        due = list(
            FollowUpVisit.objects.select_for_update(skip_locked=True)
            .filter(completed_at__isnull=True, escalated_at__isnull=True, due_at__lt=now)
            .order_by("due_at", "id")[:limit]
        )
        if not due:
            return 0
        # Compare-and-set per row: with the row locks (PostgreSQL) or without them (SQLite), one ticker wins each visit.
        marked = {v.pk for v in due if FollowUpVisit.objects.filter(pk=v.pk, escalated_at__isnull=True).update(escalated_at=now)}
        entries = []
        published = []
        for visit in due:
            if visit.pk not in marked:
                continue
            visit.escalated_at = now
            payload = {"type": OVERDUE, "visit": visit_payload(visit)}
            for agent_id in sorted({*supervisor_ids(visit.team_id), visit.agent_id}):
                published.append((events.agent_group(agent_id), payload))
            if visit.ticket_id is not None:
                entries.append(
                    TimelineEntry(
                        ticket_id=visit.ticket_id,
                        kind=TimelineEntry.Kind.SYSTEM,
                        event="follow_up_visit_overdue",
                        body=visit.note,
                        new_value={"visit_id": visit.pk, "agent_id": visit.agent_id, "due_at": visit.due_at.isoformat()},
                        created_at=now,
                    )
                )
        TimelineEntry.objects.bulk_create(entries)
        publish_many_on_commit(published)
    return len(marked)

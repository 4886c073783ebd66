"""Merging tickets into a survivor and linking tickets (related, duplicate, parent/child)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from contactcenter.core.errors import InvalidInput, NotFound
from tickets import access, events, search
from tickets.access import Actor
from tickets.errors import MergeRefused
from tickets.models import Status, Ticket, TicketAttachment, TicketLink, TimelineEntry
from tickets.services import _common as common
from tickets.services import routing_bridge


def merge_tickets(*, ticket_ids: Sequence[int], into_id: int, actor: Actor, now: datetime) -> Ticket:
    """Merge tickets into a survivor: their timelines (entries keep their time and remember where they
    were written), attachments, followers and collaborators move to it; each merged ticket points to
    the survivor and is closed; all get a system entry. Refused: into itself, into or from a merged
    ticket, or across customers (a customer would read another's replies). A constant number of queries."""
    access.require_agent(actor)
    sources_ids = sorted(set(ticket_ids))
    if not sources_ids:
        raise InvalidInput(_("Pick the tickets to merge."))
    if into_id in sources_ids:
        raise MergeRefused(_("A ticket cannot be merged into itself."))
    with transaction.atomic():
        locked = {t.pk: t for t in common.lock_tickets(actor=actor, ticket_ids=[*sources_ids, into_id])}
        into = locked[into_id]
        sources = [locked[pk] for pk in sources_ids]
        if into.merged_into_id is not None:
            raise MergeRefused(_("That ticket was itself merged into another one."))
        if any(s.merged_into_id is not None for s in sources):
            raise MergeRefused(_("A ticket was already merged."))
        customers = {t.customer_id for t in [into, *sources] if t.customer_id is not None}
        if len(customers) > 1:
            raise MergeRefused(_("Tickets of different customers cannot be merged."))
        moved = TimelineEntry.objects.filter(ticket_id__in=sources_ids).update(
            ticket_id=into_id, original_ticket_id=Coalesce("original_ticket_id", "ticket_id")
        )
        TicketAttachment.objects.filter(ticket_id__in=sources_ids).update(ticket_id=into_id)
        # Tickets merged into a source earlier now point at the survivor.
        Ticket.objects.filter(merged_into_id__in=sources_ids).update(merged_into_id=into_id)
        followers = Ticket.followers.through
        follower_ids = set(followers.objects.filter(ticket_id__in=sources_ids).values_list("agentprofile_id", flat=True))
        followers.objects.bulk_create(
            [followers(ticket_id=into_id, agentprofile_id=a) for a in sorted(follower_ids)], ignore_conflicts=True
        )
        collaborators = Ticket.collaborators.through
        collaborator_ids = set(collaborators.objects.filter(ticket_id__in=sources_ids).values_list("agentprofile_id", flat=True))
        collaborators.objects.bulk_create(
            [collaborators(ticket_id=into_id, agentprofile_id=a) for a in sorted(collaborator_ids)], ignore_conflicts=True
        )
        routing_bridge.release(ticket_ids=sources_ids, now=now)
        by_team: dict[int, list[int]] = {}
        for source in sources:
            by_team.setdefault(source.team_id, []).append(source.pk)
        stages = {source.team_id: common.closed_stage(source.team) for source in sources}
        for team_id, ids in by_team.items():
            Ticket.objects.filter(pk__in=ids, status=Status.OPEN).update(solved_at=now)
            Ticket.objects.filter(pk__in=ids).update(
                merged_into_id=into_id, status=Status.CLOSED, closed_at=now, updated_at=now, stage=stages[team_id]
            )
        entries = []
        for source in sources:
            entries.append(common.change(source, "status", source.status, Status.CLOSED, actor=actor, now=now))
            entries.append(common.system(source, "merged_into", actor=actor, now=now, data={"id": into.pk, "number": into.number}))
            entries.append(common.system(into, "merged_from", actor=actor, now=now, data={"id": source.pk, "number": source.number}))
        common.save_entries(entries)
        into.search_text = search.merge(into.search_text, *(s.search_text for s in sources))
        into.updated_at = now
        Ticket.objects.filter(pk=into.pk).update(search_text=into.search_text, updated_at=now)
        events.publish(into, events.MERGED, merged=[{"id": s.pk, "number": s.number} for s in sources], moved_entries=moved)
        for team_id in sorted(by_team.keys() - {into.team_id}):
            events.publish_to_team(team_id, events.MERGED, ticket=events.summary(into), merged=by_team[team_id])
    return into


def link_tickets(*, ticket_id: int, other_id: int, kind: str, actor: Actor, now: datetime) -> TicketLink:
    """Relate two tickets the actor can see: ``related`` (both ways), ``duplicate`` (this duplicates other),
    ``parent`` (this is the parent of other). Linking twice returns the existing link."""
    access.require_agent(actor)
    if kind not in TicketLink.Kind.values:
        raise InvalidInput(_("Unknown link kind."), fields={"kind": ", ".join(TicketLink.Kind.values)})
    if ticket_id == other_id:
        raise InvalidInput(_("A ticket cannot be linked to itself."))
    with transaction.atomic():
        locked = {t.pk: t for t in common.lock_tickets(actor=actor, ticket_ids=[ticket_id, other_id])}
        source, target = locked[ticket_id], locked[other_id]
        if kind == TicketLink.Kind.RELATED and source.pk > target.pk:
            source, target = target, source  # one row for both directions
        existing = TicketLink.objects.filter(from_ticket=source, to_ticket=target, kind=kind).first()
        if existing is not None:
            return existing
        if kind == TicketLink.Kind.PARENT and TicketLink.objects.filter(from_ticket=target, to_ticket=source, kind=kind).exists():
            raise InvalidInput(_("That ticket is already the parent of this one."))
        try:
            with transaction.atomic():
                link = TicketLink.objects.create(
                    from_ticket=source, to_ticket=target, kind=kind, created_by_id=common.actor_agent_id(actor), created_at=now
                )
        except IntegrityError:
            raced = TicketLink.objects.filter(from_ticket=source, to_ticket=target, kind=kind).first()
            if raced is None:
                raise
            return raced
        data = {"kind": kind, "from": source.number, "to": target.number}
        common.save_entries(
            [
                common.system(source, "linked", actor=actor, now=now, data=data),
                common.system(target, "linked", actor=actor, now=now, data=data),
            ]
        )
        events.publish(source, events.LINKED, link=data)
        events.publish(target, events.LINKED, link=data)
    return link


def unlink_tickets(*, link_id: int, actor: Actor, now: datetime) -> None:
    access.require_agent(actor)
    with transaction.atomic():
        link = TicketLink.objects.filter(pk=link_id).first()
        if link is None:
            raise NotFound()
        locked = common.lock_tickets(actor=actor, ticket_ids=[link.from_ticket_id, link.to_ticket_id])
        data = {"kind": link.kind, "from": locked[0].number, "to": locked[1].number}
        link.delete()
        common.save_entries(common.system(t, "unlinked", actor=actor, now=now, data=data) for t in locked)

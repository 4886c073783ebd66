"""Writes of the automation app: templates, rules, macros (and applying one), canned replies; and who may do which.

Supervisors and admins manage templates, rules and shared macros and canned replies; every agent may
keep personal macros and canned replies, and read and apply what is shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from contactcenter.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from contactcenter.core.staff.models import AgentProfile, Team
from tickets import access
from tickets.automation import actions, conditions, engine, rendering
from tickets.automation.models import CannedReply, Macro, Rule, Template
from tickets.models import Ticket

LANGUAGES = ("", "en", "zh-hans")


def require_manager(agent: AgentProfile) -> None:
    if not agent.is_supervisor:
        raise Forbidden(_("Only supervisors and admins may change this."), reason="not_a_supervisor")


def _text(value: Any, *, field: str, max_length: int, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidInput(_("This field is required."), fields={field: _("This field is required.")})
    if len(text) > max_length:
        raise InvalidInput(_("The text is too long."), fields={field: _("At most %(n)d characters.") % {"n": max_length}})
    return text


def _save(obj: Any, *, name_field: str = "name") -> None:
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as error:
        raise Conflict(_("That name is taken."), fields={name_field: _("That name is taken.")}) from error


# -- templates -------------------------------------------------------------------------------------


def save_template(*, actor: AgentProfile, now: datetime, data: Mapping[str, Any], template: Template | None = None) -> Template:
    """Create (``template`` None) or change a template; its subject and body are checked (unknown fields listed)."""
    require_manager(actor)
    template = template or Template(created_at=now)
    for name in ("name", "kind", "language", "subject", "body", "is_html", "is_active"):
        if name in data:
            setattr(template, name, data[name])
    template.name = _text(template.name, field="name", max_length=100)
    if template.kind not in Template.Kind.values:
        raise InvalidInput(_("Unknown kind."), fields={"kind": _("reply, email or sms")})
    if template.language not in LANGUAGES:
        raise InvalidInput(_("Unknown language."), fields={"language": _("en, zh-hans or empty")})
    if template.kind != Template.Kind.EMAIL:
        template.is_html = False
    template.subject = _text(template.subject, field="subject", max_length=200, required=False)
    template.body = _text(template.body, field="body", max_length=rendering.MAX_SOURCE)
    found = rendering.problems(template.subject, html=False) + rendering.problems(template.body, html=template.is_html)
    if found:
        raise rendering.TemplateInvalid(
            _("The template uses fields or constructs that are not allowed."),
            fields={"body": [p.as_dict() for p in found]},
            unknown_fields=sorted({p.detail for p in found if p.code == "unknown_field"}),
        )
    template.updated_at = now
    _save(template)
    return template


def delete_template(*, actor: AgentProfile, template: Template) -> None:
    require_manager(actor)
    used = [r.name for r in Rule.objects.all() if any(a.get("template") == template.pk for a in r.actions or [])]
    used += [m.name for m in Macro.objects.all() if any(a.get("template") == template.pk for a in m.actions or [])]
    if used:
        raise Conflict(_("Rules or macros use this template: %(names)s.") % {"names": ", ".join(sorted(used))})
    template.delete()


def preview(*, actor: AgentProfile, ticket_id: int, body: str, subject: str = "", html: bool = False) -> dict[str, str]:
    """Render against a ticket the agent may see (NotFound otherwise), as that agent."""
    ticket = access.access_ticket(actor=actor, ticket_id=ticket_id)
    ticket = Ticket.objects.select_related("team", "stage", "type", "customer", "assignee").get(pk=ticket.pk)
    context = rendering.context_for(ticket=ticket, agent=actor)
    return {"subject": rendering.render(subject, context), "body": rendering.render(body, context, html=html)}


# -- rules -----------------------------------------------------------------------------------------


def save_rule(*, actor: AgentProfile, now: datetime, data: Mapping[str, Any], rule: Rule | None = None) -> Rule:
    require_manager(actor)
    rule = rule or Rule(created_at=now)
    for name in ("name", "is_active", "position", "trigger", "events", "conditions", "actions", "period_hours"):
        if name in data:
            setattr(rule, name, data[name])
    rule.name = _text(rule.name, field="name", max_length=100)
    if rule.trigger not in Rule.Trigger.values:
        raise InvalidInput(_("Unknown trigger."), fields={"trigger": _("event or time")})
    if rule.trigger == Rule.Trigger.EVENT:
        if not isinstance(rule.events, list) or not rule.events or any(e not in engine.RULE_EVENTS for e in rule.events):
            raise InvalidInput(_("Pick the events."), fields={"events": ", ".join(engine.RULE_EVENTS)})
        rule.events = sorted(set(rule.events))
    else:
        rule.events = []
    rule.conditions = conditions.clean(rule.conditions)
    if rule.trigger == Rule.Trigger.TIME and any(
        c["op"] == "changed" or c["field"] in ("reply_author", "sla_metric", "csat_score") for g in rule.conditions.values() for c in g
    ):
        raise InvalidInput(_("A time rule has no event: it cannot ask what changed."), fields={"conditions": "changed"})
    rule.actions = actions.clean(rule.actions, allowed=actions.RULE_TYPES)
    if not isinstance(rule.period_hours, int) or not 1 <= rule.period_hours <= 24 * 365:
        raise InvalidInput(_("Between 1 hour and a year."), fields={"period_hours": "1-8760"})
    rule.updated_at = now
    _save(rule)
    return rule


def delete_rule(*, actor: AgentProfile, rule: Rule) -> None:
    require_manager(actor)
    rule.delete()


# -- macros ----------------------------------------------------------------------------------------


def visible_macros(agent: AgentProfile) -> QuerySet[Macro]:
    return Macro.objects.filter(Q(owner__isnull=True) | Q(owner=agent))


def macro_for(*, actor: AgentProfile, macro_id: int) -> Macro:
    macro = visible_macros(actor).filter(pk=macro_id).first()
    if macro is None:
        raise NotFound()
    return macro


def _may_change_owned(actor: AgentProfile, owner_id: int | None) -> None:
    """Personal things are their owner's; shared ones are for supervisors."""
    if owner_id is None:
        require_manager(actor)
    elif owner_id != actor.pk:
        raise NotFound()


def save_macro(*, actor: AgentProfile, now: datetime, data: Mapping[str, Any], macro: Macro | None = None) -> Macro:
    """``shared`` (supervisors) or personal (the actor's own)."""
    if macro is None:
        macro = Macro(created_at=now, owner=None if data.get("shared") else actor)
    _may_change_owned(actor, macro.owner_id)
    for name in ("name", "actions", "is_active"):
        if name in data:
            setattr(macro, name, data[name])
    macro.name = _text(macro.name, field="name", max_length=100)
    macro.actions = actions.clean(macro.actions, allowed=actions.MACRO_TYPES)
    macro.updated_at = now
    _save(macro)
    return macro


def delete_macro(*, actor: AgentProfile, macro: Macro) -> None:
    _may_change_owned(actor, macro.owner_id)
    macro.delete()


def apply_macro(*, actor: AgentProfile, ticket_id: int, macro_id: int, now: datetime) -> list[dict[str, Any]]:
    """Every action of the macro on the ticket, as the agent, in one transaction: one that fails changes nothing.

    Each change goes through tickets.services, so it is audited and its events are sent (after commit)."""
    macro = macro_for(actor=actor, macro_id=macro_id)
    if not macro.is_active:
        raise InvalidInput(_("This macro is switched off."))
    access.access_ticket(actor=actor, ticket_id=ticket_id)
    # Each service locks in the desk's order (routing entries, then the ticket); locking the ticket
    # here first would invert that order against a concurrent dispatch.
    with transaction.atomic():
        return [actions.run(action, ticket_id=ticket_id, actor=actor, now=now, writer=actor) for action in macro.actions]


# -- canned replies --------------------------------------------------------------------------------


def visible_canned_replies(agent: AgentProfile) -> QuerySet[CannedReply]:
    shared = Q(owner__isnull=True)
    if not agent.is_supervisor:
        shared &= Q(team__isnull=True) | Q(team_id__in=access.team_ids_of(agent))
    return CannedReply.objects.filter(shared | Q(owner=agent))


def search_canned_replies(*, actor: AgentProfile, q: str = "", limit: int = 20) -> list[CannedReply]:
    """Shortcuts starting with ``q`` first, then titles and bodies containing it."""
    q = q.strip().lstrip(":")
    replies = visible_canned_replies(actor).select_related("team")
    if not q:
        return list(replies.order_by("shortcut", "id")[:limit])
    first = list(replies.filter(shortcut__istartswith=q).order_by("shortcut", "id")[:limit])
    more = list(
        replies.filter(Q(title__icontains=q) | Q(body__icontains=q))
        .exclude(pk__in=[r.pk for r in first])
        .order_by("shortcut", "id")[: max(0, limit - len(first))]
    )
    return first + more


def render_canned_reply(*, actor: AgentProfile, reply: CannedReply, ticket_id: int | None = None, customer: Any = None) -> str:
    ticket = None
    if ticket_id is not None:
        ticket = access.access_ticket(actor=actor, ticket_id=ticket_id)
        ticket = Ticket.objects.select_related("team", "stage", "type", "customer", "assignee").get(pk=ticket.pk)
    return rendering.render(reply.body, rendering.context_for(ticket=ticket, agent=actor, customer=customer))


def save_canned_reply(*, actor: AgentProfile, now: datetime, data: Mapping[str, Any], reply: CannedReply | None = None) -> CannedReply:
    """Personal (the actor's) or shared (supervisors; with everyone, or with one ``team``)."""
    if reply is None:
        shared = bool(data.get("shared"))
        reply = CannedReply(created_at=now, owner=None if shared else actor)
    _may_change_owned(actor, reply.owner_id)
    for name in ("title", "shortcut", "body"):
        if name in data:
            setattr(reply, name, data[name])
    if "team" in data:
        if reply.owner_id is not None and data["team"] is not None:
            raise InvalidInput(_("A personal reply has no team."), fields={"team": _("Only shared replies have a team.")})
        reply.team = Team.objects.filter(pk=data["team"]).first() if data["team"] is not None else None
        if data["team"] is not None and reply.team is None:
            raise InvalidInput(_("Unknown team."), fields={"team": _("Unknown team.")})
    reply.title = _text(reply.title, field="title", max_length=100)
    shortcut = _text(reply.shortcut, field="shortcut", max_length=40).lstrip(":").lower()
    if not shortcut or any(not (ch.isalnum() or ch in "-_") for ch in shortcut):
        raise InvalidInput(_("Letters, digits, - and _ only."), fields={"shortcut": _("Letters, digits, - and _ only.")})
    reply.shortcut = shortcut
    reply.body = _text(reply.body, field="body", max_length=rendering.MAX_SOURCE)
    rendering.check(reply.body)
    reply.updated_at = now
    _save(reply, name_field="shortcut")
    return reply


def delete_canned_reply(*, actor: AgentProfile, reply: CannedReply) -> None:
    _may_change_owned(actor, reply.owner_id)
    reply.delete()


def canned_reply_for(*, actor: AgentProfile, reply_id: int) -> CannedReply:
    reply = visible_canned_replies(actor).filter(pk=reply_id).first()
    if reply is None:
        raise NotFound()
    return reply

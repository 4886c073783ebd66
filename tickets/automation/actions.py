"""The actions rules and macros take, checked when saved and carried out through :mod:`tickets.services`.

An action is ``{"type": ..., ...}``:

- ``set_status`` (``value``: open / solved / closed), ``set_priority`` (low … urgent), ``set_stage`` (a stage
  id of the ticket's team), ``set_type`` (a type id or null), ``add_tags`` / ``remove_tags`` (a list of names),
  ``assign`` (an agent id or null: back to the pool), ``dispatch`` (assign through routing, when unassigned);
- ``add_note`` (``body``, a template), ``reply`` (``template``: a reply template's id);
- rules only: ``email`` / ``sms`` (``template`` of that kind, to the customer through tickets/mail or tickets/sms),
  ``webhook`` (``webhook`` id).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import nh3
from django.utils.translation import gettext as _

from contactcenter.core.errors import InvalidInput
from contactcenter.core.staff.models import AgentProfile
from tickets import services
from tickets.access import Actor
from tickets.automation import rendering
from tickets.automation.models import Template, Webhook, WebhookDelivery
from tickets.models import Priority, Stage, Status, Ticket, TicketType
from tickets.services import _common as common

MACRO_TYPES = ("set_status", "set_priority", "set_stage", "set_type", "add_tags", "remove_tags", "assign", "add_note", "reply")
RULE_TYPES = (*MACRO_TYPES, "dispatch", "email", "sms", "webhook")
MAX_ACTIONS = 20

#: What an e-mail action records: queued in the e-mail channel's outbox (tickets/mail), or why not.
QUEUED = "queued"
NOT_SENT_NO_MAILBOX = "not sent: no customer e-mail address or team mailbox"
#: What an SMS action records when it is not queued in the SMS channel's outbox (tickets/sms).
NOT_SENT_NO_SMS = "not sent: no SMS gateway configured"
NOT_SENT_NO_PHONE = "not sent: the customer has no phone number"


def _bad(message: str, index: int) -> InvalidInput:
    return InvalidInput(message, fields={"actions": {str(index): message}})


def _int_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def clean(actions: Any, *, allowed: Sequence[str]) -> list[dict[str, Any]]:
    """The actions checked (types, values, templates and webhooks that exist), or InvalidInput naming the first problem."""
    if not isinstance(actions, list) or not actions or len(actions) > MAX_ACTIONS:
        raise InvalidInput(_("Give between 1 and %(n)d actions.") % {"n": MAX_ACTIONS}, fields={"actions": _("A list of actions.")})
    cleaned = []
    for index, action in enumerate(actions):
        if not isinstance(action, dict) or action.get("type") not in allowed:
            raise _bad(_("Unknown action; one of: %(types)s.") % {"types": ", ".join(allowed)}, index)
        kind = action["type"]
        keys = {"type", "value"}
        value: Any = action.get("value")
        if kind == "set_status" and value not in Status.values:
            raise _bad(_("A status: open, solved or closed."), index)
        if kind == "set_priority" and value not in Priority.values:
            raise _bad(_("A priority: low, normal, high or urgent."), index)
        if kind == "set_stage" and not (isinstance(value, int) and not isinstance(value, bool) and Stage.objects.filter(pk=value).exists()):
            raise _bad(_("A stage id."), index)
        if kind == "set_type" and not (value is None or (_int_or_none(value) and TicketType.objects.filter(pk=value).exists())):
            raise _bad(_("A ticket type id, or null."), index)
        if kind in ("add_tags", "remove_tags") and not (
            isinstance(value, list) and value and len(value) <= 20 and all(isinstance(v, str) and v.strip() for v in value)
        ):
            raise _bad(_("A list of tag names."), index)
        if kind == "assign" and not (value is None or (_int_or_none(value) and AgentProfile.objects.filter(pk=value).exists())):
            raise _bad(_("An agent id, or null."), index)
        if kind == "dispatch":
            keys = {"type"}
        if kind == "add_note":
            keys = {"type", "body"}
            body = action.get("body")
            if not isinstance(body, str) or not body.strip() or len(body) > rendering.MAX_SOURCE:
                raise _bad(_("A note needs a body."), index)
            rendering.check(body, field=f"actions.{index}.body")
        if kind in ("reply", "email", "sms"):
            keys = {"type", "template"}
            wanted = {"reply": Template.Kind.REPLY, "email": Template.Kind.EMAIL, "sms": Template.Kind.SMS}[kind]
            template_id: Any = action.get("template")
            if template_id is None or not (_int_or_none(template_id) and Template.objects.filter(pk=template_id, kind=wanted).exists()):
                raise _bad(_("A template id of kind %(kind)s.") % {"kind": wanted}, index)
        if kind == "webhook":
            keys = {"type", "webhook"}
            webhook_id: Any = action.get("webhook")
            if webhook_id is None or not (_int_or_none(webhook_id) and Webhook.objects.filter(pk=webhook_id).exists()):
                raise _bad(_("A webhook id."), index)
        if set(action) - keys:
            raise _bad(_("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(set(action) - keys))}, index)
        cleaned.append({k: action[k] for k in keys if k in action})
    return cleaned


def _template(template_id: int) -> Template:
    template = Template.objects.filter(pk=template_id, is_active=True).first()
    if template is None:
        raise InvalidInput(_("The template is gone or switched off."))
    return template


def _fresh(ticket_id: int) -> Ticket:
    return Ticket.objects.select_related("team", "stage", "type", "customer", "assignee").get(pk=ticket_id)


def run(action: dict[str, Any], *, ticket_id: int, actor: Actor, now: datetime, writer: AgentProfile | None) -> dict[str, Any]:
    """Carry out one action on a ticket as ``actor`` (an agent for macros, SYSTEM for rules); returns what was done.

    ``writer`` is who ``${agent.name}`` names (the agent applying a macro; for rules, the assignee)."""
    kind = action["type"]
    value: Any = action.get("value")
    done: dict[str, Any] = {"type": kind}
    if kind == "set_status":
        service = {Status.OPEN: services.reopen_ticket, Status.SOLVED: services.solve_ticket, Status.CLOSED: services.close_ticket}[
            Status(value)
        ]
        service(ticket_id=ticket_id, actor=actor, now=now)
        done["value"] = value
    elif kind == "set_priority":
        services.update_ticket(ticket_id=ticket_id, actor=actor, now=now, priority=value)
        done["value"] = value
    elif kind == "set_stage":
        stage = Stage.objects.filter(pk=value).first()
        if stage is None:
            raise InvalidInput(_("The stage is gone."))
        services.update_ticket(ticket_id=ticket_id, actor=actor, now=now, stage=stage)
        done["value"] = value
    elif kind == "set_type":
        ticket_type = TicketType.objects.filter(pk=value).first() if value is not None else None
        services.update_ticket(ticket_id=ticket_id, actor=actor, now=now, ticket_type=ticket_type)
        done["value"] = value
    elif kind in ("add_tags", "remove_tags"):
        current = set(_fresh(ticket_id).tags.values_list("name", flat=True))
        names = set(common.clean_tag_names(value))
        tags = current | names if kind == "add_tags" else current - names
        services.update_ticket(ticket_id=ticket_id, actor=actor, now=now, tags=sorted(tags))
        done["value"] = sorted(names)
    elif kind == "assign":
        agent = AgentProfile.objects.filter(pk=value).first() if value is not None else None
        if value is not None and agent is None:
            raise InvalidInput(_("The agent is gone."))
        services.assign_ticket(ticket_id=ticket_id, actor=actor, agent=agent, now=now)
        done["value"] = value
    elif kind == "dispatch":
        ticket = _fresh(ticket_id)
        if ticket.assignee_id is not None or not ticket.is_open:
            done["skipped"] = "assigned or not open"
        else:
            services.dispatch_ticket(ticket_id=ticket_id, actor=actor, now=now)
            done["assignee"] = _fresh(ticket_id).assignee_id
    elif kind == "add_note":
        body = rendering.render(action["body"], rendering.context_for(ticket=_fresh(ticket_id), agent=writer))
        entry = services.add_note(ticket_id=ticket_id, actor=actor, body=body, now=now)
        done["entry"] = entry.pk
    elif kind == "reply":
        template = _template(action["template"])
        body = rendering.render(template.body, rendering.context_for(ticket=_fresh(ticket_id), agent=writer))
        entry = services.reply(ticket_id=ticket_id, actor=actor, body=body, now=now)
        done.update(template=template.pk, entry=entry.pk)
    elif kind == "email":
        done.update(_email(action, ticket_id=ticket_id, actor=actor, now=now, writer=writer))
    elif kind == "sms":
        done.update(_sms(action, ticket_id=ticket_id, now=now, writer=writer))
    elif kind == "webhook":
        webhook = Webhook.objects.filter(pk=action["webhook"], is_active=True).first()
        if webhook is None:
            raise InvalidInput(_("The webhook is gone or switched off."))
        ticket = _fresh(ticket_id)
        delivery = WebhookDelivery.objects.create(
            webhook=webhook, ticket_id=ticket.pk, payload=webhook_payload(ticket, now=now), next_attempt_at=now, created_at=now
        )
        done.update(webhook=webhook.pk, delivery=delivery.pk, result="queued")
    return done


def _email(action: dict[str, Any], *, ticket_id: int, actor: Actor, now: datetime, writer: AgentProfile | None) -> dict[str, Any]:
    """A templated mail to the customer through the e-mail channel: written on the ticket as the desk's public
    reply (the customer reads it in the portal as well) and queued in the channel's outbox, in the ticket's
    mail thread (its subject is the thread's, ``Re: … [T-…]``, not the template's)."""
    from tickets.mail import outbound

    template = _template(action["template"])
    ticket = _fresh(ticket_id)
    context = rendering.context_for(ticket=ticket, agent=writer)
    rendering.render(template.subject, context)
    body = rendering.render(template.body, context, html=template.is_html)
    if template.is_html:
        body = nh3.clean(body, tags=set()).strip()
    if not outbound.recipient(ticket) or outbound.mailbox_for(ticket) is None:
        return {"template": template.pk, "result": NOT_SENT_NO_MAILBOX}
    entry = services.reply(ticket_id=ticket_id, actor=actor, body=body, now=now)
    queued = outbound.enqueue_reply(entry_id=entry.pk, now=now, include_system=True)
    return {"template": template.pk, "entry": entry.pk, "result": QUEUED if queued is not None else NOT_SENT_NO_MAILBOX}


def _sms(action: dict[str, Any], *, ticket_id: int, now: datetime, writer: AgentProfile | None) -> dict[str, Any]:
    """A templated text to the customer's phone, queued in the SMS channel's outbox (the ticker sends it)."""
    from tickets.sms import gateway, outbound

    template = _template(action["template"])
    ticket = _fresh(ticket_id)
    context = rendering.context_for(ticket=ticket, agent=writer)
    rendering.render(template.subject, context)
    body = rendering.render(template.body, context, html=template.is_html)
    if template.is_html:
        body = nh3.clean(body, tags=set()).strip()
    if gateway.configured() is None:
        return {"template": template.pk, "result": NOT_SENT_NO_SMS}
    number = outbound.phone_number(ticket)
    if not number:
        return {"template": template.pk, "result": NOT_SENT_NO_PHONE}
    row = outbound.enqueue(ticket=ticket, to_number=number, body=body, now=now)
    return {"template": template.pk, "sms": row.pk, "result": QUEUED}


def webhook_payload(ticket: Ticket, *, now: datetime) -> dict[str, Any]:
    return {
        "event": "ticket.automation",
        "sent_at": now.isoformat(),
        "ticket": {
            "id": ticket.pk,
            "number": ticket.number,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "team_id": ticket.team_id,
            "stage_id": ticket.stage_id,
            "assignee_id": ticket.assignee_id,
            "customer_id": ticket.customer_id,
            "tags": sorted(t.name for t in ticket.tags.all()),
            "updated_at": ticket.updated_at.isoformat(),
        },
    }

"""CSAT tables: one rating per ticket or chat, the mailed invitation of a ticket, follow-up visits (回访)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contactcenter.core.customers.models import Customer
from contactcenter.core.staff.models import AgentProfile, Team
from tickets.models import Ticket

MIN_SCORE = 1
MAX_SCORE = 5
MAX_COMMENT = 1000
#: At or below this a score counts as low (reports; the console marks it).
LOW_SCORE = 2


class Rating(models.Model):
    """A customer's 1-5 answer for one contact: a ticket, or a chat (by id: tickets may not import chat)."""

    class Source(models.TextChoices):
        TICKET = "ticket", _("ticket")
        CHAT = "chat", _("chat")

    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("ticket"))
    conversation_id = models.BigIntegerField(_("conversation"), null=True, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("customer"))
    # Who served the contact when it was rated (the assignee), and their team: what reports average by.
    agent = models.ForeignKey(AgentProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("agent"))
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team"))
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True, max_length=MAX_COMMENT)
    created_at = models.DateTimeField(_("rated at"))

    class Meta:
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["team", "created_at"], name="csat_team_created"),
            models.Index(fields=["agent", "created_at"], name="csat_agent_created"),
            models.Index(fields=["created_at"], name="csat_created"),
        ]
        constraints = [
            # One answer per contact: a second one (or two requests at once) is refused.
            models.UniqueConstraint(fields=["ticket"], condition=Q(ticket__isnull=False), name="csat_one_per_ticket"),
            models.UniqueConstraint(fields=["conversation_id"], condition=Q(conversation_id__isnull=False), name="csat_one_per_chat"),
            models.CheckConstraint(condition=Q(score__gte=MIN_SCORE, score__lte=MAX_SCORE), name="csat_score_1_to_5"),
            models.CheckConstraint(
                condition=Q(source="ticket", ticket__isnull=False, conversation_id__isnull=True)
                | Q(source="chat", ticket__isnull=True, conversation_id__isnull=False),
                name="csat_ticket_or_chat",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.ticket_id or self.conversation_id}: {self.score}"


class Invitation(models.Model):
    """The rating link mailed when a ticket is first solved (once per ticket, however often it is solved)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket"))
    to_address = models.EmailField(_("to"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    # Also the lease of a send in progress (another ticker leaves the row alone until then).
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("rating invitation")
        verbose_name_plural = _("rating invitations")
        indexes = [models.Index(fields=["sent_at", "next_attempt_at"], name="csat_invitation_due")]

    def __str__(self) -> str:
        return f"{self.ticket_id} → {self.to_address}"


class FollowUpVisit(models.Model):
    """A follow-up visit (回访) after a ticket is solved or closed or a chat resolved: who calls whom, how, by when, and what came of it."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("phone")
        EMAIL = "email", _("e-mail")
        VISIT = "visit", _("visit")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("reached")
        NOT_REACHED = "not_reached", _("not reached")
        SATISFIED = "satisfied", _("satisfied")
        UNSATISFIED = "unsatisfied", _("unsatisfied")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("ticket"))
    conversation_id = models.BigIntegerField(_("conversation"), null=True, blank=True, db_index=True)
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("customer"))
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("team"))
    agent = models.ForeignKey(AgentProfile, on_delete=models.PROTECT, related_name="+", verbose_name=_("agent"))
    created_by = models.ForeignKey(
        AgentProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("scheduled by")
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.PHONE)
    due_at = models.DateTimeField(_("due at"))
    note = models.TextField(_("purpose"), blank=True, max_length=2000)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    outcome_notes = models.TextField(_("outcome notes"), blank=True, max_length=4000)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["completed_at", "escalated_at", "due_at"], name="csat_visit_overdue"),
            models.Index(fields=["agent", "completed_at", "due_at"], name="csat_visit_agent"),
            models.Index(fields=["team", "completed_at", "due_at"], name="csat_visit_team"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ticket__isnull=False, conversation_id__isnull=True) | Q(ticket__isnull=True, conversation_id__isnull=False),
                name="csat_visit_ticket_or_chat",
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True, outcome="") | (Q(completed_at__isnull=False) & ~Q(outcome="")),
                name="csat_visit_outcome_when_done",
            ),
        ]

    def __str__(self) -> str:
        return f"visit {self.ticket_id or self.conversation_id} by {self.agent_id} at {self.due_at}"

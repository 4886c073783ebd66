"""E-mail channel tables: a team's mailbox (IMAP in, SMTP out), every Message-ID we know, and the outbox."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from contactcenter.core.staff.models import Team
from tickets.models import Ticket, TimelineEntry


class Mailbox(models.Model):
    """One address a team receives mail at and answers from. Passwords are stored as given (the servers need them)."""

    class Security(models.TextChoices):
        SSL = "ssl", _("SSL/TLS")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("none (trusted network only)")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="mailboxes", verbose_name=_("team"))
    address = models.EmailField(_("address"), unique=True, help_text=_("Customers write here; replies are sent from it."))
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    imap_host = models.CharField(_("IMAP host"), max_length=255)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(_("IMAP security"), max_length=16, choices=Security.choices, default=Security.SSL)
    imap_user = models.CharField(_("IMAP user"), max_length=255)
    imap_password = models.CharField(_("IMAP password"), max_length=255, blank=True)
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, default="INBOX")
    poll_interval_s = models.PositiveIntegerField(_("fetch every (seconds)"), default=60)

    smtp_host = models.CharField(
        _("SMTP host"), max_length=255, blank=True, help_text=_("Empty: send through the server's default mail settings (EMAIL_URL).")
    )
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=587)
    smtp_security = models.CharField(_("SMTP security"), max_length=16, choices=Security.choices, default=Security.STARTTLS)
    smtp_user = models.CharField(_("SMTP user"), max_length=255, blank=True)
    smtp_password = models.CharField(_("SMTP password"), max_length=255, blank=True)

    # Where the fetch stands: UIDs are only meaningful within one UIDVALIDITY of the folder.
    uid_validity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(_("last UID seen"), default=0, editable=False)
    last_polled_at = models.DateTimeField(_("last fetched at"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    # One node fetches a mailbox at a time (a lease, not a lock held over the network round trips).
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["team", "address"]

    def __str__(self) -> str:
        return self.address


class MailMessage(models.Model):
    """Every message we received or sent, by Message-ID: the unique key that makes a fetch idempotent
    (a message is processed once, however often or by however many nodes it is fetched), the thread
    index for In-Reply-To / References, and the record of why a mail was ignored."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("received")
        OUTBOUND = "out", _("sent")

    class Outcome(models.TextChoices):
        TICKET_CREATED = "ticket_created", _("new ticket")
        REPLIED = "replied", _("reply on a ticket")
        AUTOMATED = "automated", _("ignored: auto-reply or bounce")
        OWN = "own", _("ignored: sent by one of our mailboxes")
        TOO_LARGE = "too_large", _("refused: too large")
        FAILED = "failed", _("failed: could not be read")
        OUTGOING = "outgoing", _("sent by us")

    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    mailbox = models.ForeignKey(Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("mailbox"))
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="mail_messages", verbose_name=_("ticket")
    )
    entry = models.ForeignKey(TimelineEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("entry"))
    sender = models.CharField(_("from"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    uid = models.BigIntegerField(_("IMAP UID"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("mail message")
        verbose_name_plural = _("mail messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="tickets_mail_msg_ticket")]

    def __str__(self) -> str:
        return self.message_id


class OutboundMail(models.Model):
    """An agent's public reply waiting to be mailed: retried with backoff until sent or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENT = "sent", _("sent")
        FAILED = "failed", _("given up")

    entry = models.OneToOneField(TimelineEntry, on_delete=models.CASCADE, related_name="+", verbose_name=_("reply"))
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+", verbose_name=_("ticket"))
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="outbox", verbose_name=_("mailbox"))
    to_address = models.EmailField(_("to"))
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Also the lease of a send in progress: a node that claims a row pushes this forward first.
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mails")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="tickets_mail_outbox_due")]

    def __str__(self) -> str:
        return f"{self.to_address} {self.status}"

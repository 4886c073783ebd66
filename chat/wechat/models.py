"""WeChat channel tables: an Official Account on a Channel, every callback received (once), the link of a
conversation to its WeChat user, and the outbox of customer-service messages."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from chat.models import Attachment, Conversation, Message
from contactcenter.core.inboxes.models import Channel


class WeChatAccount(models.Model):
    """One Official Account (公众号) and the Channel its users' chats belong to. Secrets are stored as given
    (WeChat needs them) and never shown again in the admin."""

    class Mode(models.TextChoices):
        PLAIN = "plain", _("plain text (明文模式)")
        COMPATIBLE = "compatible", _("compatible (兼容模式): plain or encrypted")
        SAFE = "safe", _("safe (安全模式): encrypted only")

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="wechat_account", verbose_name=_("channel"))
    appid = models.CharField(_("AppID"), max_length=64, unique=True)
    appsecret = models.CharField(_("AppSecret"), max_length=128, blank=True)
    token = models.CharField(_("Token"), max_length=64, help_text=_("The Token entered in the Official Account's server settings."))
    encoding_aes_key = models.CharField(
        _("EncodingAESKey"), max_length=43, blank=True, help_text=_("43 characters; needed for the compatible and safe modes.")
    )
    mode = models.CharField(_("message encryption"), max_length=16, choices=Mode.choices, default=Mode.SAFE)
    language = models.CharField(_("language"), max_length=16, default="zh-hans", help_text=_("The language of its conversations."))
    # The API's access token, shared by every node (WeChat invalidates the old one when a new one is fetched).
    access_token = models.CharField(max_length=512, blank=True, editable=False)
    access_token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("WeChat Official Account")
        verbose_name_plural = _("WeChat Official Accounts")
        ordering = ["appid"]

    def __str__(self) -> str:
        return f"{self.appid} ({self.channel})"


class InboundMessage(models.Model):
    """A callback as received: the unique key makes WeChat's retries (three, 5 s apart) count once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        DONE = "done", _("processed")
        IGNORED = "ignored", _("ignored")
        FAILED = "failed", _("failed")

    account = models.ForeignKey(WeChatAccount, on_delete=models.CASCADE, related_name="inbound", verbose_name=_("account"))
    # MsgId for messages, FromUserName + CreateTime (+ event) for events, which have none.
    dedupe_key = models.CharField(_("message key"), max_length=200)
    openid = models.CharField(_("OpenID"), max_length=128)
    msg_type = models.CharField(_("type"), max_length=32)
    fields = models.JSONField(_("fields"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    conversation = models.ForeignKey(Conversation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    received_at = models.DateTimeField(_("received at"))
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("received WeChat message")
        verbose_name_plural = _("received WeChat messages")
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["account", "dedupe_key"], name="chat_wechat_inbound_once")]
        indexes = [models.Index(fields=["status", "received_at"], name="chat_wechat_inbound_due")]

    def __str__(self) -> str:
        return f"{self.msg_type} from {self.openid}"


class WeChatConversation(models.Model):
    """A chat conversation that belongs to a WeChat user: where its replies go, and how far they went."""

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="wechat", verbose_name=_("conversation"))
    account = models.ForeignKey(WeChatAccount, on_delete=models.CASCADE, related_name="conversations", verbose_name=_("account"))
    openid = models.CharField(_("OpenID"), max_length=128)
    # Messages up to this seq have been looked at for the outbox (seqs commit in order per conversation).
    forwarded_seq = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("WeChat conversation")
        verbose_name_plural = _("WeChat conversations")

    def __str__(self) -> str:
        return f"{self.openid} → #{self.conversation_id}"


class OutboundMessage(models.Model):
    """A customer-service message to send: retried with backoff until sent, refused or given up."""

    class Kind(models.TextChoices):
        TEXT = "text", _("text")
        IMAGE = "image", _("image")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENT = "sent", _("sent")
        REFUSED = "refused", _("refused by WeChat")
        FAILED = "failed", _("given up")

    account = models.ForeignKey(WeChatAccount, on_delete=models.CASCADE, related_name="outbox", verbose_name=_("account"))
    openid = models.CharField(_("OpenID"), max_length=128)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TEXT)
    text = models.TextField(_("text"), blank=True)
    attachment = models.ForeignKey(Attachment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Also the lease of a send in progress: a node that claims a row pushes this forward first.
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    errcode = models.IntegerField(_("WeChat errcode"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("WeChat message to send")
        verbose_name_plural = _("WeChat messages to send")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One row per transcript message and part (an agent's text and each of its images).
            models.UniqueConstraint(
                fields=["message"],
                condition=models.Q(attachment__isnull=True, message__isnull=False),
                name="chat_wechat_outbound_text_once",
            ),
            models.UniqueConstraint(
                fields=["message", "attachment"], condition=models.Q(attachment__isnull=False), name="chat_wechat_outbound_image_once"
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="chat_wechat_outbox_due")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.openid} ({self.status})"

"""Knowledge-base tables: articles with phrasings and versions, and the bot's log of what it was asked."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from contactcenter.core.staff.models import AgentProfile, Team


class Article(models.Model):
    class Language(models.TextChoices):
        ZH = "zh", _("Chinese")
        EN = "en", _("English")

    class Audience(models.TextChoices):
        PUBLIC = "public", _("public (the bot and customers)")
        INTERNAL = "internal", _("internal (all agents)")
        PERSONAL = "personal", _("personal (the owner only)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        IN_REVIEW = "in_review", _("in review")
        PUBLISHED = "published", _("published")

    # The id an import file gives (``bb-slow``); articles made in the admin get ``kb-<pk>``.
    external_id = models.CharField(_("id"), max_length=100, unique=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.ZH)
    question = models.CharField(_("question"), max_length=500)
    # Other ways people ask the same thing; each is matched like the question.
    phrasings = models.JSONField(_("alternative phrasings"), default=list, blank=True)
    # Sanitised HTML (bot.sanitize): safe to render anywhere; the bot sends its plain-text form.
    answer = models.TextField(_("answer"))
    tags = models.JSONField(_("tags"), default=list, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices, default=Audience.PUBLIC)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    owner = models.ForeignKey(
        AgentProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="kb_articles", verbose_name=_("owner")
    )
    # None: every channel's bot may answer with it.
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="kb_articles", verbose_name=_("team"))
    version = models.PositiveIntegerField(_("version"), default=1)
    review_note = models.CharField(_("review note"), max_length=500, blank=True)
    # Where a proposed article came from, e.g. "ticket:42" (a solved ticket turned into an FAQ).
    source = models.CharField(_("source"), max_length=100, blank=True)
    shown_count = models.PositiveIntegerField(_("shown"), default=0)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0)
    not_helpful_count = models.PositiveIntegerField(_("not helpful"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("FAQ article")
        verbose_name_plural = _("FAQ articles")
        ordering = ["external_id"]
        indexes = [
            models.Index(fields=["status", "audience"], name="kb_status_audience"),
            models.Index(fields=["updated_at"], name="kb_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.question}"

    @property
    def answerable_by_bot(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.audience == self.Audience.PUBLIC


class ArticleVersion(models.Model):
    """The article as it was after each edit: who changed it, when, and to what."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    question = models.CharField(_("question"), max_length=500)
    phrasings = models.JSONField(default=list, blank=True)
    answer = models.TextField(_("answer"))
    tags = models.JSONField(default=list, blank=True)
    category = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=Article.Status.choices)
    edited_by = models.ForeignKey(AgentProfile, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ["article", "-version"]
        constraints = [models.UniqueConstraint(fields=["article", "version"], name="uniq_article_version")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version}"


class BotTurn(models.Model):
    """One question the bot was asked and what it did: the source of stats, feedback and the
    'unanswered / unhelpful' list that KB owners work through."""

    class Action(models.TextChoices):
        ANSWER = "answer", _("answered")
        SUGGEST = "suggest", _("suggested articles")
        HANDOFF = "handoff", _("handed off")
        SMALLTALK = "smalltalk", _("small talk")
        CLARIFY = "clarify", _("asked to rephrase")

    # Conversations belong to chat; the bot knows them by id only (it may not import chat).
    conversation_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    question = models.CharField(_("question"), max_length=2000)
    language = models.CharField(_("language"), max_length=8)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    article = models.ForeignKey(Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="turns")
    score = models.FloatField(_("score"), default=0.0)
    candidates = models.JSONField(default=list, blank=True)
    sentiment = models.FloatField(_("sentiment"), default=0.0)
    # None: not asked or not answered yet.
    helpful = models.BooleanField(_("helpful"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bot turn")
        verbose_name_plural = _("bot turns")
        ordering = ["-id"]
        indexes = [models.Index(fields=["action", "created_at"], name="botturn_action_created")]

    def __str__(self) -> str:
        return f"{self.action}: {self.question[:40]}"


class ArticleEmbedding(models.Model):
    """An article version's sentence vectors, kept so that no process embeds the same text twice:
    a node that starts, or sees an edit, encodes only what is not stored yet."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="embeddings")
    version = models.PositiveIntegerField()
    model = models.CharField(max_length=64)
    rows = models.PositiveSmallIntegerField()
    # float32, row-major, rows × dimensions.
    vectors = models.BinaryField()

    class Meta:
        verbose_name = _("article embedding")
        verbose_name_plural = _("article embeddings")
        constraints = [models.UniqueConstraint(fields=["article", "version", "model"], name="uniq_article_embedding")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version} ({self.model})"

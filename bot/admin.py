"""Admin for the knowledge base (edits make versions; approval actions) and the bot's log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bot import services
from bot.models import Article, ArticleVersion, BotTurn
from bot.sanitize import clean_answer
from contactcenter.core.errors import ContactCenterError
from contactcenter.core.staff.models import AgentProfile


class ArticleVersionInline(admin.TabularInline[ArticleVersion, Article]):
    model = ArticleVersion
    extra = 0
    fields = ["version", "status", "question", "edited_by", "created_at"]
    readonly_fields = ["version", "status", "question", "edited_by", "created_at"]
    can_delete = False
    ordering = ["-version"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _agent(request: HttpRequest) -> AgentProfile | None:
    return AgentProfile.objects.filter(user_id=request.user.pk or 0).first()


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin[Article]):
    list_display = [
        "external_id",
        "question",
        "language",
        "audience",
        "status",
        "version",
        "shown_count",
        "helpful_count",
        "not_helpful_count",
        "updated_at",
    ]
    list_filter = ["status", "audience", "language", "category"]
    search_fields = ["external_id", "question", "answer"]
    readonly_fields = ["version", "shown_count", "helpful_count", "not_helpful_count", "published_at", "created_at", "updated_at", "source"]
    inlines = [ArticleVersionInline]
    actions = ["publish", "send_back"]

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        # Every save is a new version with a snapshot, and the answer is sanitised, as in services.
        obj.answer = clean_answer(obj.answer)
        if change:
            obj.version += 1
        if obj.status == Article.Status.PUBLISHED and obj.published_at is None:
            obj.published_at = timezone.now()
        if not obj.external_id:
            obj.external_id = f"kb-new-{timezone.now().timestamp()}"
        if obj.owner_id is None:
            obj.owner = _agent(request)
        super().save_model(request, obj, form, change)
        if obj.external_id.startswith("kb-new-"):
            obj.external_id = f"kb-{obj.pk}"
            obj.save(update_fields=["external_id"])
        ArticleVersion.objects.create(
            article=obj,
            version=obj.version,
            question=obj.question,
            phrasings=obj.phrasings,
            answer=obj.answer,
            tags=obj.tags,
            category=obj.category,
            status=obj.status,
            edited_by=_agent(request),
        )

    def _review(self, request: HttpRequest, queryset: QuerySet[Article], *, approve: bool) -> None:
        agent = _agent(request)
        if agent is None:
            self.message_user(request, _("Only agents with a profile can review articles."), messages.ERROR)
            return
        done = 0
        for article in queryset:
            try:
                services.review(article_id=article.pk, by=agent, approve=approve, now=timezone.now())
                done += 1
            except ContactCenterError as error:
                self.message_user(request, f"{article.external_id}: {error.message}", messages.WARNING)
        self.message_user(request, _("%(count)d article(s) reviewed.") % {"count": done})

    @admin.action(description=_("Approve and publish the selected articles in review"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._review(request, queryset, approve=True)

    @admin.action(description=_("Send the selected articles in review back to their authors"))
    def send_back(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._review(request, queryset, approve=False)


@admin.register(BotTurn)
class BotTurnAdmin(admin.ModelAdmin[BotTurn]):
    list_display = ["created_at", "question", "language", "action", "reason", "article", "score", "helpful", "conversation_id"]
    list_filter = ["action", "reason", "helpful", "language"]
    search_fields = ["question"]
    readonly_fields = [f.name for f in BotTurn._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

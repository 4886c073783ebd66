"""HTTP routes of the bot: the knowledge-base REST API (bot.api)."""

from django.urls import URLPattern, path

from bot import api

urlpatterns: list[URLPattern] = [
    path("api/bot/articles/", api.ArticleListView.as_view(), name="bot-articles"),
    path("api/bot/articles/<int:article_id>/", api.ArticleDetailView.as_view(), name="bot-article"),
    path("api/bot/articles/<int:article_id>/versions/", api.ArticleVersionsView.as_view(), name="bot-article-versions"),
    path("api/bot/articles/<int:article_id>/submit/", api.ArticleSubmitView.as_view(), name="bot-article-submit"),
    path("api/bot/articles/<int:article_id>/review/", api.ArticleReviewView.as_view(), name="bot-article-review"),
    path("api/bot/proposals/", api.ProposalView.as_view(), name="bot-proposals"),
    path("api/bot/unanswered/", api.UnansweredView.as_view(), name="bot-unanswered"),
    path("api/bot/ask/", api.AskView.as_view(), name="bot-ask"),
]

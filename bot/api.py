"""REST API of the knowledge base for agents, supervisors and KB owners: search, articles and their versions, the review
workflow, proposals from solved work, the unanswered list, and asking the bot.

Thin: serializers check types and sizes (and refuse fields they do not know), bot.services writes, bot.selectors reads.
Errors have one shape, {"code", "message", "details"?} (contactcenter.api_errors); a serializer's complaints are in
``details.fields``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bot import selectors, services
from bot.models import Article
from contactcenter.core.errors import Forbidden, NotFound
from contactcenter.core.rest import Flag, Text, request_agent, validated
from contactcenter.core.staff.models import AgentProfile, Team

ANSWER_MAX_CHARS = 20_000
QUESTION_MAX_CHARS = 500
SEARCH_TEXT_MAX_CHARS = 500
ASK_MAX_CHARS = 2000
PHRASINGS_MAX = 50
TAGS_MAX = 20
TAG_MAX_CHARS = 50
PAGE_MAX = 200
PAGE_DEFAULT = 50


# --------------------------------------------------------------------------------- strict input


class StrictInput(serializers.Serializer[Any]):
    """Refuses fields it does not know: a misspelt "anwser" or a "status" an author may not set must
    not be dropped silently."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


class ArticleIn(StrictInput):
    question = Text(max_length=QUESTION_MAX_CHARS)
    answer = Text(max_length=ANSWER_MAX_CHARS, help_text="Rich text; sanitised (paragraphs, lists, emphasis, code, safe links).")
    phrasings = serializers.ListField(child=Text(max_length=QUESTION_MAX_CHARS), max_length=PHRASINGS_MAX, required=False)
    tags = serializers.ListField(child=Text(max_length=TAG_MAX_CHARS), max_length=TAGS_MAX, required=False)
    category = Text(max_length=100, allow_blank=True, required=False)
    language = serializers.ChoiceField(choices=Article.Language.choices, required=False)
    audience = serializers.ChoiceField(choices=Article.Audience.choices, required=False)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False, help_text="null: every channel's bot may answer with it."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.partial and not attrs:
            raise serializers.ValidationError(_("Nothing to change."))
        return attrs


class SearchQuery(StrictInput):
    q = Text(max_length=SEARCH_TEXT_MAX_CHARS, required=False, allow_blank=True, help_text="Text to look for.")
    mode = serializers.ChoiceField(
        choices=["exact", "fuzzy"],
        default="fuzzy",
        help_text="exact: the phrase as typed; fuzzy: keywords in any order, tolerant of one-character differences.",
    )
    tag = Text(max_length=TAG_MAX_CHARS, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Article.Status.choices, required=False)
    updated_after = serializers.DateTimeField(required=False, help_text="ISO 8601; articles changed at or after it.")
    updated_before = serializers.DateTimeField(required=False, help_text="ISO 8601; articles changed before it.")
    limit = serializers.IntegerField(min_value=1, max_value=PAGE_MAX, default=PAGE_DEFAULT)


class ReviewIn(StrictInput):
    approve = Flag(help_text="true: publish; false: send back to the author.")
    note = Text(max_length=500, allow_blank=True, default="", help_text="Shown to the author.")


class ProposalIn(StrictInput):
    question = Text(max_length=QUESTION_MAX_CHARS)
    answer = Text(max_length=ANSWER_MAX_CHARS)
    language = serializers.ChoiceField(choices=Article.Language.choices)
    # A field named like Field.source: DRF's metaclass takes declared fields off the class.
    source = Text(max_length=100, help_text='Where it comes from, e.g. "ticket:42".')  # type: ignore[assignment]
    tags = serializers.ListField(child=Text(max_length=TAG_MAX_CHARS), max_length=TAGS_MAX, required=False)


class UnansweredQuery(StrictInput):
    since = serializers.DateTimeField(required=False, help_text="ISO 8601; only questions asked at or after it.")
    limit = serializers.IntegerField(min_value=1, max_value=PAGE_MAX, default=PAGE_DEFAULT)


class AskIn(StrictInput):
    q = Text(max_length=ASK_MAX_CHARS, help_text="The question, as a customer would ask it.")
    lang = serializers.ChoiceField(choices=["zh", "en"], required=False, help_text="Default: guessed from the text.")


class NoBody(StrictInput):
    pass


# ----------------------------------------------------------------------------- shapes (output)


class BotErrorOut(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField(required=False)


class AgentRef(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class ArticleOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    language = serializers.ChoiceField(choices=Article.Language.choices)
    question = serializers.CharField()
    phrasings = serializers.ListField(child=serializers.CharField())
    answer = serializers.CharField(help_text="Sanitised HTML.")
    tags = serializers.ListField(child=serializers.CharField())
    category = serializers.CharField()
    audience = serializers.ChoiceField(choices=Article.Audience.choices)
    status = serializers.ChoiceField(choices=Article.Status.choices)
    owner = AgentRef(allow_null=True)
    team = serializers.IntegerField(source="team_id", allow_null=True)
    version = serializers.IntegerField()
    review_note = serializers.CharField()
    source = serializers.CharField()  # type: ignore[assignment]  # (as in ProposalIn)
    shown_count = serializers.IntegerField()
    helpful_count = serializers.IntegerField()
    not_helpful_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)


class ArticleList(serializers.Serializer[Any]):
    results = ArticleOut(many=True)


class ArticleVersionOut(serializers.Serializer[Any]):
    version = serializers.IntegerField()
    question = serializers.CharField()
    phrasings = serializers.ListField(child=serializers.CharField())
    answer = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    category = serializers.CharField()
    status = serializers.ChoiceField(choices=Article.Status.choices)
    edited_by = AgentRef(allow_null=True)
    created_at = serializers.DateTimeField()


class ArticleVersionList(serializers.Serializer[Any]):
    results = ArticleVersionOut(many=True)


class QuestionGroupOut(serializers.Serializer[Any]):
    question = serializers.CharField(help_text="The latest wording of the group.")
    count = serializers.IntegerField()
    unhelpful = serializers.IntegerField(help_text="How many were answered and rated 'no'.")
    last_asked = serializers.DateTimeField()
    examples = serializers.ListField(child=serializers.CharField())
    article_id = serializers.IntegerField(allow_null=True, help_text="The article rated unhelpful, if any.")


class QuestionGroupList(serializers.Serializer[Any]):
    results = QuestionGroupOut(many=True)


class AskCandidateOut(serializers.Serializer[Any]):
    id = serializers.CharField(help_text="The article's external id.")
    score = serializers.FloatField()


class AskOut(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=["answer", "suggest", "handoff"])
    answer_id = serializers.CharField(allow_null=True, help_text="The answering article's external id.")
    score = serializers.FloatField()
    candidates = AskCandidateOut(many=True)
    reason = serializers.CharField()


ERRORS = {
    400: OpenApiResponse(BotErrorOut, description="Invalid input (details.fields names each field)"),
    403: OpenApiResponse(BotErrorOut, description="Not signed in, not an agent, not allowed, or CSRF failure"),
}
NOT_FOUND = {404: OpenApiResponse(BotErrorOut, description="No such article, or not visible to this agent")}


# ----------------------------------------------------------------------------------- helpers


def _supervisor(request: Request) -> AgentProfile:
    agent = request_agent(request)
    if not agent.is_supervisor:
        raise Forbidden(_("Only supervisors may do this."), reason="not_a_supervisor")
    return agent


def _visible(agent: AgentProfile, article_id: int) -> Article:
    """The article if this agent may see it; another agent's personal note is as absent as a missing id."""
    article = selectors.visible_articles(agent).select_related("owner").filter(pk=article_id).first()
    if article is None:
        raise NotFound(_("No such article."))
    return article


def _edits(data: dict[str, Any]) -> dict[str, Any]:
    """Validated fields as services.create_article / update_article take them."""
    if "team" in data:
        team = data.pop("team")
        data["team_id"] = team.pk if team is not None else None
    return data


def _full(articles: list[Article]) -> list[Article]:
    """The found articles again with every field and their owners, in the same order: fuzzy search reads
    only what it ranks on, and each deferred field or owner would otherwise cost a query per article."""
    ids = [a.pk for a in articles]
    by_id = Article.objects.select_related("owner").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def _article(article: Article) -> Response:
    return Response(ArticleOut(article).data)


# ------------------------------------------------------------------------------------- views


class ArticleListView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="bot_article_search",
        summary="Search the articles this agent may see (public, internal, their own personal notes)",
        parameters=[SearchQuery],
        responses={200: ArticleList, **ERRORS},
        tags=["bot"],
    )
    def get(self, request: Request) -> Response:
        agent = request_agent(request)
        query = validated(SearchQuery(data=request.query_params))
        found = selectors.search_articles(
            agent,
            text=query.get("q", ""),
            mode=query["mode"],
            tag=query.get("tag", ""),
            status=query.get("status", ""),
            updated_after=query.get("updated_after"),
            updated_before=query.get("updated_before"),
            limit=query["limit"],
        )
        return Response({"results": ArticleOut(_full(found), many=True).data})

    @extend_schema(
        operation_id="bot_article_create",
        summary="Write an article (a public one starts as a draft; internal and personal notes are live at once)",
        request=ArticleIn,
        responses={201: ArticleOut, **ERRORS},
        tags=["bot"],
    )
    def post(self, request: Request) -> Response:
        agent = request_agent(request)
        data = _edits(validated(ArticleIn(data=request.data)))
        article = services.create_article(by=agent, now=timezone.now(), **data)
        return Response(ArticleOut(article).data, status=status.HTTP_201_CREATED)


class ArticleDetailView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(operation_id="bot_article_read", responses={200: ArticleOut, **ERRORS, **NOT_FOUND}, tags=["bot"])
    def get(self, request: Request, article_id: int) -> Response:
        return _article(_visible(request_agent(request), article_id))

    @extend_schema(
        operation_id="bot_article_update",
        summary="Change an article (a new version; an agent's edit of a published public article goes back to draft)",
        request=ArticleIn,
        responses={200: ArticleOut, **ERRORS, **NOT_FOUND},
        tags=["bot"],
    )
    def patch(self, request: Request, article_id: int) -> Response:
        agent = request_agent(request)
        _visible(agent, article_id)
        data = _edits(validated(ArticleIn(data=request.data, partial=True)))
        return _article(services.update_article(article_id=article_id, by=agent, now=timezone.now(), **data))


class ArticleVersionsView(APIView):
    @extend_schema(
        operation_id="bot_article_versions",
        summary="The article after each edit, newest first",
        responses={200: ArticleVersionList, **ERRORS, **NOT_FOUND},
        tags=["bot"],
    )
    def get(self, request: Request, article_id: int) -> Response:
        article = _visible(request_agent(request), article_id)
        versions = article.versions.select_related("edited_by").order_by("-version")
        return Response({"results": ArticleVersionOut(versions, many=True).data})


class ArticleSubmitView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="bot_article_submit",
        summary="Submit a draft public article for a supervisor's review",
        request=None,
        responses={200: ArticleOut, **ERRORS, **NOT_FOUND},
        tags=["bot"],
    )
    def post(self, request: Request, article_id: int) -> Response:
        agent = request_agent(request)
        validated(NoBody(data=request.data))
        _visible(agent, article_id)
        return _article(services.submit_for_review(article_id=article_id, by=agent))


class ArticleReviewView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="bot_article_review",
        summary="Approve (publish) an article in review, or send it back with a note (supervisors)",
        request=ReviewIn,
        responses={200: ArticleOut, **ERRORS, **NOT_FOUND},
        tags=["bot"],
    )
    def post(self, request: Request, article_id: int) -> Response:
        agent = _supervisor(request)
        _visible(agent, article_id)
        data = validated(ReviewIn(data=request.data))
        article = services.review(article_id=article_id, by=agent, approve=data["approve"], note=data["note"], now=timezone.now())
        return _article(article)


class ProposalView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="bot_proposal_create",
        summary="Propose an FAQ from solved work (e.g. a ticket): a public article straight into review",
        request=ProposalIn,
        responses={201: ArticleOut, **ERRORS},
        tags=["bot"],
    )
    def post(self, request: Request) -> Response:
        agent = request_agent(request)
        data = validated(ProposalIn(data=request.data))
        article = services.propose_article(by=agent, now=timezone.now(), **data)
        return Response(ArticleOut(article).data, status=status.HTTP_201_CREATED)


class UnansweredView(APIView):
    @extend_schema(
        operation_id="bot_unanswered_list",
        summary="Questions the bot could not answer or answered unhelpfully, grouped by wording, biggest group first (supervisors)",
        parameters=[UnansweredQuery],
        responses={200: QuestionGroupList, **ERRORS},
        tags=["bot"],
    )
    def get(self, request: Request) -> Response:
        _supervisor(request)
        query = validated(UnansweredQuery(data=request.query_params))
        groups = selectors.unanswered(since=query.get("since"), limit=query["limit"])
        return Response({"results": QuestionGroupOut(groups, many=True).data})


class AskView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="bot_ask",
        summary="What the bot would do with a question, as `contactcenter faq ask --json` prints it (nothing is logged)",
        request=AskIn,
        responses={200: AskOut, **ERRORS},
        tags=["bot"],
    )
    def post(self, request: Request) -> Response:
        request_agent(request)
        data = validated(AskIn(data=request.data))
        return Response(selectors.ask(data["q"], language=data.get("lang")).as_dict())

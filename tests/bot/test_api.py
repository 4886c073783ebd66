"""The knowledge-base REST API: who sees and changes what, search, versions, the review workflow,
proposals, the unanswered list, asking the bot, and what bad input gets back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from bot import selectors
from bot.models import Article, BotTurn
from contactcenter.core.staff.models import AgentProfile
from tests.factories import AgentFactory, ArticleFactory, BotTurnFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

ARTICLES = "/api/bot/articles/"


def client_for(agent: AgentProfile) -> APIClient:
    client = APIClient()
    client.force_login(agent.user)
    return client


def article_url(article: Article | int, action: str = "") -> str:
    pk = article if isinstance(article, int) else article.pk
    return f"{ARTICLES}{pk}/{action + '/' if action else ''}"


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def supervisor(channel: Any) -> AgentProfile:
    return AgentFactory(role=AgentProfile.Role.SUPERVISOR, teams=[channel.team])


@pytest.fixture
def other_agent(channel: Any) -> AgentProfile:
    return AgentFactory(teams=[channel.team])


@pytest.fixture
def api(agent: AgentProfile) -> APIClient:
    return client_for(agent)


@pytest.fixture
def supervisor_api(supervisor: AgentProfile) -> APIClient:
    return client_for(supervisor)


@pytest.fixture
def others_note(other_agent: AgentProfile) -> Article:
    return ArticleFactory(audience=Article.Audience.PERSONAL, owner=other_agent, question="My private reminder about refunds")


def new_article(client: APIClient, **fields: Any) -> dict[str, Any]:
    response = client.post(ARTICLES, {"question": "How do I reset my password?", "answer": "<p>Use the link.</p>", **fields}, format="json")
    assert response.status_code == 201, response.json()
    body: dict[str, Any] = response.json()
    return body


# ---------------------------------------------------------------------------------- who may


def test_a_visitor_without_a_session_cannot_search_the_knowledge_base(db: Any) -> None:
    response = APIClient().get(ARTICLES)
    assert (response.status_code, response.json()["code"]) == (403, "not_authenticated")


def test_a_visitor_without_a_session_cannot_ask_the_bot_through_the_api(db: Any) -> None:
    response = APIClient().post("/api/bot/ask/", {"q": "hello"}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "not_authenticated")


def test_a_signed_in_user_who_is_not_an_agent_cannot_use_the_knowledge_base(db: Any) -> None:
    client = APIClient()
    client.force_login(UserFactory())
    response = client.get(ARTICLES)
    assert response.status_code == 403
    assert response.json()["details"]["reason"] == "not_an_agent"


def test_an_agent_sees_public_internal_and_their_own_personal_articles(api: APIClient, agent: AgentProfile, others_note: Article) -> None:
    public = ArticleFactory()
    internal = ArticleFactory(audience=Article.Audience.INTERNAL)
    mine = ArticleFactory(audience=Article.Audience.PERSONAL, owner=agent)
    assert sorted(ids(api.get(ARTICLES))) == sorted([public.pk, internal.pk, mine.pk])


def test_another_agents_personal_note_reads_as_not_found_like_a_missing_id(api: APIClient, others_note: Article) -> None:
    hidden = api.get(article_url(others_note))
    missing = api.get(article_url(others_note.pk + 1000))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"code": "not_found", "message": "No such article."}


def test_another_agents_personal_note_cannot_be_changed_and_the_refusal_reveals_nothing(api: APIClient, others_note: Article) -> None:
    response = api.patch(article_url(others_note), {"answer": "mine now"}, format="json")
    assert response.status_code == 404
    others_note.refresh_from_db()
    assert others_note.version == 1


def test_the_versions_of_another_agents_personal_note_are_not_found(api: APIClient, others_note: Article) -> None:
    assert api.get(article_url(others_note, "versions")).status_code == 404


def test_even_a_supervisor_does_not_see_an_agents_personal_note(supervisor_api: APIClient, others_note: Article) -> None:
    assert supervisor_api.get(article_url(others_note)).status_code == 404
    assert others_note.pk not in ids(supervisor_api.get(ARTICLES))


def test_an_agent_may_not_edit_a_public_article_someone_else_wrote(api: APIClient, other_agent: AgentProfile) -> None:
    article = ArticleFactory(owner=other_agent)
    response = api.patch(article_url(article), {"answer": "changed"}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


def test_any_agent_may_edit_an_internal_article(api: APIClient, other_agent: AgentProfile) -> None:
    article = ArticleFactory(audience=Article.Audience.INTERNAL, owner=other_agent)
    response = api.patch(article_url(article), {"answer": "<p>Updated by a colleague.</p>"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["answer"] == "<p>Updated by a colleague.</p>"


def test_an_agent_may_not_review_articles(api: APIClient, agent: AgentProfile) -> None:
    article = ArticleFactory(owner=agent, status=Article.Status.IN_REVIEW)
    response = api.post(article_url(article, "review"), {"approve": True}, format="json")
    assert response.status_code == 403
    assert response.json()["details"]["reason"] == "not_a_supervisor"
    article.refresh_from_db()
    assert article.status == Article.Status.IN_REVIEW


def test_an_agent_may_not_read_the_unanswered_list(api: APIClient) -> None:
    response = api.get("/api/bot/unanswered/")
    assert response.status_code == 403
    assert response.json()["details"]["reason"] == "not_a_supervisor"


# -------------------------------------------------------------------------------- the shape


def test_an_article_shows_every_field_with_its_owner_by_name(api: APIClient, agent: AgentProfile) -> None:
    team = TeamFactory()
    article = ArticleFactory(owner=agent, team=team, tags=["billing"], phrasings=["Where is my bill?"], category="Billing", shown_count=3)
    body = api.get(article_url(article)).json()
    assert set(body) == {
        "id", "external_id", "language", "question", "phrasings", "answer", "tags", "category", "audience", "status", "owner",
        "team", "version", "review_note", "source", "shown_count", "helpful_count", "not_helpful_count", "created_at",
        "updated_at", "published_at",
    }  # fmt: skip
    assert body["owner"] == {"id": agent.pk, "name": agent.display_name}
    assert (body["team"], body["tags"], body["phrasings"], body["shown_count"]) == (team.pk, ["billing"], ["Where is my bill?"], 3)


def test_an_article_without_an_owner_shows_owner_null(api: APIClient) -> None:
    assert api.get(article_url(ArticleFactory())).json()["owner"] is None


# ----------------------------------------------------------------------------------- search


def test_exact_search_finds_the_phrase_in_an_answer(api: APIClient) -> None:
    wanted = ArticleFactory(question="Opening hours", answer="<p>We open at nine on weekdays.</p>")
    ArticleFactory(question="Weekday deliveries", answer="<p>Parcels arrive within two days.</p>")
    assert ids(api.get(ARTICLES, {"q": "nine on weekdays", "mode": "exact"})) == [wanted.pk]


def test_exact_search_finds_a_chinese_phrasing(api: APIClient) -> None:
    wanted = ArticleFactory(language="zh", question="网速很慢怎么办?", phrasings=["上网卡顿"])
    ArticleFactory(language="zh", question="如何开具发票?")
    assert ids(api.get(ARTICLES, {"q": "网卡顿", "mode": "exact"})) == [wanted.pk]


def test_exact_search_does_not_match_the_words_in_another_order(api: APIClient) -> None:
    ArticleFactory(question="How do I reset my password?")
    assert ids(api.get(ARTICLES, {"q": "password reset", "mode": "exact"})) == []


def test_fuzzy_search_by_default_finds_words_in_another_order_and_with_a_typo_first(api: APIClient) -> None:
    wanted = ArticleFactory(question="How do I reset my password?")
    ArticleFactory(question="How do I change my delivery address?")
    assert ids(api.get(ARTICLES, {"q": "pasword reset"}))[0] == wanted.pk


def test_fuzzy_search_finds_a_chinese_question_by_its_keywords(api: APIClient) -> None:
    wanted = ArticleFactory(language="zh", question="宽带突然断网了怎么处理?")
    ArticleFactory(language="zh", question="如何开具发票?")
    assert ids(api.get(ARTICLES, {"q": "断网 宽带", "mode": "fuzzy"}))[0] == wanted.pk


def test_search_filters_by_tag(api: APIClient) -> None:
    tagged = ArticleFactory(tags=["billing", "invoice"])
    ArticleFactory(tags=["delivery"])
    assert ids(api.get(ARTICLES, {"tag": "billing"})) == [tagged.pk]


def test_search_filters_by_a_chinese_tag(api: APIClient) -> None:
    # SQLite keeps JSON text with \uXXXX escapes: the tag is looked for in that form too.
    tagged = ArticleFactory(language="zh", tags=["宽带"])
    ArticleFactory(language="zh", tags=["发票"])
    assert ids(api.get(ARTICLES, {"tag": "宽带"})) == [tagged.pk]


def test_search_filters_by_status(api: APIClient, agent: AgentProfile) -> None:
    draft = ArticleFactory(owner=agent, status=Article.Status.DRAFT)
    ArticleFactory()
    assert ids(api.get(ARTICLES, {"status": "draft"})) == [draft.pk]


def test_search_filters_by_the_time_of_the_last_change(api: APIClient) -> None:
    old, recent, latest = ArticleFactory(), ArticleFactory(), ArticleFactory()
    for article, day in ((old, 1), (recent, 10), (latest, 20)):
        Article.objects.filter(pk=article.pk).update(updated_at=datetime(2026, 3, day, tzinfo=UTC))
    response = api.get(ARTICLES, {"updated_after": "2026-03-05T00:00:00Z", "updated_before": "2026-03-15T00:00:00+00:00"})
    assert ids(response) == [recent.pk]


def test_search_returns_at_most_limit_articles_most_recently_changed_first(api: APIClient) -> None:
    articles = [ArticleFactory() for _ in range(4)]
    for day, article in enumerate(articles, start=1):
        Article.objects.filter(pk=article.pk).update(updated_at=datetime(2026, 3, day, tzinfo=UTC))
    assert ids(api.get(ARTICLES, {"limit": 2})) == [articles[3].pk, articles[2].pk]


def test_search_costs_as_many_queries_for_many_results_as_for_one(api: APIClient, agent: AgentProfile) -> None:
    ArticleFactory(question="Refund for a cancelled order", owner=agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(ARTICLES, {"q": "refund order"}).status_code == 200
        return len(captured)

    one = queries()
    for _ in range(10):
        ArticleFactory(question="Refund for a cancelled order", owner=AgentFactory(), category="Orders")
    assert queries() == one


# -------------------------------------------------------------------------- create, update


def test_an_agent_writes_a_public_article_that_starts_as_a_draft_at_version_1(api: APIClient, agent: AgentProfile) -> None:
    body = new_article(api, tags=["account"], phrasings=["forgot my password"])
    assert (body["status"], body["audience"], body["version"], body["published_at"]) == ("draft", "public", 1, None)
    assert body["owner"]["id"] == agent.pk
    assert body["external_id"] == f"kb-{body['id']}"


def test_an_answer_is_stored_without_scripts_or_handlers(api: APIClient) -> None:
    body = new_article(api, answer='<p onclick="steal()">Hi<script>alert(1)</script> <a href="javascript:x()">x</a></p>')
    assert "script" not in body["answer"] and "onclick" not in body["answer"] and "javascript" not in body["answer"]
    assert body["answer"].startswith("<p>Hi")


def test_an_internal_note_is_live_at_once(api: APIClient) -> None:
    body = new_article(api, audience="internal")
    assert body["status"] == "published" and body["published_at"] is not None


def test_an_article_can_be_written_for_one_team(api: APIClient) -> None:
    team = TeamFactory()
    assert new_article(api, team=team.pk)["team"] == team.pk


def test_an_edit_bumps_the_version_and_the_old_text_stays_in_the_versions(api: APIClient, agent: AgentProfile) -> None:
    created = new_article(api)
    changed = api.patch(article_url(created["id"]), {"answer": "<p>Use the new link.</p>"}, format="json").json()
    assert changed["version"] == 2
    versions = api.get(article_url(created["id"], "versions")).json()["results"]
    assert [(v["version"], v["answer"]) for v in versions] == [(2, "<p>Use the new link.</p>"), (1, "<p>Use the link.</p>")]
    assert versions[0]["edited_by"] == {"id": agent.pk, "name": agent.display_name}


def test_an_agents_edit_of_a_published_public_article_sends_it_back_to_draft(api: APIClient, agent: AgentProfile) -> None:
    article = ArticleFactory(owner=agent)
    assert api.patch(article_url(article), {"question": "How do I reset it?"}, format="json").json()["status"] == "draft"


def test_a_supervisors_edit_of_a_published_article_stays_published(supervisor_api: APIClient) -> None:
    article = ArticleFactory()
    assert supervisor_api.patch(article_url(article), {"tags": ["account"]}, format="json").json()["status"] == "published"


def test_an_article_can_be_moved_to_no_team(api: APIClient, agent: AgentProfile) -> None:
    article = ArticleFactory(owner=agent, team=TeamFactory())
    assert api.patch(article_url(article), {"team": None}, format="json").json()["team"] is None


# -------------------------------------------------------------------------- review workflow


def test_the_author_submits_a_draft_for_review(api: APIClient) -> None:
    created = new_article(api)
    response = api.post(article_url(created["id"], "submit"))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "in_review"


def test_a_supervisor_approves_an_article_in_review_and_the_bot_may_answer_with_it(api: APIClient, supervisor_api: APIClient) -> None:
    created = new_article(api)
    api.post(article_url(created["id"], "submit"))
    body = supervisor_api.post(article_url(created["id"], "review"), {"approve": True}, format="json").json()
    assert (body["status"], body["version"]) == ("published", 2)
    assert body["published_at"] is not None
    assert Article.objects.get(pk=created["id"]).answerable_by_bot


def test_a_supervisor_sends_an_article_back_to_its_author_with_a_note(api: APIClient, supervisor_api: APIClient) -> None:
    created = new_article(api)
    api.post(article_url(created["id"], "submit"))
    supervisor_api.post(article_url(created["id"], "review"), {"approve": False, "note": "Add the link to the reset page."}, format="json")
    body = api.get(article_url(created["id"])).json()
    assert (body["status"], body["review_note"]) == ("draft", "Add the link to the reset page.")


def test_an_article_that_is_not_in_review_cannot_be_approved(supervisor_api: APIClient, agent: AgentProfile) -> None:
    article = ArticleFactory(owner=agent, status=Article.Status.DRAFT)
    response = supervisor_api.post(article_url(article, "review"), {"approve": True}, format="json")
    assert response.status_code == 400
    assert response.json()["details"]["field"] == "status"


def test_an_internal_article_is_not_submitted_for_review(api: APIClient) -> None:
    created = new_article(api, audience="internal")
    response = api.post(article_url(created["id"], "submit"))
    assert response.status_code == 400
    assert response.json()["details"]["field"] == "audience"


def test_a_published_article_is_not_submitted_again_which_would_take_it_away_from_the_bot(api: APIClient, agent: AgentProfile) -> None:
    article = ArticleFactory(owner=agent)
    response = api.post(article_url(article, "submit"))
    assert response.status_code == 400
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED


def test_an_agent_may_not_submit_someone_elses_public_article(api: APIClient, other_agent: AgentProfile) -> None:
    article = ArticleFactory(owner=other_agent, status=Article.Status.DRAFT)
    assert api.post(article_url(article, "submit")).status_code == 403


# -------------------------------------------------------------------------------- proposals


def test_an_agent_proposes_an_faq_from_a_solved_ticket_straight_into_review(api: APIClient, agent: AgentProfile) -> None:
    body = {"question": "发票什么时候开?", "answer": "付款后 3 个工作日内开具。", "language": "zh", "source": "ticket:42", "tags": ["发票"]}
    response = api.post("/api/bot/proposals/", body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["status"], created["source"], created["audience"], created["owner"]["id"]) == (
        "in_review",
        "ticket:42",
        "public",
        agent.pk,
    )
    assert (created["language"], created["tags"]) == ("zh", ["发票"])


def test_a_proposal_needs_its_source(api: APIClient) -> None:
    response = api.post("/api/bot/proposals/", {"question": "Q?", "answer": "A.", "language": "en"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["details"]["fields"]) == ["source"]


# ------------------------------------------------------------------------------- unanswered


def test_a_supervisor_sees_failed_questions_grouped_by_wording_biggest_group_first(supervisor_api: APIClient) -> None:
    BotTurnFactory(question="How do I cancel my order?")
    BotTurnFactory(question="cancel my order please", action=BotTurn.Action.SUGGEST, reason="")
    BotTurnFactory(question="Where is my invoice?")
    BotTurnFactory(question="What are your opening hours?", action=BotTurn.Action.ANSWER, reason="")  # answered: not listed
    groups = supervisor_api.get("/api/bot/unanswered/").json()["results"]
    assert [(g["count"], sorted(g["examples"])) for g in groups] == [
        (2, ["How do I cancel my order?", "cancel my order please"]),
        (1, ["Where is my invoice?"]),
    ]


def test_an_answer_rated_unhelpful_is_listed_with_its_article(supervisor_api: APIClient) -> None:
    article = ArticleFactory()
    BotTurnFactory(question="Can I pay by card?", action=BotTurn.Action.ANSWER, reason="", article=article, helpful=False)
    [group] = supervisor_api.get("/api/bot/unanswered/").json()["results"]
    assert (group["unhelpful"], group["article_id"]) == (1, article.pk)


def test_the_unanswered_list_since_a_time_leaves_out_older_questions(supervisor_api: APIClient) -> None:
    with time_machine.travel(datetime(2026, 3, 1, tzinfo=UTC), tick=False):
        BotTurnFactory(question="Where is my invoice?")
    with time_machine.travel(datetime(2026, 3, 10, tzinfo=UTC), tick=False):
        BotTurnFactory(question="How do I cancel my order?")
    groups = supervisor_api.get("/api/bot/unanswered/", {"since": "2026-03-05T00:00:00Z"}).json()["results"]
    assert [g["question"] for g in groups] == ["How do I cancel my order?"]


# -------------------------------------------------------------------------------------- ask


def test_ask_answers_as_faq_ask_json_prints(api: APIClient, sample_kb: Any) -> None:
    response = api.post("/api/bot/ask/", {"q": "网速很慢怎么办", "lang": "zh"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == selectors.ask("网速很慢怎么办", language="zh").as_dict()
    assert (response.json()["action"], response.json()["answer_id"]) == ("answer", "bb-slow")


def test_ask_hands_off_a_request_for_a_person_with_the_reason(api: APIClient, sample_kb: Any) -> None:
    body = api.post("/api/bot/ask/", {"q": "转人工"}, format="json").json()
    assert (body["action"], body["reason"], body["answer_id"]) == ("handoff", "asked_for_person", None)


def test_asking_through_the_api_logs_no_bot_turn(api: APIClient, sample_kb: Any) -> None:
    api.post("/api/bot/ask/", {"q": "How do I get an invoice?"}, format="json")
    assert not BotTurn.objects.exists()


def test_ask_does_not_answer_from_an_unpublished_article(api: APIClient, agent: AgentProfile) -> None:
    new_article(api, question="How do I reset my password?", answer="<p>Use the reset link on the sign-in page.</p>")
    body = api.post("/api/bot/ask/", {"q": "How do I reset my password?"}, format="json").json()
    assert body["answer_id"] is None


# -------------------------------------------------------------------------------- bad input


def test_refusals_are_in_the_agents_language(api: APIClient) -> None:
    response = api.post(ARTICLES, {"question": "Q?", "answer": "A.", "anwser": "typo"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.json()["message"] == "输入无效。"
    assert response.json()["details"]["fields"] == {"anwser": ["未知字段。"]}


def test_a_malformed_date_is_refused_naming_the_field(api: APIClient) -> None:
    response = api.get(ARTICLES, {"updated_after": "last tuesday"})
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    assert list(response.json()["details"]["fields"]) == ["updated_after"]


def test_an_unknown_search_mode_is_refused(api: APIClient) -> None:
    assert list(api.get(ARTICLES, {"mode": "regex"}).json()["details"]["fields"]) == ["mode"]


@pytest.mark.parametrize("limit", ["0", "201", "ten"])
def test_a_limit_outside_1_to_200_is_refused(api: APIClient, limit: str) -> None:
    response = api.get(ARTICLES, {"limit": limit})
    assert response.status_code == 400
    assert list(response.json()["details"]["fields"]) == ["limit"]


def test_an_unknown_search_parameter_is_refused_rather_than_ignored(api: APIClient) -> None:
    response = api.get(ARTICLES, {"query": "refund"})
    assert response.status_code == 400
    assert list(response.json()["details"]["fields"]) == ["query"]


def test_a_malformed_since_is_refused_naming_the_field(supervisor_api: APIClient) -> None:
    response = supervisor_api.get("/api/bot/unanswered/", {"since": "2026-13-45"})
    assert list(response.json()["details"]["fields"]) == ["since"]


def test_a_number_where_text_belongs_is_refused(api: APIClient) -> None:
    response = api.post(ARTICLES, {"question": 42, "answer": "<p>A.</p>"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["details"]["fields"]) == ["question"]


def test_tags_that_are_not_a_list_of_text_are_refused(api: APIClient) -> None:
    response = api.post(ARTICLES, {"question": "Q?", "answer": "A.", "tags": "billing"}, format="json")
    assert list(response.json()["details"]["fields"]) == ["tags"]


def test_an_oversized_question_is_refused(api: APIClient) -> None:
    response = api.post(ARTICLES, {"question": "x" * 501, "answer": "A."}, format="json")
    assert response.status_code == 400
    assert list(response.json()["details"]["fields"]) == ["question"]


def test_an_oversized_answer_is_refused(api: APIClient) -> None:
    response = api.post(ARTICLES, {"question": "Q?", "answer": "x" * 20_001}, format="json")
    assert list(response.json()["details"]["fields"]) == ["answer"]


def test_an_author_cannot_publish_by_sending_a_status(api: APIClient, agent: AgentProfile) -> None:
    article = ArticleFactory(owner=agent, status=Article.Status.DRAFT)
    response = api.patch(article_url(article), {"status": "published"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["details"]["fields"]) == ["status"]
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT


def test_a_misspelt_field_is_refused_rather_than_ignored(api: APIClient) -> None:
    response = api.post(ARTICLES, {"question": "Q?", "answer": "A.", "anwser": "typo"}, format="json")
    assert list(response.json()["details"]["fields"]) == ["anwser"]


def test_an_answer_that_is_empty_once_sanitised_is_refused(api: APIClient) -> None:
    response = api.post(ARTICLES, {"question": "Q?", "answer": "<script>alert(1)</script>"}, format="json")
    assert response.status_code == 400
    assert response.json()["details"]["field"] == "answer"


def test_an_unknown_team_is_refused(api: APIClient) -> None:
    response = api.post(ARTICLES, {"question": "Q?", "answer": "A.", "team": 999_999}, format="json")
    assert list(response.json()["details"]["fields"]) == ["team"]


def test_an_unknown_language_is_refused(api: APIClient) -> None:
    response = api.post(ARTICLES, {"question": "Q?", "answer": "A.", "language": "fr"}, format="json")
    assert list(response.json()["details"]["fields"]) == ["language"]


def test_an_empty_change_is_refused_rather_than_making_a_version(api: APIClient, agent: AgentProfile) -> None:
    article = ArticleFactory(owner=agent)
    response = api.patch(article_url(article), {}, format="json")
    assert response.status_code == 400
    article.refresh_from_db()
    assert article.version == 1


def test_a_body_that_is_not_a_json_object_is_refused(api: APIClient) -> None:
    response = api.post(ARTICLES, ["How do I reset my password?"], format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_a_body_that_is_not_json_is_refused(api: APIClient) -> None:
    response = api.post(ARTICLES, "question=Q&answer=A", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_approve_must_be_true_or_false(supervisor_api: APIClient, agent: AgentProfile) -> None:
    article = ArticleFactory(owner=agent, status=Article.Status.IN_REVIEW)
    response = supervisor_api.post(article_url(article, "review"), {"approve": "yes"}, format="json")
    assert list(response.json()["details"]["fields"]) == ["approve"]
    article.refresh_from_db()
    assert article.status == Article.Status.IN_REVIEW


def test_ask_needs_a_question_of_text(api: APIClient) -> None:
    response = api.post("/api/bot/ask/", {"q": ["a", "b"]}, format="json")
    assert list(response.json()["details"]["fields"]) == ["q"]


def test_ask_refuses_a_language_other_than_zh_or_en(api: APIClient) -> None:
    response = api.post("/api/bot/ask/", {"q": "hello", "lang": "de"}, format="json")
    assert list(response.json()["details"]["fields"]) == ["lang"]


def test_an_oversized_question_to_ask_is_refused(api: APIClient) -> None:
    response = api.post("/api/bot/ask/", {"q": "x" * 2001}, format="json")
    assert list(response.json()["details"]["fields"]) == ["q"]


def test_submit_takes_no_body(api: APIClient, agent: AgentProfile) -> None:
    article = ArticleFactory(owner=agent, status=Article.Status.DRAFT)
    response = api.post(article_url(article, "submit"), {"status": "published"}, format="json")
    assert list(response.json()["details"]["fields"]) == ["status"]

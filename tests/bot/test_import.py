"""faq import: upsert by id, per-row rejections with reasons, malformed files change nothing."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from bot.models import Article, ArticleVersion
from bot.services import export_articles, import_articles
from contactcenter.core.errors import InvalidInput

pytestmark = pytest.mark.django_db


def run(data: object, filename: str = "kb.json") -> dict:
    raw = data if isinstance(data, bytes) else json.dumps(data, ensure_ascii=False).encode()
    return import_articles(data=raw, filename=filename, now=timezone.now()).as_dict()


def test_the_sample_imports_as_published_public_articles(sample_kb) -> None:
    assert sample_kb.as_dict()["created"] == 23
    assert Article.objects.filter(status="published", audience="public").count() == 23
    assert Article.objects.get(external_id="bb-slow").tags == ["宽带", "故障"]


def test_a_bare_list_is_accepted_and_extra_keys_are_ignored() -> None:
    report = run([{"id": "a1", "lang": "en", "question": "Q?", "answer": "A.", "tags": [], "colour": "red"}])
    assert report["created"] == 1 and report["rejected"] == []


def test_importing_again_updates_by_id_and_keeps_a_version() -> None:
    run([{"id": "a1", "lang": "en", "question": "Q?", "answer": "A.", "tags": []}])
    report = run([{"id": "a1", "lang": "en", "question": "Q?", "answer": "Better A.", "tags": ["x"]}])
    assert (report["created"], report["updated"]) == (0, 1)
    article = Article.objects.get(external_id="a1")
    assert (article.answer, article.version) == ("Better A.", 2)
    assert list(ArticleVersion.objects.filter(article=article).values_list("version", flat=True).order_by("version")) == [1, 2]


def test_an_identical_row_is_reported_unchanged() -> None:
    row = {"id": "a1", "lang": "zh", "question": "问?", "answer": "答。", "tags": []}
    run([row])
    assert run([row])["unchanged"] == 1
    assert Article.objects.get(external_id="a1").version == 1


def test_bad_rows_are_rejected_with_reasons_and_good_rows_still_import() -> None:
    report = run(
        {
            "articles": [
                {"id": "ok", "lang": "en", "question": "Q?", "answer": "A."},
                {"id": "no-answer", "lang": "en", "question": "Q?"},
                {"id": "fr", "lang": "fr", "question": "Q?", "answer": "A."},
                {"id": "ok", "lang": "en", "question": "Again?", "answer": "A."},
                {"lang": "en", "question": "Q?", "answer": "A."},
                {"id": "tags", "lang": "en", "question": "Q?", "answer": "A.", "tags": "not a list"},
                "not an object",
            ]
        }
    )
    reasons = {(r["row"], r["id"]): r["reason"] for r in report["rejected"]}
    assert report["created"] == 1
    assert reasons[(2, "no-answer")] == "missing field 'answer'"
    assert reasons[(3, "fr")] == "bad language 'fr' (use zh or en)"
    assert reasons[(4, "ok")] == "duplicate id in the file (first on row 1)"
    assert reasons[(5, "")] == "missing field 'id'"
    assert "tags" in reasons[(6, "tags")]
    assert reasons[(7, "")] == "not an object"


@pytest.mark.parametrize(
    ("raw", "filename", "message"),
    [
        (b'{"articles": [{"id": "a1", "lang": "en"', "kb.json", "not valid JSON"),
        (b'{"items": []}', "kb.json", '"articles" list'),
        (b'"just a string"', "kb.json", "Expected a list"),
        (b"\xff\xfe\x00garbage", "kb.json", "not UTF-8"),
        (b"id,lang,question\nx,en,Q?\n", "kb.csv", "lacks the column(s): answer"),
        (b'id,lang,question,answer\nx,en,"Q?,A.\n', "kb.csv", "not valid CSV"),
        (b"id,lang,question,answer\nx,en,Q?,A.,extra\n", "kb.csv", "more cells"),
    ],
)
def test_a_malformed_file_changes_nothing(raw: bytes, filename: str, message: str) -> None:
    run([{"id": "keep", "lang": "en", "question": "Q?", "answer": "Old."}])
    with pytest.raises(InvalidInput) as error:
        import_articles(data=raw, filename=filename, now=timezone.now())
    assert message in error.value.message
    assert list(Article.objects.values_list("external_id", "answer")) == [("keep", "Old.")]


def test_csv_with_the_same_columns_imports() -> None:
    raw = 'id,lang,question,answer,tags\nc1,zh,发票怎么开?,在账户页申请。,"账单,发票"\nc2,en,How to pay?,By card.,billing\n'.encode()
    report = run(raw, "kb.csv")
    assert report["created"] == 2
    assert Article.objects.get(external_id="c1").tags == ["账单", "发票"]


def test_hostile_html_in_an_answer_is_sanitised() -> None:
    run(
        [
            {
                "id": "x",
                "lang": "en",
                "question": "Q?",
                "answer": '<p onclick="steal()">Hi<script>alert(1)</script> <a href="javascript:x">l</a></p>',
            }
        ]
    )
    answer = Article.objects.get(external_id="x").answer
    assert "script" not in answer and "onclick" not in answer and "javascript" not in answer
    assert answer.startswith("<p>Hi")


def test_export_round_trips_through_import(sample_kb) -> None:
    exported = export_articles(kind="json")
    Article.objects.all().delete()
    assert run(exported.encode())["created"] == 23
    csv_text = export_articles(kind="csv")
    assert csv_text.splitlines()[0] == "id,lang,question,answer,tags,phrasings,category"
    Article.objects.all().delete()
    assert run(csv_text.encode(), "kb.csv")["created"] == 23

"""``contactcenter bench bot``: the FAQ bot's retrieval at knowledge-base scale.

Builds an index of N synthetic articles (bilingual, made from the vocabulary of the sample FAQ so
that keyword postings are as crowded as in a real KB), then times questions end to end through
``KnowledgeIndex.search`` + ``policy.decide``. The baseline of the same run is the embedding of
the question alone: the floor the model sets, whatever the index does."""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

SAMPLE = Path(__file__).resolve().parents[2] / "bot" / "fixtures" / "faq_sample.json"


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pin_one_core() -> list[int]:
    if hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cores[0]})
        return [cores[0]]
    return []


def synthetic_articles(count: int, seed: int) -> list[dict[str, Any]]:
    """Articles whose questions and answers mix the sample's words: realistic token statistics."""
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    rng = random.Random(seed)
    zh_chars = [ch for a in sample["articles"] if a["lang"] == "zh" for ch in a["question"] + a["answer"] if "\u4e00" <= ch <= "\u9fff"]
    en_words = [
        w.strip("?,.!").lower() for a in sample["articles"] if a["lang"] == "en" for w in (a["question"] + " " + a["answer"]).split()
    ]
    articles = []
    for number in range(count):
        if number % 2 == 0:
            question = "".join(rng.choice(zh_chars) for _ in range(rng.randint(6, 14))) + "?"
            answer = "".join(rng.choice(zh_chars) for _ in range(rng.randint(30, 80))) + "。"
            lang = "zh"
        else:
            question = " ".join(rng.choice(en_words) for _ in range(rng.randint(5, 10))) + "?"
            answer = " ".join(rng.choice(en_words) for _ in range(rng.randint(20, 45))) + "."
            lang = "en"
        articles.append({"id": f"syn-{number}", "lang": lang, "question": question, "answer": answer, "tags": []})
    return [*sample["articles"], *articles[: max(0, count - len(sample["articles"]))]]


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="contactcenter bench bot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=300, help="questions timed (the sample's queries, repeated and varied)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.articles < 1 or args.questions < 1:
        print("contactcenter bench bot: --articles and --questions must be positive", file=sys.stderr)
        return 2

    from bot.policy import decide
    from bot.retrieval.encoder import UniversalSentenceEncoder
    from bot.retrieval.index import IndexedArticle, KnowledgeIndex
    from bot.sanitize import plain_text

    cores = _pin_one_core()
    rss_start = _rss_mb()
    encoder = UniversalSentenceEncoder(threads=1)
    started = time.perf_counter()
    encoder.encode(["warm up"])
    model_load_s = time.perf_counter() - started
    rss_model = _rss_mb()

    raw = synthetic_articles(args.articles, args.seed)
    articles = [
        IndexedArticle(i, a["id"], a["lang"], a["question"], (), plain_text(a["answer"]), tuple(a["tags"]), None, 1)
        for i, a in enumerate(raw)
    ]
    started, cpu_started = time.perf_counter(), time.process_time()
    texts = [text for a in articles for text in a.semantic_texts()]
    encoded = encoder.encode(texts)
    encode_s, encode_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    started = time.perf_counter()
    index = KnowledgeIndex(articles, [encoded[i : i + 1] for i in range(len(articles))], encoder)
    keyword_build_s = time.perf_counter() - started
    gc.collect()
    rss_index = _rss_mb()

    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    rng = random.Random(args.seed)
    base = [q["q"] for q in sample["queries"]]
    questions = [
        base[i % len(base)] + ("" if i < len(base) else rng.choice(["", "?", " 请问", " please", "!"])) for i in range(args.questions)
    ]

    def timed(call: Any) -> tuple[list[float], list[float]]:
        """Wall-clock and CPU milliseconds per question: on a shared machine the wall clock also
        counts time other processes held the core; CPU time is what the question cost."""
        wall, cpu = [], []
        for question in questions:
            started, cpu_started = time.perf_counter(), time.thread_time()
            call(question)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - cpu_started) * 1000)
        return wall, cpu

    encode_ms, encode_cpu_ms = timed(lambda q: encoder.encode([q]))
    ask_ms, ask_cpu_ms = timed(lambda q: decide(q, index.search(q, limit=5)))
    expected = {q["q"]: q["expect"] for q in sample["queries"]}
    right = 0
    for question in base:
        decision = decide(question, index.search(question, limit=5)).as_dict()
        right += decision["answer_id"] == expected[question] if expected[question] else decision["action"] == "handoff"

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 2)

    figures = {
        "articles": len(articles),
        "questions": len(questions),
        "cores": cores,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "model_load_s": round(model_load_s, 2),
        "index_build_s": round(encode_s + keyword_build_s, 2),
        "index_build_detail": {
            "embed_s": round(encode_s, 2),
            "embed_cpu_s": round(encode_cpu_s, 2),
            "keyword_s": round(keyword_build_s, 2),
        },
        "memory_mb": {
            "process_start": round(rss_start, 1),
            "model": round(rss_model - rss_start, 1),
            "index": round(rss_index - rss_model, 1),
        },
        "ask_ms": {"p50": pct(ask_ms, 50), "p99": pct(ask_ms, 99), "mean": round(statistics.fmean(ask_ms), 2)},
        "ask_cpu_ms": {"p50": pct(ask_cpu_ms, 50), "p99": pct(ask_cpu_ms, 99)},
        "baseline_embed_only_ms": {"p50": pct(encode_ms, 50), "p99": pct(encode_ms, 99)},
        "baseline_embed_only_cpu_ms": {"p50": pct(encode_cpu_ms, 50), "p99": pct(encode_cpu_ms, 99)},
        "ask_over_embed_p50": round(pct(ask_ms, 50) / max(0.01, pct(encode_ms, 50)), 2),
        "ask_over_embed_cpu_p50": round(pct(ask_cpu_ms, 50) / max(0.01, pct(encode_cpu_ms, 50)), 2),
        # Synthetic articles are word soup from the sample's own vocabulary: the hardest distractors
        # a KB could hold, so this is a floor, not the accuracy of a real 10,000-article KB.
        "sample_queries_right_among_synthetic_distractors": f"{right}/{len(base)}",
        "target": {"ask_p99_ms_below": 20, "met_wall": pct(ask_ms, 99) < 20, "met_cpu": pct(ask_cpu_ms, 99) < 20},
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:36} {value}")
    return 0

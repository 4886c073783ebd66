"""``contactcenter faq import|export|ask``: the knowledge base from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    faq = sub.add_parser("faq", help="FAQ knowledge base: import, export, ask the bot")
    faq.add_argument("--data-dir", dest="data_dir_sub")
    actions = faq.add_subparsers(dest="faq_command", required=True)

    imp = actions.add_parser("import", help="upsert articles by id from a JSON or CSV file")
    imp.add_argument("file", help="JSON ({'articles': [...]} or a list) or CSV with id,lang,question,answer,tags; - for stdin")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")

    exp = actions.add_parser("export", help="write the published knowledge base as JSON or CSV")
    exp.add_argument("--format", choices=["json", "csv"], default="json")
    exp.add_argument("--output", "-o", help="file to write (default: standard output)")
    exp.add_argument("--all", action="store_true", help="include drafts, articles in review, internal and personal ones")

    ask = actions.add_parser("ask", help="what the bot would do with a question")
    ask.add_argument("question", nargs="?", help="the question")
    ask.add_argument("--lang", choices=["zh", "en"], help="the asker's language (default: guessed from the text)")
    ask.add_argument("--batch", help='a file of JSON lines {"q": "..."} (optionally "lang"); one result line each, in order; - for stdin')
    ask.add_argument("--json", action="store_true")


def run(args: argparse.Namespace) -> int:
    command = args.faq_command
    if command == "import":
        return _import(args)
    if command == "export":
        return _export(args)
    return _ask(args)


def _read(path: str) -> bytes:
    return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()


def _import(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from bot.services import import_articles
    from contactcenter.core.errors import InvalidInput

    try:
        data = _read(args.file)
    except OSError as error:
        print(f"contactcenter faq import: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        report = import_articles(data=data, filename=args.file, now=timezone.now())
    except InvalidInput as error:
        print(f"contactcenter faq import: {error.message} Nothing was imported.", file=sys.stderr)
        return 2
    summary = report.as_dict()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print(
            f"created {summary['created']}, updated {summary['updated']}, unchanged {summary['unchanged']}, rejected {len(report.rejected)}"
        )
        for rejected in report.rejected:
            label = f" ({rejected['id']})" if rejected["id"] else ""
            print(f"  row {rejected['row']}{label}: {rejected['reason']}")
    return 1 if report.rejected else 0


def _export(args: argparse.Namespace) -> int:
    from bot.services import export_articles

    text = export_articles(kind=args.format, include_unpublished=args.all)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _ask(args: argparse.Namespace) -> int:
    from bot.selectors import ask

    if (args.question is None) == (args.batch is None):
        print("contactcenter faq ask: give a QUESTION or --batch FILE", file=sys.stderr)
        return 2
    if args.question is not None:
        decision = ask(args.question, language=args.lang).as_dict()
        if args.json:
            print(json.dumps(decision, ensure_ascii=False))
        else:
            answer = decision["answer_id"] or "-"
            print(f"{decision['action']} {answer} score={decision['score']} {decision['reason']}".rstrip())
            for candidate in decision["candidates"]:
                print(f"  {candidate['id']} {candidate['score']}")
        return 0
    try:
        lines = _read(args.batch).decode("utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        print(f"contactcenter faq ask: cannot read {args.batch}: {error}", file=sys.stderr)
        return 2
    failed = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        result: dict[str, Any]
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("q"), str):
                raise ValueError('expected an object with a text "q"')
            lang = item.get("lang") if isinstance(item.get("lang"), str) else args.lang
            result = ask(item["q"], language=lang).as_dict()
        except ValueError as error:  # json.JSONDecodeError is a ValueError
            failed += 1
            result = {"error": f"line {number}: {error}"}
        print(json.dumps(result, ensure_ascii=False), flush=False)
    sys.stdout.flush()
    return 1 if failed else 0

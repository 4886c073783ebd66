"""Summarize py-spy collapsed stacks (``bench chat --py-spy DIR``): where the server's time goes.

``python -m contactcenter.bench.profile DIR/app-0.txt [--top 30] [--match chat/]``
prints the functions with the most samples on the stack (inclusive) and at the top (self).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def _label(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        path = path.rsplit("/work/", 1)[-1]
    return f"{match['func']} ({path})"


def summarize(path: Path, *, top: int, match: str | None) -> str:
    inclusive: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        threads[frames[0]] += count
        labels = [_label(f) for f in frames[1:]] or [frames[0]]
        for label in set(labels):
            inclusive[label] += count
        self_time[labels[-1]] += count
    if not total:
        return f"{path}: no samples"
    out = [f"{path}: {total} samples"]
    out.append("threads: " + ", ".join(f"{name} {count / total:.0%}" for name, count in threads.most_common(5)))
    for title, counter in (("inclusive", inclusive), ("self", self_time)):
        out.append(f"\ntop {title}:")
        rows = [(k, v) for k, v in counter.most_common() if match is None or match in k][:top]
        out.extend(f"  {v / total:6.1%}  {k}" for k, v in rows)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contactcenter.bench.profile")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", help="only functions whose label contains this text")
    args = parser.parse_args(argv)
    for path in args.files:
        print(summarize(path, top=args.top, match=args.match))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Source-based routing (来源分配): ordered rules on channel, page URL, first message, language and customer tags."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from routing.engine.model import WorkItem
from routing.engine.policy import PolicyError


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceRule:
    """Send matching items to ``queue_id`` (and set ``priority`` when given).

    Every condition that is set must hold; within a condition any listed value will do. A rule with
    no condition matches everything (a catch-all at the end). URL globs match the whole URL and,
    like keywords, ignore case; ``page_url_regex`` is searched anywhere in the URL.
    """

    name: str
    queue_id: int
    priority: int | None = None
    channel_ids: frozenset[int] = frozenset()
    page_url_globs: tuple[str, ...] = ()
    page_url_regex: str | None = None
    keywords: tuple[str, ...] = ()
    languages: frozenset[str] = frozenset()
    customer_tags: frozenset[str] = frozenset()
    _url_patterns: tuple[Callable[[str], re.Match[str] | None], ...] = field(default=(), init=False, repr=False, compare=False)
    _keywords: tuple[str, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Globs match the whole URL (translate anchors them); the regex is searched, so anchor it yourself if needed.
        patterns = [re.compile(fnmatch.translate(glob), re.IGNORECASE).match for glob in self.page_url_globs]
        if self.page_url_regex is not None:
            try:
                patterns.append(re.compile(self.page_url_regex, re.IGNORECASE).search)
            except re.error as error:
                message = f"{self.page_url_regex!r} is not a valid regular expression: {error}"
                raise PolicyError("invalid_pattern", "page_url_regex", message) from None
        if any(not keyword.strip() for keyword in self.keywords):
            raise PolicyError("invalid_value", "keywords", "keywords must not be blank")
        object.__setattr__(self, "_url_patterns", tuple(patterns))
        # Substring match: Chinese text has no spaces between words, so word boundaries would miss "退款".
        object.__setattr__(self, "_keywords", tuple(keyword.casefold() for keyword in self.keywords))

    def matches(self, item: WorkItem) -> bool:
        source = item.source
        if self.channel_ids and source.channel_id not in self.channel_ids:
            return False
        if self._url_patterns and not any(pattern(source.page_url) for pattern in self._url_patterns):
            return False
        if self._keywords:
            text = source.first_message.casefold()
            if not any(keyword in text for keyword in self._keywords):
                return False
        if self.languages and item.language not in self.languages:
            return False
        return not (self.customer_tags and self.customer_tags.isdisjoint(source.customer_tags))


@dataclass(frozen=True, slots=True)
class SourceRoute:
    rule_name: str
    queue_id: int
    priority: int


def route_source(rules: Sequence[SourceRule], item: WorkItem) -> SourceRoute | None:
    """The first rule that matches ``item`` decides its queue and priority; ``None`` when none does."""
    for rule in rules:
        if rule.matches(item):
            return SourceRoute(rule.name, rule.queue_id, item.priority if rule.priority is None else rule.priority)
    return None


def apply_route(item: WorkItem, route: SourceRoute | None) -> WorkItem:
    """``item`` moved to the routed queue and priority (unchanged when no rule matched)."""
    if route is None:
        return item
    return replace(item, queue_id=route.queue_id, priority=route.priority)

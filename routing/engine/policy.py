"""Queue policies: which selector a queue uses, its typed parameters, and their validation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar, TypeAlias


class StrategyName(StrEnum):
    ROUND_ROBIN = "round_robin"  # 轮流分配
    LEAST_LOAD = "least_load"  # 负载分配
    RETURNING_CUSTOMER = "returning_customer"  # 熟客分配 / 熟客识别
    SKILL_BASED = "skill_based"  # 技能分配
    RING_ALL = "ring_all"  # 全部振铃
    FEWEST_CALLS = "fewest_calls"  # 最少接通
    LONGEST_IDLE = "longest_idle"  # 最长空闲
    MOST_RECENT = "most_recent"  # 最近接通
    RANDOM = "random"  # 随机振铃
    LINEAR = "linear"  # 顺序振铃 (always the first free agent in a fixed order)


class PolicyError(ValueError):
    """A queue configuration the engine refuses; ``code`` and ``field`` let callers show a translated message."""

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.code = code
        self.field = field
        self.message = message


class LoadMeasure(StrEnum):
    CURRENT = "current"  # work in hand now (chats open, calls up)
    TODAY = "today"  # work taken today


class TimeBasis(StrEnum):
    LAST_CALL_ENDED = "last_call_ended"
    LAST_ASSIGNED = "last_assigned"


def _enum(enum: type[StrEnum], value: object, field_name: str) -> Any:
    allowed = ", ".join(member.value for member in enum)
    if not isinstance(value, str) or value not in {member.value for member in enum}:
        raise PolicyError("invalid_choice", field_name, f"{value!r} is not one of: {allowed}")
    return enum(value)


def _non_negative(value: object, field_name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PolicyError("invalid_type", field_name, f"expected a number, got {value!r}")
    if value < 0:
        raise PolicyError("negative", field_name, f"must not be negative (got {value!r})")


@dataclass(frozen=True, slots=True)
class RoundRobin:
    """Next agent after the queue's pointer, in agent id order, wrapping around."""

    name: ClassVar[StrategyName] = StrategyName.ROUND_ROBIN


@dataclass(frozen=True, slots=True)
class LeastLoad:
    """Fewest items now (or today); ties go to whoever waited longest since their last assignment."""

    name: ClassVar[StrategyName] = StrategyName.LEAST_LOAD
    measure: LoadMeasure = LoadMeasure.CURRENT

    def __post_init__(self) -> None:
        object.__setattr__(self, "measure", _enum(LoadMeasure, self.measure, "measure"))


@dataclass(frozen=True, slots=True)
class RingAll:
    """Offer to every eligible agent at once; the first to accept wins."""

    name: ClassVar[StrategyName] = StrategyName.RING_ALL


@dataclass(frozen=True, slots=True)
class FewestCalls:
    """Fewest items of this kind taken today; ties go to the longest idle."""

    name: ClassVar[StrategyName] = StrategyName.FEWEST_CALLS


@dataclass(frozen=True, slots=True)
class LongestIdle:
    """Whoever finished (or was last assigned) longest ago; never-assigned agents first."""

    name: ClassVar[StrategyName] = StrategyName.LONGEST_IDLE
    since: TimeBasis = TimeBasis.LAST_CALL_ENDED

    def __post_init__(self) -> None:
        object.__setattr__(self, "since", _enum(TimeBasis, self.since, "since"))


@dataclass(frozen=True, slots=True)
class MostRecent:
    """Whoever finished (or was assigned) most recently; agents with no history last."""

    name: ClassVar[StrategyName] = StrategyName.MOST_RECENT
    since: TimeBasis = TimeBasis.LAST_CALL_ENDED

    def __post_init__(self) -> None:
        object.__setattr__(self, "since", _enum(TimeBasis, self.since, "since"))


@dataclass(frozen=True, slots=True)
class RandomPick:
    """Uniformly among eligible agents, with the rng the caller passes (seeded: reproducible)."""

    name: ClassVar[StrategyName] = StrategyName.RANDOM


@dataclass(frozen=True, slots=True)
class Linear:
    """Always the first eligible agent by ``linear_position`` (then id): a fixed hunt order."""

    name: ClassVar[StrategyName] = StrategyName.LINEAR


#: Selectors that pick among a set of agents without further structure (usable as tie-breaks and fallbacks).
SimpleSelector: TypeAlias = RoundRobin | LeastLoad | RingAll | FewestCalls | LongestIdle | MostRecent | RandomPick | Linear


@dataclass(frozen=True, slots=True)
class SkillBased:
    """Highest total level over the item's required skills; equal totals go to ``tie_break``."""

    name: ClassVar[StrategyName] = StrategyName.SKILL_BASED
    tie_break: SimpleSelector = LeastLoad()

    def __post_init__(self) -> None:
        if not isinstance(self.tie_break, _SIMPLE_TYPES):
            raise PolicyError("not_allowed", "tie_break", f"{_name_of(self.tie_break)} cannot break ties of skill_based")


#: Selectors a returning-customer queue may fall back to.
FallbackSelector: TypeAlias = SimpleSelector | SkillBased


@dataclass(frozen=True, slots=True)
class ReturningCustomer:
    """The agent who served this customer within ``lookback_days``; wait ``wait_s`` for them, then fall back."""

    name: ClassVar[StrategyName] = StrategyName.RETURNING_CUSTOMER
    lookback_days: int = 30
    wait_s: float = 30.0
    # By default only an online agent (at capacity, in wrap-up or paused) is waited for; away/busy too when set.
    wait_when_away: bool = False
    fallback: FallbackSelector = LeastLoad()

    def __post_init__(self) -> None:
        if isinstance(self.lookback_days, bool) or not isinstance(self.lookback_days, int):
            raise PolicyError("invalid_type", "lookback_days", f"expected whole days, got {self.lookback_days!r}")
        _non_negative(self.lookback_days, "lookback_days")
        _non_negative(self.wait_s, "wait_s")
        if not isinstance(self.wait_when_away, bool):
            raise PolicyError("invalid_type", "wait_when_away", f"expected true or false, got {self.wait_when_away!r}")
        if not isinstance(self.fallback, (*_SIMPLE_TYPES, SkillBased)):
            raise PolicyError("not_allowed", "fallback", f"{_name_of(self.fallback)} cannot be the fallback of returning_customer")


Selector: TypeAlias = SimpleSelector | SkillBased | ReturningCustomer

_SIMPLE_TYPES: tuple[type, ...] = (RoundRobin, LeastLoad, RingAll, FewestCalls, LongestIdle, MostRecent, RandomPick, Linear)
SELECTOR_TYPES: Mapping[StrategyName, type[Any]] = {
    cls.name: cls  # type: ignore[attr-defined]
    for cls in (*_SIMPLE_TYPES, SkillBased, ReturningCustomer)
}


def _name_of(selector: object) -> str:
    return str(getattr(selector, "name", type(selector).__name__))


@dataclass(frozen=True, slots=True, kw_only=True)
class QueuePolicy:
    """How one queue picks agents: eligibility filters (team, language) and one selector."""

    strategy: Selector = field(default_factory=RoundRobin)
    team_ids: frozenset[int] = frozenset()  # empty: any team
    match_language: bool = True  # an item with a language goes only to agents who speak it

    def __post_init__(self) -> None:
        if not isinstance(self.strategy, tuple(SELECTOR_TYPES.values())):
            raise PolicyError("unknown_strategy", "strategy", f"{self.strategy!r} is not a routing strategy")
        if not isinstance(self.team_ids, frozenset):
            object.__setattr__(self, "team_ids", frozenset(self.team_ids))
        if not isinstance(self.match_language, bool):
            raise PolicyError("invalid_type", "match_language", f"expected true or false, got {self.match_language!r}")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> QueuePolicy:
        """Build from stored JSON: ``{"strategy": "least_load", "params": {...}, "team_ids": [...], "match_language": true}``."""
        if not isinstance(config, Mapping):
            raise PolicyError("invalid_type", "", f"expected an object, got {config!r}")
        unknown = set(config) - {"strategy", "params", "team_ids", "match_language"}
        if unknown:
            raise PolicyError("unknown_parameter", sorted(unknown)[0], "is not a queue policy setting")
        strategy = selector_from_config(config, field_name="strategy")
        team_ids = config.get("team_ids", [])
        if not isinstance(team_ids, list | tuple | set | frozenset) or not all(
            isinstance(team, int) and not isinstance(team, bool) for team in team_ids
        ):
            raise PolicyError("invalid_type", "team_ids", f"expected a list of team ids, got {team_ids!r}")
        return cls(strategy=strategy, team_ids=frozenset(team_ids), match_language=config.get("match_language", True))

    def to_config(self) -> dict[str, Any]:
        return {**selector_to_config(self.strategy), "team_ids": sorted(self.team_ids), "match_language": self.match_language}


def selector_from_config(config: Mapping[str, Any], *, field_name: str) -> Any:
    """``{"strategy": name, "params": {...}}`` -> a selector; nested selectors (fallback, tie_break) likewise."""
    name = config.get("strategy")
    if name is None:
        raise PolicyError("missing", field_name, "a strategy is required")
    try:
        cls = SELECTOR_TYPES[StrategyName(name)]
    except ValueError:
        allowed = ", ".join(member.value for member in StrategyName)
        raise PolicyError("unknown_strategy", field_name, f"unknown strategy {name!r}; choose one of: {allowed}") from None
    params = config.get("params", {}) or {}
    if not isinstance(params, Mapping):
        raise PolicyError("invalid_type", f"{field_name}.params", f"expected an object, got {params!r}")
    known = {f.name for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in params.items():
        if key not in known:
            raise PolicyError("unknown_parameter", f"{field_name}.params.{key}", f"{name} has no parameter {key!r}")
        if key in ("fallback", "tie_break"):
            if not isinstance(value, Mapping):
                raise PolicyError("invalid_type", f"{field_name}.params.{key}", f"expected a strategy object, got {value!r}")
            value = selector_from_config(value, field_name=f"{field_name}.params.{key}")
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except PolicyError as error:
        raise PolicyError(error.code, f"{field_name}.params.{error.field}", error.message) from None


def selector_to_config(selector: Selector) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for f in fields(selector):
        value = getattr(selector, f.name)
        if f.name in ("fallback", "tie_break"):
            value = selector_to_config(value)
        elif isinstance(value, StrEnum):
            value = value.value
        params[f.name] = value
    return {"strategy": selector.name.value, "params": params}

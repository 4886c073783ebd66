"""contactcenter.runtime: garbage-collector tuning of server processes."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from contactcenter.runtime import parse_gc_threshold, tune_garbage_collector


@pytest.fixture
def restore_gc() -> Iterator[None]:
    threshold, callbacks = gc.get_threshold(), list(gc.callbacks)
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
    gc.callbacks[:] = callbacks


def test_a_threshold_setting_reads_as_three_integers() -> None:
    assert parse_gc_threshold("50000,20,100") == (50000, 20, 100)


def test_python_keeps_the_interpreters_thresholds() -> None:
    assert parse_gc_threshold("python") is None


@pytest.mark.parametrize("value", ["1,2", "0,10,10", "a,b,c", "1,2,3,4"])
def test_a_malformed_threshold_is_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_gc_threshold(value)


def test_tuning_sets_the_thresholds_and_freezes_start_up_objects(settings: Any, restore_gc: None) -> None:
    settings.CC_GC_THRESHOLD = "40000,15,90"
    tune_garbage_collector()
    assert gc.get_threshold() == (40000, 15, 90)
    assert gc.get_freeze_count() > 0


def test_python_setting_leaves_the_collector_alone(settings: Any, restore_gc: None) -> None:
    before = gc.get_threshold()
    settings.CC_GC_THRESHOLD = "python"
    tune_garbage_collector()
    assert gc.get_threshold() == before


def test_a_long_collection_is_logged(caplog: pytest.LogCaptureFixture, restore_gc: None) -> None:
    from contactcenter.runtime import watch_gc_pauses

    watch_gc_pauses(warn_ms=0.0)
    with caplog.at_level("WARNING", logger="contactcenter.runtime"):
        gc.collect()
    assert any("garbage collection (generation 2) paused the server" in r.getMessage() for r in caplog.records)

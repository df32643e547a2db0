"""The serving process tunes the garbage collector (niha.asgi)."""

from __future__ import annotations

import gc

from niha.runtime import GC_GEN0_THRESHOLD, tune_gc


def test_a_serving_process_collects_garbage_less_often() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == (GC_GEN0_THRESHOLD, *before[1:])
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from solver.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()


def test_the_collector_is_paused_inside_and_resumes_after() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_the_collector_resumes_when_the_block_raises() -> None:
    gc.enable()
    with pytest.raises(ValueError), collector_paused():
        raise ValueError("broken document")
    assert gc.isenabled()

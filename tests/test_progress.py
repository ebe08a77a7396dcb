"""``wfplan.progress.step``: a spinner on a terminal, nothing at all otherwise."""

from __future__ import annotations

import io
import sys

import pytest

from wfplan import progress


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_step_is_silent_when_stderr_is_not_a_terminal(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    with progress.step("solving level p1"):
        pass
    assert stream.getvalue() == ""


def test_step_reports_on_a_terminal(monkeypatch):
    stream = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.delenv("WFPLAN_PROGRESS", raising=False)
    with progress.step("solving level p1"):
        pass
    assert "done" in stream.getvalue() and "solving level p1" in stream.getvalue()


def test_step_can_be_switched_off_and_lets_errors_through(monkeypatch):
    stream = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setenv("WFPLAN_PROGRESS", "0")
    with pytest.raises(KeyError), progress.step("failing"):
        raise KeyError("x")
    assert stream.getvalue() == ""

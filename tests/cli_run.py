"""Running the CLI in tests: the text a user sees, and no traceback ever."""

from __future__ import annotations

import traceback

import pytest
from click.testing import CliRunner, Result

from wfplan.cli import main


def output_text(result: Result) -> str:
    """Standard output and standard error together, as a terminal shows them."""
    text = result.output
    try:
        err = result.stderr
    except ValueError:  # older click without separate stderr
        err = ""
    return text if err in text else text + err


def invoke(args: list[str]) -> tuple[Result, str]:
    """Run ``wfplan ARGS``; fail the test if it raised or printed a traceback."""
    result = CliRunner().invoke(main, args)
    text = output_text(result)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        tb = "".join(traceback.format_exception(*result.exc_info))
        pytest.fail(f"wfplan {args[0]} raised instead of reporting a user error:\n{tb}\noutput:\n{text[-3000:]}")
    assert "Traceback" not in text, text[-3000:]
    return result, text

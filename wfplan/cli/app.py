"""The ``wfplan`` group and what surrounds every command: user errors, warnings and signals.

User errors (bad scenario, an output that cannot be written, missing solver)
print a located message and exit with code 2; ``--debug`` shows the
traceback instead.  Messages are cut and their control characters escaped
(:mod:`wfplan.message_text`); scenario warnings print as ``warning: ...``.
Ctrl-C and SIGTERM say what the run had already put in place.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import click

from wfplan.errors import (
    EXIT_USER_ERROR,
    OutputError,
    ScenarioError,
    ScenarioWarning,
    SolverUnavailableError,
)
from wfplan.files import output, run_inputs
from wfplan.limits import ENVIRONMENT_VARIABLE, set_max_input_mb
from wfplan.message_text import terminal_safe
from wfplan.workers import ONE_BLAS_THREAD

# numpy is not loaded yet: give it one BLAS thread, so that no idle BLAS thread
# spins on the core a solver thread needs (see wfplan.workers); a value the user
# set is kept
for _name, _value in ONE_BLAS_THREAD.items():
    os.environ.setdefault(_name, _value)

USER_ERRORS = (ScenarioError, OutputError, SolverUnavailableError)


def _error(text: str) -> None:
    click.echo(terminal_safe(f"error: {text}"), err=True)


def _interrupted_message() -> str:
    """What an interrupted run changed: truly nothing, or the outputs it had already put in place."""
    done = output.committed()
    if not done:
        return "interrupted: no output was changed"
    return "interrupted after writing " + ", ".join(str(p) for p in done)


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn user errors into a message and exit code 2 (traceback only with --debug)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = bool(ctx.find_root().params.get("debug"))
        try:
            return func(*args, **kwargs)
        except USER_ERRORS as exc:
            if debug:
                raise
            _error(str(exc))
            sys.exit(EXIT_USER_ERROR)
        except OSError as exc:  # a file system refusing (disk full, permissions): say where, no traceback
            if debug:
                raise
            where = exc.filename if exc.filename is not None else "a file"
            _error(f"{where}: {exc.strerror or exc}")
            sys.exit(EXIT_USER_ERROR)
        except KeyboardInterrupt:
            click.echo(terminal_safe(_interrupted_message()), err=True)
            sys.exit(130)

    return wrapper


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: object = None, line: str | None = None) -> None:
    """Scenario warnings as one readable line on stderr (other warnings as Python shows them)."""
    if issubclass(category, ScenarioWarning):
        click.echo(terminal_safe(f"warning: {message}"), err=True)
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


_default_showwarning = warnings.showwarning


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.option("--max-input-mb", type=click.FloatRange(min=0, min_open=True), envvar=ENVIRONMENT_VARIABLE,
              default=None, show_envvar=True,
              help="Largest input file read, in MiB (default 64): raise it for a genuinely larger scenario.")
@click.version_option(package_name="wfplan")
def main(debug: bool, max_input_mb: float | None) -> None:
    """wfplan: workforce planning optimisation for NHS primary care.

    A scenario is a directory with scenario.toml and CSV tables (or an .xlsx
    workbook). Start with `wfplan validate`, then `wfplan plan`.
    """
    signal.signal(signal.SIGTERM, _terminate)
    set_max_input_mb(max_input_mb)
    run_inputs.clear()
    output.reset_committed()
    warnings.simplefilter("always", ScenarioWarning)
    warnings.showwarning = _show_warning


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C, so half-written outputs are removed."""
    raise KeyboardInterrupt


@contextlib.contextmanager
def interruptible_solve() -> Iterator[None]:
    """While a solver runs in C code, Python signal handlers cannot run, so Ctrl-C
    and SIGTERM would wait for the solve to end.  Nothing is written during a
    solve, so the default action (end the process at once) is safe then."""
    previous = {sig: signal.signal(sig, signal.SIG_DFL) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

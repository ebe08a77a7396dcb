"""Parse TOML, YAML and JSON documents (manifests, summary.json) within bounds.

The parsers have no limits of their own: ``[[[[...`` ten thousand deep ends
in a ``RecursionError`` traceback, a TOML key of 20,000 dotted parts takes
tomllib 4 s and 1.5 GB (quadratic), and a YAML "billion laughs" of nine
anchors expands to a billion values the moment anything walks it.
:func:`parse_document` checks before and while parsing: the text is at most
:data:`~wfplan.limits.MAX_MANIFEST_BYTES` (the caller reads it so), dotted
keys have at most :data:`~wfplan.limits.MAX_KEY_PARTS` parts, YAML may use
at most :data:`~wfplan.limits.MAX_YAML_ALIASES` aliases and nest
:data:`~wfplan.limits.MAX_NESTING` deep, and the result, aliases expanded,
has at most :data:`~wfplan.limits.MAX_NODES` values.  YAML is read with the
safe loader only (no Python tags).
"""

from __future__ import annotations

import json
import re
import tomllib

import yaml

from wfplan.errors import Problem, ScenarioError
from wfplan.limits import MAX_KEY_PARTS, MAX_NESTING, MAX_NODES, MAX_YAML_ALIASES
from wfplan.message_text import escape_controls

_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')"""
LONG_DOTTED_KEY = re.compile(rf"(?:{_KEY_PART}[ \t]*\.[ \t]*){{{MAX_KEY_PARTS}}}")
"""A dotted key with more than MAX_KEY_PARTS parts (MAX_KEY_PARTS dots or more)."""


class _TooBig(ValueError):
    pass


class _BoundedYamlLoader(yaml.SafeLoader):
    """The safe loader, refusing deep nesting and many aliases while composing."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise _TooBig(f"uses more than {MAX_YAML_ALIASES} aliases (*name)")
        self._depth += 1
        if self._depth > MAX_NESTING:
            raise _TooBig(f"nests more than {MAX_NESTING} levels deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def check_size(data: object) -> None:
    """Raise ``_TooBig`` if ``data`` nests deeper than MAX_NESTING or has more than MAX_NODES values.

    Walks shared (YAML alias) values once per use, as any later consumer would,
    but stops at the budget, so a billion laughs costs MAX_NODES steps.
    """
    budget = MAX_NODES
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        budget -= 1
        if budget < 0:
            raise _TooBig(f"holds more than {MAX_NODES:,} values (aliases expanded)")
        if depth > MAX_NESTING:
            raise _TooBig(f"nests more than {MAX_NESTING} levels deep")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
            budget -= len(value)  # the keys
        elif isinstance(value, list | tuple):
            stack.extend((v, depth + 1) for v in value)


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def parse_document(text: str, kind: str, shown: str) -> object:
    """Parse ``text`` as ``kind`` ("toml", "yaml" or "json"); any problem is a ScenarioError naming ``shown``."""
    if kind == "toml":
        match = LONG_DOTTED_KEY.search(text)
        if match is not None:
            raise ScenarioError(Problem(shown, f"a dotted key has more than {MAX_KEY_PARTS} parts",
                                        row=_line(text, match.start())))
    try:
        if kind == "toml":
            data: object = tomllib.loads(text)
        elif kind == "yaml":
            loader = _BoundedYamlLoader(text)
            try:
                data = loader.get_single_data()
            finally:
                loader.dispose()
        else:
            data = json.loads(text, parse_constant=_no_constants)
        check_size(data)
    except _TooBig as exc:
        raise ScenarioError(Problem(shown, f"is too large or deep to be a real one: it {exc}")) from None
    except RecursionError:
        raise ScenarioError(Problem(shown, f"nests too deeply (more than {MAX_NESTING} levels)")) from None
    except (tomllib.TOMLDecodeError, yaml.YAMLError, ValueError) as exc:
        raise ScenarioError(Problem(shown, f"does not parse: {escape_controls(' '.join(str(exc).split()))}")) from None
    return data

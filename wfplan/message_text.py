"""Input text shown safely in messages: cut to a readable length, control characters visible.

A value echoed in an error message comes from a file a user was sent: it may
be 50 MB long, or hold ESC sequences that recolour or clear the terminal, a
BEL, or a right-to-left override that makes ``exe.txt`` look like
``txt.exe``.  Everything wfplan echoes goes through :func:`shown_value` (a
value) or :func:`terminal_safe` (a whole message): control and bidirectional
formatting characters are written as escapes (``\\x1b``, ``\\u202e``) and long
text is cut, saying how much was cut.
"""

from __future__ import annotations

import html
import math
import unicodedata

from wfplan.limits import MAX_MESSAGE_CHARS, MAX_SHOWN_CHARS

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Characters that reorder text on screen (the 'Trojan Source' characters)."""


def is_control(char: str) -> bool:
    """A C0/C1 control character, or one that reorders or hides text (bidi, zero-width)."""
    return char in BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co")


def escape_controls(text: str, keep_newlines: bool = False) -> str:
    """``text`` with every control character written as a Python-style escape."""
    if not any(is_control(c) for c in text):
        return text
    out = []
    for char in text:
        if keep_newlines and char == "\n":
            out.append(char)
        elif is_control(char):
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(char)
    return "".join(out)


def cut(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit:,} more characters)"


def shown_value(value: object, limit: int = MAX_SHOWN_CHARS) -> str:
    """A value as messages show it: ``repr`` for text (quotes visible), cut, controls escaped."""
    if isinstance(value, str):
        head = value[: limit + 1]
        text = repr(head[:limit]) if len(value) > limit else repr(value)
        text = escape_controls(text)
        if len(value) > limit:
            text += f"... ({len(value) - limit:,} more characters)"
        return text
    return escape_controls(cut(repr(value), limit))


def shown_message(message: str) -> str:
    """One problem's message: controls escaped, cut at :data:`MAX_MESSAGE_CHARS`."""
    return escape_controls(cut(message, MAX_MESSAGE_CHARS))


def terminal_safe(text: str) -> str:
    """A whole multi-line message for a terminal: line breaks kept, other controls escaped."""
    return escape_controls(text, keep_newlines=True)


def html_text(value: object) -> str:
    """A value as HTML text (the report and the PCN pack): escaped, control characters shown as
    escapes (never raw in the page), blank for None and NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(escape_controls(str(value)))

"""Text from a cluster or the network, made safe to show on a terminal.

Anything a job, a server or a container writes is data. Shown raw, an ESC sequence in a job's
entrypoint or log can set the window title, write the operator's clipboard (OSC 52), leave the
alternate screen or clear it; bidi overrides can make a line read differently from what it is.
So every such string passes through here before it reaches a widget or a terminal:

- `visible(text)` for fields (ids, entrypoints, messages, error bodies, names): every control
  character except tab (and newline where multi-line text is expected), ESC, DEL, the C1
  controls, bidi overrides and isolates, line/paragraph separators and lone surrogates are
  replaced by a visible stand-in (`␛`, `␇`, `<U+202E>` ...), so a hostile value shows as what it is.
- `log_line(text)` / `log_text(text)` for logs: terminal escape sequences (colours and every other
  CSI, OSC, DCS ... sequence) are dropped whole, then whatever control is left is made visible.

Pure `str` functions: the core layers use them as well as the TUI (no Textual or Rich here).
"""

from __future__ import annotations

import re

# Complete escape sequences, 7-bit (ESC ...) and 8-bit (C1) forms. OSC/DCS/SOS/PM/APC strings
# need their terminator; an unterminated one is left alone, and its ESC is then shown.
_SEQUENCE = re.compile(
    r"""
    (?: \x1b\[ | \x9b ) [0-?]* [ -/]* [@-~]                     # CSI (SGR colours among them)
  | (?: \x1b[\]PX^_] | [\x90\x98\x9d\x9e\x9f] )                  # OSC DCS SOS PM APC ...
        [^\x07\x1b\x9c]* (?: \x07 | \x1b\\ | \x9c )             # ... up to BEL or ST
  | \x1b [ -/]* (?! [\[\]PX^_] ) [0-~]                          # two-character escapes
    """,
    re.VERBOSE,
)

_BIDI_AND_SEPARATORS = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE_ONE_LINE = re.compile(
    f"[\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f{_BIDI_AND_SEPARATORS}\\ud800-\\udfff]"
)
_UNSAFE_MULTI_LINE = re.compile(
    f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_BIDI_AND_SEPARATORS}\\ud800-\\udfff]"
)


def _stand_in(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode control pictures: ␀ … ␟ (␛ for ESC)
    if code == 0x7F:
        return "␡"
    return f"<U+{code:04X}>"


def visible(text: str, *, multiline: bool = False) -> str:
    """`text` with every control or direction-changing character replaced by a visible one.

    Tab stays; newline stays when `multiline` (a CR before it goes), else it shows as `␊`.
    """
    if text.isprintable():  # the common case, and cheap: nothing unsafe is printable
        return text
    if multiline:
        return _UNSAFE_MULTI_LINE.sub(_stand_in, text.replace("\r\n", "\n"))
    return _UNSAFE_ONE_LINE.sub(_stand_in, text)


_SGR = re.compile(r"\x1b\[[0-9;:]*m")


def _keep_sgr(match: re.Match[str]) -> str:
    sequence = match.group()
    return sequence if _SGR.fullmatch(sequence) else ""


def strip_escapes(text: str, *, keep_sgr: bool = False) -> str:
    """`text` without terminal escape sequences (colours included unless `keep_sgr`: then the
    7-bit SGR sequences, `ESC [ ... m`, stay for a decoder to turn into styles); other
    controls stay."""
    if "\x1b" not in text and not _has_c1(text):
        return text
    return _SEQUENCE.sub(_keep_sgr if keep_sgr else "", text)


def _has_c1(text: str) -> bool:
    return not text.isascii() and any("\x80" <= ch <= "\x9f" for ch in text)


def log_line(line: str) -> str:
    """One log line for a terminal or a widget: escapes dropped, controls made visible.

    A carriage return inside the line (progress bars) keeps what a terminal would end up
    showing: the text after the last one.
    """
    if line.isprintable():
        return line
    line = strip_escapes(line)
    if "\r" in line:
        stripped = line.rstrip("\r")
        line = stripped[stripped.rfind("\r") + 1 :]
    return visible(line)


def log_lines(lines: list[str]) -> list[str]:
    return [log_line(line) for line in lines]


def log_text(text: str) -> str:
    """A block of log text (newlines kept) made safe for a terminal."""
    if text.isprintable():
        return text
    return "\n".join(log_line(line) for line in text.split("\n"))

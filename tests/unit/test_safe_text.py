"""The one sanitiser for text from a cluster or the network."""

from __future__ import annotations

import pytest

from sovtui.support.safe_text import log_line, log_lines, log_text, strip_escapes, visible

OSC52 = "\x1b]52;c;aGVsbG8=\x07"
OSC0 = "\x1b]0;pwned\x07"
LEAVE_ALT_SCREEN = "\x1b[?1049l"


def dangerous(text: str) -> list[str]:
    """Characters a terminal would act on, or that reorder what is shown."""
    bad = []
    for ch in text:
        code = ord(ch)
        if (
            (code < 0x20 and ch not in "\t\n")
            or 0x7F <= code <= 0x9F
            or 0x202A <= code <= 0x202E
            or 0x2066 <= code <= 0x2069
            or 0xD800 <= code <= 0xDFFF
        ):
            bad.append(ch)
    return bad


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        ("tab\tstays", "tab\tstays"),
        ("bell\x07", "bell␇"),
        ("esc\x1b[31m", "esc␛[31m"),
        ("nul\x00", "nul␀"),
        ("del\x7f", "del␡"),
        ("c1 csi \x9b2J", "c1 csi <U+009B>2J"),
        ("next line \x85", "next line <U+0085>"),
        ("rlo \u202eevil", "rlo <U+202E>evil"),
        ("isolate \u2066x\u2069", "isolate <U+2066>x<U+2069>"),
        ("line sep \u2028", "line sep <U+2028>"),
        ("lone surrogate \udc80", "lone surrogate <U+DC80>"),
        ("two\nlines", "two␊lines"),
        ("cr\rhere", "cr␍here"),
        ("é ü 中文 🙂", "é ü 中文 🙂"),
        ("[/x] [bold]markup[/bold]", "[/x] [bold]markup[/bold]"),  # markup is not our job here
    ],
)
def test_visible_one_line(raw: str, shown: str) -> None:
    assert visible(raw) == shown
    assert dangerous(visible(raw)) == []


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\nb", "a\nb"),
        ("a\r\nb", "a\nb"),
        ("a\x1b]0;t\x07\nb", "a␛]0;t␇\nb"),
        ("a\rb", "a␍b"),
    ],
)
def test_visible_multi_line(raw: str, shown: str) -> None:
    assert visible(raw, multiline=True) == shown


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("\x1b[1;31mred\x1b[0m", "red"),
        (f"clip {OSC52} board", "clip  board"),
        (f"title {OSC0}", "title "),
        ("title st \x1b]0;pwned\x1b\\ end", "title st  end"),
        (f"alt {LEAVE_ALT_SCREEN}screen", "alt screen"),
        ("clear \x1b[2J\x1b[H", "clear "),
        ("dcs \x1bP1$qm\x1b\\ end", "dcs  end"),
        ("apc \x1b_payload\x1b\\ end", "apc  end"),
        ("keypad \x1b= end", "keypad  end"),
        ("reset \x1bc end", "reset  end"),
        ("8-bit csi \x9b2J end", "8-bit csi  end"),
        ("8-bit osc \x9d0;t\x9c end", "8-bit osc  end"),
        ("hyperlink \x1b]8;;http://x\x1b\\text\x1b]8;;\x1b\\", "hyperlink text"),
    ],
)
def test_strip_escapes_drops_whole_sequences(raw: str, kept: str) -> None:
    assert strip_escapes(raw) == kept


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[32mINFO\x1b[0m started", "INFO started"),
        (f"{OSC52}{OSC0}{LEAVE_ALT_SCREEN}[/x]", "[/x]"),
        ("unterminated \x1b]52;c;aGVsbG8=", "unterminated ␛]52;c;aGVsbG8="),
        ("progress 10%\rprogress 50%\rprogress 100%\r", "progress 100%"),
        ("bell \x07 and bidi \u202e", "bell ␇ and bidi <U+202E>"),
        ("lone ESC at end \x1b", "lone ESC at end ␛"),
        ("ESC ESC \x1b\x1b[31m", "ESC ESC ␛"),
    ],
)
def test_log_line(raw: str, shown: str) -> None:
    assert log_line(raw) == shown
    assert dangerous(log_line(raw)) == []


def test_log_line_keeps_the_same_object_when_nothing_is_unsafe() -> None:
    line = "a perfectly ordinary line " * 4
    assert log_line(line) is line
    assert log_lines([line, "x\x1b[0m"]) == [line, "x"]


def test_log_text_keeps_lines_and_the_final_newline() -> None:
    assert log_text(f"one {OSC52}\r\ntwo\x1b[0m\n") == "one \ntwo\n"
    assert log_text("no newline at end\x07") == "no newline at end␇"
    assert log_text("plain\n") == "plain\n"


@pytest.mark.parametrize("code", [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x202A, 0x2069])
def test_every_control_is_neutralised(code: int) -> None:
    text = f"a{chr(code)}b"
    assert dangerous(visible(text)) == []
    assert dangerous(log_line(text)) == []
    assert dangerous(visible(text, multiline=True)) == []

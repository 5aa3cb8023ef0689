"""Big answers read in pieces (State API lists, `/events`, the node summaries) give exactly
what one whole parse gives, and fall back to it when the layout surprises them. The bodies are
the recordings of a real Ray 2.60 head, replicated."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from sovtui.ray_api import list_parse
from sovtui.ray_api.errors import DashboardBadResponse
from sovtui.ray_api.events_parse import event_groups, newest, newest_by_pattern
from sovtui.ray_api.snapshot import build_snapshot
from sovtui.ray_api.state import (
    _EVENTS,
    _list_adapter,
    _rows_adapter,
    normalise_events,
    parse_event_page,
    parse_events,
    parse_list,
)
from sovtui.ray_api.state_models import Actor, Task
from sovtui.ray_api.summary_parse import node_views, parse_whole
from tests.support.recorded_ray import RAY_260, replicated_summary
from tests.support.recorded_state import recorded_body


def replicated(name: str, count: int) -> dict[str, Any]:
    body = json.loads(recorded_body(name))
    rows = body["data"]["result"]["result"]
    key = "task_id" if "task_id" in rows[0] else "actor_id"
    out = []
    for index in range(count):
        row = dict(rows[index % len(rows)])
        row[key] = f"{index:016x}" + row[key][16:]
        out.append(row)
    body["data"]["result"].update(result=out, total=count, num_filtered=count)
    return dict(body)


def whole(model: type[Any], content: bytes) -> list[Any]:
    return list(_list_adapter(model).validate_json(content).data.result.result)


@pytest.mark.parametrize(("name", "model"), [("tasks", Task), ("actors_detail", Actor)])
def test_sliced_list_matches_whole_parse(name: str, model: type[Any]) -> None:
    content = json.dumps(replicated(name, 700)).encode()
    assert len(content) > list_parse.SLICE_BYTES  # the sliced path is taken
    answer = parse_list(model, content, "u", 700)
    assert answer.items == whole(model, content)
    assert len(answer.items) == 700 and answer.total == 700
    # Small slices: many cuts, same rows in the same order.
    cut = list_parse.sliced(_rows_adapter(model), _list_adapter(model), content, size=4096)
    assert cut is not None
    envelope, items = cut
    assert items + envelope.data.result.result == whole(model, content)


def test_a_cut_inside_a_row_falls_back_to_the_whole_parse() -> None:
    document = replicated("tasks", 1500)
    # A nested object whose first key is the rows' first key: cuts land inside rows.
    for row in document["data"]["result"]["result"]:
        row["task_log_info"] = {"task_id": "x", "stdout_file": "f"}
    content = json.dumps(document).encode()
    try:
        cut = list_parse.sliced(_rows_adapter(Task), _list_adapter(Task), content, size=4096)
    except ValidationError:  # a slice ending inside a row is not JSON
        cut = None
    assert cut is None  # never a wrong answer: no answer, and the caller parses whole
    answer = parse_list(Task, content, "u", 1500)
    assert answer.items == whole(Task, content)
    assert answer.items[0].task_log_info is not None


def test_a_bad_big_answer_is_still_named() -> None:
    document = replicated("tasks", 1500)
    document["data"]["result"]["result"][900]["attempt_number"] = "not a number"
    with pytest.raises(DashboardBadResponse):
        parse_list(Task, json.dumps(document).encode(), "u", 1500)


def big_events(groups: dict[str, slice], count: int) -> bytes:
    body = json.loads(recorded_body("events"))
    recorded = [event for events in body["data"]["events"].values() for event in events]
    events = []
    for index in range(count):
        event = dict(recorded[index % len(recorded)])
        event["eventId"] = f"{index:016x}"
        events.append(event)
    body["data"]["events"] = {name: events[part] for name, part in groups.items()}
    return json.dumps(body, indent=1).encode()


def test_events_read_one_by_one_match_the_models() -> None:
    groups = {
        "global": slice(0, 600),
        "01000000": slice(600, 1500),
        "02000000": slice(0, 0),
        "03000000": slice(1500, 2000),
    }
    content = big_events(groups, 2000)
    assert len(content) > list_parse.SLICE_BYTES
    assert event_groups(content) is not None
    expected = normalise_events(_EVENTS.validate_json(content).data.events)
    assert parse_events(content, "u") == expected
    assert len(expected) == 2000


def test_events_decoded_in_slices_match_the_whole_decode() -> None:
    groups = {"global": slice(0, 600), "01000000": slice(600, 1500), "03000000": slice(1500, 2000)}
    content = big_events(groups, 2000)
    whole = json.loads(content)["data"]["events"]
    assert event_groups(content, size=4096) == whole  # many cuts, some across groups
    # An event whose nested object starts with the events' first key: cuts land inside it,
    # which is refused, and the events from there on are read one by one.
    document = json.loads(content)
    for event in document["data"]["events"]["01000000"][::7]:
        event["customFields"] = {"eventId": "nested", "n": [1, 2]}
    nested = json.dumps(document).encode()  # compact: the nested key reads as the marker
    assert nested.count(b'{"eventId": "nested"') > 100
    assert event_groups(nested, size=4096) == document["data"]["events"]


def test_only_the_newest_events_are_built() -> None:
    groups = {"global": slice(0, 600), "01000000": slice(600, 1500), "03000000": slice(1500, 2000)}
    document = json.loads(big_events(groups, 2000))
    for index, event in enumerate(document["data"]["events"]["01000000"]):
        event["timestamp"] = str(1796017000 + (index * 37) % 500)  # out of order, with ties
    document["data"]["events"]["global"][3].pop("timestamp")  # no time: sorted last
    content = json.dumps(document).encode()
    every = normalise_events(_EVENTS.validate_json(content).data.events)
    page = parse_event_page(content, "u", 100)
    assert page.total == 2000
    assert page.events == every[-100:]
    assert parse_event_page(content, "u", None).events == every
    kept = newest(json.loads(content)["data"]["events"], 5)
    assert [raw["eventId"] for _, raw in kept] == [event.event_id for event in every[-5:]]
    small = json.dumps(json.loads(recorded_body("events"))).encode()  # through the models
    assert len(small) < list_parse.SLICE_BYTES
    assert parse_event_page(small, "u", 1).events == parse_events(small, "u")[-1:]


def scrambled_events(compact: bool) -> dict[str, Any]:
    """Four groups (one empty), times out of order with ties, one event without a time."""
    groups = {
        "global": slice(0, 600),
        "01000000": slice(600, 1500),
        "02000000": slice(0, 0),
        "03000000": slice(1500, 2000),
    }
    document: dict[str, Any] = json.loads(big_events(groups, 2000))
    for index, event in enumerate(document["data"]["events"]["01000000"]):
        event["timestamp"] = str(1796017000 + (index * 37) % 500)
    document["data"]["events"]["global"][3].pop("timestamp")
    return document


@pytest.mark.parametrize("compact", [True, False])
def test_the_newest_events_read_by_pattern_are_those_of_the_whole_decode(compact: bool) -> None:
    document = scrambled_events(compact)
    content = json.dumps(document, indent=None if compact else 1).encode()
    groups = event_groups(content)
    assert groups is not None
    for limit in (1, 100, 1000):
        found = newest_by_pattern(content, limit)
        assert found is not None, "the recorded layout is read by pattern"
        assert found == (newest(groups, limit), 2000)
    assert newest_by_pattern(content, 1001) is None  # most kept: the sliced decode is quicker
    page = parse_event_page(content, "u", 100)
    assert page.total == 2000
    assert page.events == normalise_events(_EVENTS.validate_json(content).data.events)[-100:]


def test_events_that_do_not_fit_the_pattern_fall_back_to_the_whole_decode() -> None:
    document = scrambled_events(True)
    every = normalise_events(_EVENTS.validate_json(json.dumps(document).encode()).data.events)
    # A timestamp inside customFields too: that event is decoded for its own time.
    document["data"]["events"]["01000000"][7]["customFields"] = {"timestamp": "9999999999"}
    content = json.dumps(document).encode()
    groups = event_groups(content)
    assert groups is not None
    assert newest_by_pattern(content, 100) == (newest(groups, 100), 2000)
    # Objects inside an event that start like events: nested under a key, in a list under a
    # key: the pattern refuses the answer, and the page still holds the right events.
    for nested in ({"eventId": "m", "timestamp": "1"}, {"x": [{"eventId": "a"}, {"eventId": "b"}]}):
        hostile = json.loads(json.dumps(document))
        hostile["data"]["events"]["global"][5]["customFields"] = nested
        content = json.dumps(hostile).encode()
        assert newest_by_pattern(content, 100) is None
        page = parse_event_page(content, "u", 100)
        whole = normalise_events(_EVENTS.validate_json(content).data.events)
        assert page.events == whole[-100:] and page.total == 2000
    assert every  # the unchanged answer read through the models


def test_events_the_plain_reading_cannot_take_go_through_the_models() -> None:
    document = json.loads(big_events({"global": slice(0, 2000)}, 2000))
    document["data"]["events"]["global"][5]["sourcePid"] = 12.0  # the model makes it 12
    content = json.dumps(document).encode()
    expected = normalise_events(_EVENTS.validate_json(content).data.events)
    assert parse_events(content, "u") == expected
    assert event_groups(b'{"data": {"events": {"a": [1]}}}') is None  # not events: no groups


def test_node_views_match_the_whole_parse() -> None:
    body = replicated_summary(RAY_260, 60)
    data = parse_whole(body)
    views, logical = node_views(body)
    assert logical == data.node_logical_resources
    built = build_snapshot(None, None, data.summary, [], taken_at=0)
    assert sorted(views, key=lambda n: n.ip) == sorted(built.nodes, key=lambda n: n.ip)


async def test_an_unchanged_answer_is_not_parsed_again() -> None:
    from sovtui.ray_api.answer_memo import AnswerMemo

    memo = AnswerMemo(size=2)
    parses: list[bytes] = []

    def parse(content: bytes) -> list[int]:
        parses.append(content)
        return [len(content)]

    big = b"x" * 300_000  # hashed and parsed in a thread
    first = await memo.parsed("a", big, parse)
    assert await memo.parsed("a", bytes(big), parse) is first  # same bytes: no parse
    assert len(parses) == 1
    await memo.parsed("a", big + b"y", parse)  # changed: parsed
    await memo.parsed("b", b"small", parse)
    await memo.parsed("c", b"small", parse)  # "a" is forgotten (two remembered)
    await memo.parsed("a", big + b"y", parse)
    assert len(parses) == 5

"""A served engine's protocol: requests (``engine_requests``) and the events that answer them (``progress_events``).

Both sides import these modules: the add-on writes requests and reads events, the engine the other way round.
"""

from __future__ import annotations

import json

import pytest

from engine.contract.engine_requests import Cancel, RequestError, TakeInfo, TrackTake, decode_request, encode_request
from engine.contract.progress_events import Done, Failed, Progress, Ready, decode_event, encode_event


class TestRequests:
    @pytest.mark.parametrize(
        "request_",
        [
            TrackTake("/c/a.mp4", "/t/a.npz"),
            TrackTake(
                "a b.mp4", "a.npz", start=0.0, end=2.5, identity="x.npz", neutral="p.png", no_filter=True, backend="fan"
            ),  # fmt: skip
            TakeInfo("/t/a.npz"),
            Cancel(target=4),
        ],
    )
    def test_feature_round_trip(self, request_):
        assert decode_request(encode_request(9, request_)) == (9, request_)

    def test_convention_defaults_are_left_out(self):
        assert json.loads(encode_request(1, TrackTake("a.mp4", "a.npz"))) == {
            "id": 1,
            "command": "track",
            "input": "a.mp4",
            "output": "a.npz",
        }

    def test_convention_neutral_time_may_be_a_number(self):
        line = '{"id": 1, "command": "track", "input": "a.mp4", "output": "a.npz", "neutral": 1.5, "start": 2}'
        assert decode_request(line) == (1, TrackTake("a.mp4", "a.npz", start=2.0, neutral="1.5"))

    @pytest.mark.parametrize(
        ("line", "message"),
        [
            ("{not json", "not JSON"),
            ("[1, 2]", "a JSON object"),
            ('{"command": "info", "take": "a.npz"}', '"id"'),
            ('{"id": true, "command": "info", "take": "a.npz"}', '"id"'),
            ('{"id": -1, "command": "info", "take": "a.npz"}', '"id"'),
            ('{"id": 1, "command": "explode"}', 'unknown "command"'),
            ('{"id": 1, "command": "info"}', '"take" is missing'),
            ('{"id": 1, "command": "info", "take": ""}', '"take" must be a non-empty string'),
            ('{"id": 1, "command": "info", "take": "a.npz", "force": true}', "unknown key(s) force"),
            ('{"id": 1, "command": "track", "input": "a", "output": "b", "end": "3"}', '"end" must be a finite number'),
            ('{"id": 1, "command": "track", "input": "a", "output": "b", "end": NaN}', '"end" must be a finite number'),
            ('{"id": 1, "command": "track", "input": "a", "output": "b", "no_filter": 1}', '"no_filter" must be true'),
            ('{"id": 1, "command": "cancel", "target": 1.5}', '"target" must be a non-negative integer'),
        ],
    )
    def test_exception_invalid_lines_name_the_problem(self, line, message):
        with pytest.raises(RequestError, match=message.replace("(", r"\(").replace(")", r"\)")):
            decode_request(line)


class TestServedEvents:
    @pytest.mark.parametrize(
        "event",
        [
            Progress(3, 90, 41.5, request=2),
            Progress(3, None, 0.0),
            Done("/t/a.npz", 90, request=2),
            Done("/t/a.npz", 90, summary="take  a\nframes 90", request=5),
            Failed("no face", request=2),
            Failed("cancelled", cancelled=True, request=2),
            Ready("0.3.0"),
        ],
    )
    def test_feature_round_trip(self, event):
        assert decode_event(encode_event(event)) == event

    def test_convention_command_line_events_are_unchanged(self):
        """``track --progress jsonl`` (no request) writes exactly the lines it always did."""
        assert encode_event(Progress(10, 216, 71.2)) == '{"frame": 10, "total": 216, "fps": 71.2}'
        assert encode_event(Done("/t.npz", 216)) == '{"done": true, "output": "/t.npz", "frames": 216}'
        assert encode_event(Failed("no face")) == '{"error": "no face"}'

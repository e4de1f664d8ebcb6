"""The guarded channels: payloads of our own buttons only, size and rate limits."""
from __future__ import annotations

import pytest

from channels.guarded import MAX_MESSAGE_CHARS, RateLimiter, safe_text


@pytest.mark.parametrize("typed, read", [
    ("/affirm", "/affirm"),
    ('/inform{"body_region":"calves"}', '/inform{"body_region":"calves"}'),
    ("/step_next", "/step_next"),
    ('/report_red_flag{"red_flag":"dvt"}', '/report_red_flag{"red_flag":"dvt"}'),
    ("/restart", "restart"),  # Rasa's own restart would wipe an emergency: read as words
    ("/session_start", "session_start"),
    ('/inform{"body_region":"calves"} and crushing chest pain', 'inform{"body_region":"calves"} and crushing chest pain'),
    ('/inform{"evil_entity":"x"}', 'inform{"evil_entity":"x"}'),
    ('/inform{"body_region":{"nested":1}}', 'inform{"body_region":{"nested":1}}'),
    ("/", ""),
    ("my calves hurt", "my calves hurt"),
])
def test_only_our_own_payloads_skip_nlu(typed, read):
    assert safe_text(typed) == read


def test_the_rate_limit_is_per_sender_and_slides():
    limiter = RateLimiter(3, 10.0)
    assert [limiter.allow("a", t) for t in (0, 1, 2, 3)] == [True, True, True, False]
    assert limiter.allow("b", 3)
    assert limiter.allow("a", 11)


def test_the_rate_limiter_forgets_old_senders():
    limiter = RateLimiter(1, 10.0, senders=100)
    for i in range(1000):
        limiter.allow(f"s{i}", 0)
    assert len(limiter._seen) == 100


def test_the_size_limit_is_generous_for_people():
    assert MAX_MESSAGE_CHARS >= 2000


def _turn(handler):
    """Runs one REST turn through the guard; returns what the user would get."""
    import asyncio

    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from channels.guarded import never_silent

    output = CollectingOutputChannel()
    asyncio.run(never_silent(handler)(UserMessage("done", output, "guard-test")))
    return [m.get("text") for m in output.messages]


def test_a_store_failure_inside_the_turn_replaces_the_reply_with_couldnt_save():
    from stores.rolling_sql import note_store_failure

    async def handler(message):
        await message.output_channel.send_response(message.sender_id, {"text": "Step 2 of 5"})
        note_store_failure("save")  # as the tracker store does, in the task wait_for made

    texts = _turn(handler)
    assert len(texts) == 1 and texts[0].startswith("I couldn't save that"), texts


def test_a_turn_that_says_nothing_gets_the_apology_and_a_normal_turn_is_untouched():
    async def silent(message):
        return None

    async def normal(message):
        await message.output_channel.send_response(message.sender_id, {"text": "Step 2 of 5"})

    assert _turn(silent)[0].startswith("Sorry, I'm having trouble")
    assert _turn(normal) == ["Step 2 of 5"]

"""Hostile input against the REST channel: 10,000 generated messages (random unicode,
control characters, 100 kB strings, JSON and SQL fragments, Rasa intent syntax with odd
entity values), sent by several senders at once. Every reply must be well formed, no
request may fail or get a 5xx, and the server must still answer afterwards."""
from __future__ import annotations

import json
import random
import string
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

MESSAGES = 10_000
FRAGMENTS = [
    '{"a": [1, 2, {"b": null}]}', "'; DROP TABLE events; --", "\" OR 1=1 --", "<script>alert(1)</script>",
    "/restart", "/session_start", "/inform{\"body_region\":\"calves\"}", "/inform{\"body_region\":{\"x\":1}}",
    "/report_red_flag{\"red_flag\":\"" + "x" * 300 + "\"}", "/affirm", "/inform{", "/}", "/" * 50,
    "${UNKNOT_TRACKER_URL}", "{{7*7}}", "%s%s%s%n", "\\x00\\x01", "NaN", "null", "[]", "../../etc/passwd",
    "my calves hurt", "I can't breathe", "no numbness", "🤷‍♀️" * 20, "\u202e\u200b\ufeff", "İ" * 100,
]


def hostile(rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        points = (rng.randrange(1, 0x10FFFF) for _ in range(rng.randrange(1, 200)))
        return "".join(chr(p) for p in points if not 0xD800 <= p < 0xE000)
    if kind == 1:
        return "".join(chr(rng.randrange(0, 32)) for _ in range(rng.randrange(1, 50)))
    if kind == 2:
        return rng.choice(string.ascii_letters) * rng.choice([5_001, 20_000, 100_000])
    if kind == 3:
        return rng.choice(FRAGMENTS)
    if kind == 4:
        return " ".join(rng.choice(FRAGMENTS) for _ in range(rng.randrange(2, 6)))
    if kind == 5:
        return "/" + "".join(rng.choice(string.ascii_lowercase + "_{}\":,") for _ in range(rng.randrange(1, 80)))
    return "".join(rng.choice(string.printable) for _ in range(rng.randrange(0, 300)))


def post(port: int, sender: str, message: str) -> tuple[int, object]:
    body = json.dumps({"sender": sender, "message": message}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def well_formed(reply) -> bool:
    return isinstance(reply, list) and all(
        isinstance(m, dict) and (isinstance(m.get("text"), str) or isinstance(m.get("custom"), dict))
        and all(isinstance(b, dict) and "title" in b and "payload" in b for b in m.get("buttons") or [])
        for m in reply)


def test_ten_thousand_hostile_messages(servers):
    rng = random.Random(20261129)
    senders = [f"fuzz-{uuid.uuid4().hex[:10]}" for _ in range(200)]
    work = [(rng.choice(senders), hostile(rng)) for _ in range(MESSAGES)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda item: post(servers.rasa_port, *item), work))
    statuses = [status for status, _ in results]
    assert not [s for s in statuses if s >= 500], "5xx responses"
    assert all(s == 200 for s in statuses), sorted(set(statuses))
    bad = [(text[:80], reply) for (_, text), (_, reply) in zip(work, results) if not well_formed(reply)]
    assert not bad, bad[:5]
    assert all(reply for _, reply in results), "an empty reply"
    status, reply = post(servers.rasa_port, f"after-{uuid.uuid4().hex}", "my calves are tight after running")
    assert status == 200 and well_formed(reply) and reply

"""What the terminal client sends for what is typed (no server needed)."""
from __future__ import annotations


def test_numbers_on_a_scale_are_ratings_and_elsewhere_choices():
    from clients.terminal import resolve
    scale = [{"title": str(n), "payload": '/rate_pain{"pain":%d}' % n} for n in range(11)] + \
        [{"title": "Skip", "payload": "/deny"}]
    assert resolve("7", scale) == '/rate_pain{"pain":7}' and resolve("skip", scale) == "/deny"
    yes_no = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    assert resolve("2", yes_no) == "/deny" and resolve("no", yes_no) == "/deny"
    assert resolve("my calves hurt", yes_no) == "my calves hurt" and resolve("", yes_no) == ""

"""Pain before and after, "how am I doing?", adaptation, the clinician summary, erasure."""
from __future__ import annotations

import pytest

from actions.conversation import ActionAffirm, ActionDeny, ActionHandlePain
from actions.progress import ActionDeleteData, ActionPainQuestions, ActionProgress, ActionRatePain, ActionSummary
from actions.progress_flow import rating_from
from actions.routine import ActionStepControl
from knowledge import models
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .conftest import entity, make_tracker, run_action

QUADS = [entity("body_region", "quads"), entity("activity", "cycling"), entity("equipment", "foam_roller")]


@pytest.mark.parametrize("text, value", [("about a 6", 6), ("7/10", 7), ("no pain now", 0), ("maybe two", 2),
                                         ("10 out of 10", 10), ("eight", 8), ("worst ever", 10), ("hmm", None),
                                         ("a 12", None)])
def test_ratings_in_words(text, value):
    assert rating_from(text, []) == value


def test_a_button_rating_wins(kb):
    assert rating_from("whatever", [entity("pain", "4")]) == 4


def _routine_with_ratings(sender: str, before: int, after: int):
    out = run_action(ActionHandlePain(), make_tracker(entities=QUADS, sender=sender), rate=False)
    out = run_action(ActionAffirm(), make_tracker(out.slots, intent="affirm", sender=sender), rate=False)
    assert out.slots["awaiting"] == "rate_before" and len(out.buttons) == 13
    assert out.buttons[6]["payload"] == '/rate_pain{"pain":6}'
    out = run_action(ActionRatePain(), make_tracker(out.slots, intent="rate_pain", sender=sender,
                                                    entities=[entity("pain", str(before))]), rate=False)
    assert out.customs("routine") and out.customs("step")[0]["index"] == 1
    total = out.customs("routine")[0]["steps"]
    for _ in range(total):
        out = run_action(ActionStepControl(), make_tracker(out.slots, intent="step_next", sender=sender), rate=False)
    assert out.customs("routine_done") and out.slots["awaiting"] == "rate_after"
    out = run_action(ActionHandlePain(), make_tracker(out.slots, text=f"about a {after}", sender=sender), rate=False)
    return out


def test_pain_before_and_after_are_stored_and_explained(kb):
    out = _routine_with_ratings("p-one", 6, 3)
    assert "real improvement" in out.texts[0] and out.slots["awaiting"] == "another_region"
    entry = kb.progress.history("p-one")[0]
    assert (entry.before, entry.after, entry.region) == (6, 3, "quads")


def test_how_am_i_doing_gives_text_and_payload(kb):
    _routine_with_ratings("p-two", 7, 4)
    out = run_action(ActionProgress(), make_tracker(intent="ask_progress", sender="p-two"))
    payload = out.customs("progress")[0]
    assert payload["entries"][0]["before"] == 7 and payload["entries"][0]["after"] == 4
    assert set(payload["entries"][0]) == {"date", "region", "routine", "before", "after"}
    assert "Quads" in out.texts[0] and "7→4" in out.texts[0]


def test_three_sessions_without_change_bring_the_soon_advice(kb):
    for _ in range(3):
        _routine_with_ratings("p-stuck", 6, 6)
    out = run_action(ActionProgress(), make_tracker(intent="ask_progress", sender="p-stuck"))
    triage = out.customs("triage")
    assert triage and triage[0]["level"] == "soon" and triage[0]["flags"] == ["not_improving_with_self_care"]


def test_the_next_offer_repeats_what_helped(kb):
    first = _routine_with_ratings("p-repeat", 7, 3)
    done_routine = kb.progress.history("p-repeat")[0].routine
    out = run_action(ActionHandlePain(), make_tracker(intent="describe_pain", entities=QUADS, sender="p-repeat"),
                     rate=False)
    assert out.slots["offered"][-1] == done_routine and "helped you last time" in out.texts[-1]


def test_pain_questions_can_be_switched_off(kb):
    out = run_action(ActionPainQuestions(), make_tracker(intent="pain_questions_off", sender="p-off"))
    out = run_action(ActionHandlePain(), make_tracker(entities=QUADS, sender="p-off"), rate=False)
    out = run_action(ActionAffirm(), make_tracker(out.slots, intent="affirm", sender="p-off"), rate=False)
    assert out.customs("routine") and out.slots["awaiting"] == "step"


def test_a_rating_can_be_skipped(kb):
    out = run_action(ActionHandlePain(), make_tracker(entities=QUADS, sender="p-skip"), rate=False)
    out = run_action(ActionAffirm(), make_tracker(out.slots, intent="affirm", sender="p-skip"), rate=False)
    out = run_action(ActionDeny(), make_tracker(out.slots, intent="deny", sender="p-skip"), rate=False)
    assert out.customs("routine") and kb.progress.history("p-skip")[0].before is None


def test_a_summary_payload_points_at_this_conversation(kb):
    _routine_with_ratings("p-summary", 5, 2)
    out = run_action(ActionSummary(), make_tracker(intent="request_summary", sender="p-summary"))
    payload = out.customs("summary")[0]
    assert set(payload) == {"type", "html", "pdf", "fhir"}
    assert payload["pdf"].startswith("/webchat/summary/") and payload["pdf"].endswith("?conversation=p-summary")


def test_delete_my_data_asks_first_then_erases_everything(kb):
    _routine_with_ratings("p-delete", 5, 2)
    out = run_action(ActionDeleteData(), make_tracker(intent="delete_data", sender="p-delete"))
    assert out.slots["awaiting"] == "delete_confirm" and {b["payload"] for b in out.buttons} == {"/affirm", "/deny"}
    kept = run_action(ActionDeny(), make_tracker(out.slots, intent="deny", sender="p-delete"))
    assert not kept.customs("erased") and kb.progress.history("p-delete")
    done = run_action(ActionAffirm(), make_tracker(out.slots, intent="affirm", sender="p-delete"))
    assert done.customs("erased")[0]["what"]
    with Session(kb.engine) as session:
        for table in models.USER_TABLES:
            assert session.scalar(select(func.count()).select_from(table).where(table.user_key == "p-delete")) == 0

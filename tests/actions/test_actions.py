"""Every custom action: tracker and domain in, events and messages out."""
from __future__ import annotations

from actions import base
from actions.conversation import (ActionAffirm, ActionAnswerQuestion, ActionDeny, ActionFallback,
                                  ActionHandlePain, ActionOutOfScope, ActionSmallTalk, ActionStartOver)
from actions.routine import ActionChooseRoutine, ActionShowAlternatives, ActionStepControl
from actions.safety import ActionCorrectRedFlag, ActionTriage

from .conftest import entity, make_tracker, run_action


def _start_quads_routine(kb):
    out = run_action(ActionHandlePain(), make_tracker(entities=[
        entity("body_region", "quads"), entity("activity", "cycling"), entity("equipment", "foam_roller")]))
    out = run_action(ActionAffirm(), make_tracker(out.slots, intent="affirm"))
    return out


def test_everything_in_the_first_message_goes_straight_to_the_offer(kb):
    out = run_action(ActionHandlePain(), make_tracker(entities=[
        entity("body_region", "quads"), entity("activity", "cycling"), entity("equipment", "foam_roller")]))
    assert out.slots["awaiting"] == "offer"
    assert out.slots["body_region"] == "quads" and out.slots["activity"] == "cycling"
    offered = kb.routine(out.slots["offered"][-1])
    assert offered.region == "quads" and offered.equipment == "foam_roller"
    assert offered.title in out.texts[-1]
    assert {b["payload"] for b in out.buttons} == {"/affirm", "/request_alternatives"}


def test_a_bare_start_after_an_offer_starts_the_routine_and_start_over_still_restarts(kb):
    offer = run_action(ActionHandlePain(), make_tracker(entities=[
        entity("body_region", "quads"), entity("activity", "cycling"), entity("equipment", "foam_roller")]))
    started = run_action(ActionStartOver(), make_tracker(offer.slots, intent="start_over", text="start"))
    assert not any(e.get("event") == "restart" for e in started.events)
    assert started.slots["awaiting"] in ("rate_before", "step")
    wiped = run_action(ActionStartOver(), make_tracker(offer.slots, intent="start_over", text="start over"))
    assert any(e.get("event") == "restart" for e in wiped.events)


def test_only_missing_things_are_asked_activity_once_then_equipment(kb):
    out = run_action(ActionHandlePain(), make_tracker(entities=[entity("body_region", "hamstrings")]))
    assert out.responses == ["ask_activity"] and out.slots["activity_asked"] is True
    out = run_action(ActionDeny(), make_tracker(out.slots, intent="deny"))
    assert "ask_equipment" in out.responses
    assert out.slots["awaiting"] == "equipment"
    out = run_action(ActionHandlePain(), make_tracker(out.slots, intent="inform",
                                                      entities=[entity("equipment", "massage_gun")]))
    assert out.slots["awaiting"] == "offer"
    assert kb.routine(out.slots["offered"][-1]).equipment == "massage_gun"


def test_no_region_asks_for_it_and_then_shows_buttons(kb):
    out = run_action(ActionHandlePain(), make_tracker(text="everything hurts"))
    assert out.responses == ["ask_region"] and out.slots["awaiting"] == "region"
    out = run_action(ActionHandlePain(), make_tracker(out.slots, text="just sore"))
    assert len(out.buttons) == 12


def test_back_pain_gets_a_screening_question_once(kb):
    out = run_action(ActionHandlePain(), make_tracker(entities=[entity("body_region", "lower_back")]))
    assert out.slots["awaiting"] == "screening"
    assert [b["payload"] for b in out.buttons] == ["/affirm", "/deny"]
    out = run_action(ActionDeny(), make_tracker(out.slots, intent="deny"))
    assert out.slots["triage_level"] == "self_care" and "back" in out.slots["screened"]
    assert out.responses == ["ask_activity"]
    out = run_action(ActionHandlePain(), make_tracker(out.slots, entities=[entity("body_region", "upper_back")]))
    assert out.slots["awaiting"] != "screening"


def test_screening_yes_with_mixed_levels_asks_which(kb):
    out = run_action(ActionHandlePain(), make_tracker(entities=[entity("body_region", "lower_back")]))
    out = run_action(ActionAffirm(), make_tracker(out.slots, intent="affirm"))
    assert out.slots["awaiting"] == "screening_which"
    payloads = [b["payload"] for b in out.buttons]
    assert '/report_red_flag{"red_flag":"cauda_equina"}' in payloads and "/deny" in payloads
    out = run_action(ActionTriage(), make_tracker(out.slots, intent="report_red_flag",
                                                  entities=[entity("red_flag", "cauda_equina")]))
    assert out.customs("triage")[0]["level"] == "emergency_now"
    assert out.slots["triage_level"] == "emergency_now"


def test_neck_screening_yes_is_an_emergency(kb):
    out = run_action(ActionHandlePain(), make_tracker(entities=[entity("body_region", "neck")]))
    assert out.slots["awaiting"] == "screening"
    out = run_action(ActionAffirm(), make_tracker(out.slots, intent="affirm"))
    if not out.customs("triage"):  # the neck screening also asks about falls: which one?
        assert '/report_red_flag{"red_flag":"neck_vascular"}' in [b["payload"] for b in out.buttons]
        out = run_action(ActionTriage(), make_tracker(out.slots, intent="report_red_flag",
                                                      entities=[entity("red_flag", "neck_vascular")]))
    triage = out.customs("triage")[0]
    assert triage["level"] == "emergency_now" and "neck_vascular" in triage["flags"]
    assert any("999" in t and "911" in t for t in out.texts)


def test_starting_a_routine_sends_routine_and_step_payloads(kb):
    out = _start_quads_routine(kb)
    routine = out.customs("routine")[0]
    assert set(routine) == {"type", "id", "title", "region", "equipment", "steps"}
    step = out.customs("step")[0]
    assert step["routine"] == routine["id"] and step["index"] == 1 and step["total"] == routine["steps"]
    assert out.slots["routine_id"] == routine["id"] and out.slots["step_index"] == 1
    assert {b["payload"] for b in out.buttons} >= {"/step_next", "/step_repeat", "/step_back", "/step_skip", "/step_stop"}


def test_step_controls_move_through_to_the_end(kb):
    out = _start_quads_routine(kb)
    total = out.customs("routine")[0]["steps"]
    out = run_action(ActionStepControl(), make_tracker(out.slots, intent="step_next"))
    assert out.customs("step")[0]["index"] == 2
    out = run_action(ActionStepControl(), make_tracker(out.slots, intent="step_repeat"))
    assert out.customs("step")[0]["index"] == 2
    out = run_action(ActionStepControl(), make_tracker(out.slots, intent="step_back"))
    assert out.customs("step")[0]["index"] == 1
    out = run_action(ActionStepControl(), make_tracker(out.slots, intent="step_back"))
    assert out.customs("step")[0]["index"] == 1 and "first step" in out.texts[0]
    out = run_action(ActionStepControl(), make_tracker(out.slots, intent="step_skip"))
    assert out.customs("step")[0]["index"] == 2 and out.texts[0].startswith("Skipped")
    for expected in range(3, total + 1):
        out = run_action(ActionStepControl(), make_tracker(out.slots, intent="step_next"))
        assert out.customs("step")[0]["index"] == expected
    out = run_action(ActionStepControl(), make_tracker(out.slots, intent="step_next"))
    assert out.customs("routine_done") == [{"type": "routine_done", "routine": out.customs("routine_done")[0]["routine"]}]
    assert out.slots["routine_id"] is None and out.slots["step_index"] is None
    assert out.slots["awaiting"] == "another_region"
    assert any("How often" in t for t in out.texts)
    from .conftest import _test_sender
    done = [e for e in kb.progress.history(_test_sender()) if e.finished]
    assert done and done[0].before == 5 and done[0].after == 3


def test_pause_and_resume(kb):
    out = _start_quads_routine(kb)
    started = out.slots["routine_id"]
    out = run_action(ActionStepControl(), make_tracker(out.slots, intent="step_next"))
    out = run_action(ActionStepControl(), make_tracker(out.slots, intent="step_stop"))
    # The contract: no routine in progress once stopped; the assistant keeps it to resume.
    assert out.slots["awaiting"] == "stopped"
    assert out.slots["routine_id"] is None and out.slots["step_index"] is None
    assert out.slots["paused_routine"] == started and out.slots["paused_step"] == 2
    assert not out.customs("step")
    out = run_action(ActionAffirm(), make_tracker(out.slots, intent="affirm"))
    assert out.customs("step")[0]["index"] == 2 and out.slots["routine_id"] == started


def test_ending_a_paused_routine_clears_it(kb):
    out = _start_quads_routine(kb)
    out = run_action(ActionStepControl(), make_tracker(out.slots, intent="step_stop"))
    out = run_action(ActionDeny(), make_tracker(out.slots, intent="deny"))
    assert out.slots["paused_routine"] is None and out.slots["routine_id"] is None
    assert out.slots["awaiting"] == "another_region"


def test_a_question_mid_routine_is_answered_and_the_same_step_shown(kb):
    out = _start_quads_routine(kb)
    out = run_action(ActionStepControl(), make_tracker(out.slots, intent="step_next"))
    out = run_action(ActionAnswerQuestion(), make_tracker(out.slots, intent="ask_pressure"))
    assert out.responses[0] == "answer_pressure"
    assert out.customs("step")[0]["index"] == 2


def test_correcting_the_region_mid_routine_adapts(kb):
    out = _start_quads_routine(kb)
    out = run_action(ActionHandlePain(), make_tracker(out.slots, intent="inform",
                                                      entities=[entity("body_region", "calves")]))
    assert out.slots["body_region"] == "calves" and out.slots["routine_id"] is None
    assert "switch" in out.texts[0]
    assert out.slots["awaiting"] == "screening"  # calves: rule out a clot first


def test_negated_region_is_ignored(kb):
    out = run_action(ActionHandlePain(), make_tracker(entities=[
        entity("body_region", "shoulders", role="not"), entity("body_region", "hamstrings")]))
    assert out.slots["body_region"] == "hamstrings"


def test_several_regions_are_queued(kb):
    out = run_action(ActionHandlePain(), make_tracker(entities=[
        entity("body_region", "hamstrings"), entity("body_region", "glutes")]))
    assert out.slots["body_region"] == "hamstrings" and out.slots["queued_regions"] == ["glutes"]


def test_alternatives_and_choosing_one(kb):
    out = run_action(ActionHandlePain(), make_tracker(entities=[
        entity("body_region", "quads"), entity("activity", "running"), entity("equipment", "foam_roller")]))
    first = out.slots["offered"][0]
    out = run_action(ActionShowAlternatives(), make_tracker(out.slots, intent="request_alternatives"))
    choices = [b["payload"] for b in out.buttons]
    assert choices and all(p.startswith("/choose_routine") for p in choices)
    assert first not in "".join(choices)
    shown = out.slots["offered"][-3:]
    out = run_action(ActionChooseRoutine(), make_tracker(out.slots, intent="choose_routine", text="the second one"))
    assert out.customs("routine")[0]["id"] == shown[1]


def test_choose_routine_by_payload_entity(kb):
    routine_id = kb.find_routines("feet").best.routine.id
    out = run_action(ActionChooseRoutine(), make_tracker({"body_region": "feet", "offered": [routine_id]},
                                                         intent="choose_routine",
                                                         entities=[entity("routine_id", routine_id)]))
    assert out.customs("routine")[0]["id"] == routine_id


def test_emergency_stops_everything_and_cannot_be_talked_out_of(kb):
    out = _start_quads_routine(kb)
    out = run_action(ActionTriage(), make_tracker(out.slots, intent="report_red_flag",
                                                  entities=[entity("red_flag", "cardiac_chest_pain")]))
    triage = out.customs("triage")[0]
    assert triage == {"type": "triage", "level": "emergency_now", "flags": ["cardiac_chest_pain"],
                      "advice": triage["advice"]} and triage["advice"]
    assert out.slots["routine_id"] is None and out.slots["triage_level"] == "emergency_now"
    for action, intent in ((ActionStepControl(), "step_next"), (ActionAffirm(), "affirm"),
                           (ActionHandlePain(), "describe_pain")):
        again = run_action(action, make_tracker(out.slots, intent=intent, entities=[entity("body_region", "calves")]))
        assert again.customs("triage")[0]["level"] == "emergency_now"
        assert not again.customs("routine") and not again.customs("step")
    refused = run_action(ActionCorrectRedFlag(), make_tracker(out.slots, intent="correct_red_flag",
                                                              entities=[entity("red_flag_negated", "cardiac_chest_pain")]))
    # Never lifted on the spot: the user is asked to confirm it was a mistake.
    assert refused.slots["triage_level"] == "emergency_now"
    assert refused.slots["awaiting"] == "withdraw_confirm" and "999" in refused.texts[-1]


def test_crisis_reply_names_crisis_lines(kb):
    out = run_action(ActionTriage(), make_tracker(intent="report_red_flag", entities=[entity("red_flag", "self_harm")]))
    text = " ".join(out.texts)
    assert "988" in text and "116 123" in text and "999" in text
    assert not out.customs("routine")


def test_urgent_flag_stops_the_routine_and_can_be_corrected(kb):
    out = _start_quads_routine(kb)
    out = run_action(ActionTriage(), make_tracker(out.slots, intent="report_red_flag",
                                                  entities=[entity("red_flag", "spinal_infection")]))
    assert out.customs("triage")[0]["level"] == "urgent_24h" and out.slots["routine_id"] is None
    assert any("today" in t for t in out.texts)
    blocked = run_action(ActionHandlePain(), make_tracker(out.slots, entities=[entity("body_region", "calves")]))
    assert not blocked.customs("routine") and "today" in blocked.texts[-1]
    fixed = run_action(ActionCorrectRedFlag(), make_tracker(out.slots, intent="correct_red_flag",
                                                            entities=[entity("red_flag_negated", "spinal_infection")]))
    assert fixed.slots["triage_level"] == "self_care" and fixed.slots["red_flags"] == []


def test_soon_flag_offers_gentle_care_away_from_the_area(kb):
    slots = {"body_region": "lower_back", "screened": ["back"], "activity_asked": True, "equipment": "foam_roller"}
    out = run_action(ActionTriage(), make_tracker(slots, intent="report_red_flag",
                                                  entities=[entity("red_flag", "cancer_history")]))
    assert out.customs("triage")[0]["level"] == "soon"
    assert out.slots["awaiting"] == "soon_choice" and "lower_back" in out.slots["avoid_regions"]
    declined = run_action(ActionDeny(), make_tracker(out.slots, intent="deny"))
    assert not declined.customs("routine") and declined.slots["awaiting"] is None
    accepted = run_action(ActionAffirm(), make_tracker(out.slots, intent="affirm"))
    assert accepted.slots["body_region"] is None and accepted.responses == ["ask_region"]
    again = run_action(ActionHandlePain(), make_tracker(accepted.slots, entities=[entity("body_region", "lower_back")]))
    assert "rather not" in again.texts[0]


def test_blood_thinners_rule_out_the_massage_gun(kb):
    out = run_action(ActionHandlePain(), make_tracker(entities=[
        entity("body_region", "quads"), entity("activity", "running"), entity("equipment", "massage_gun"),
        entity("contraindication", "blood_thinners")]))
    assert out.slots["contraindications"] == ["blood_thinners"]
    assert kb.routine(out.slots["offered"][-1]).equipment != "massage_gun"
    assert any("gun" in t.lower() for t in out.texts)


def test_open_wound_avoids_the_area(kb):
    out = run_action(ActionHandlePain(), make_tracker(entities=[
        entity("body_region", "quads"), entity("contraindication", "open_wound")]))
    assert "quads" in out.slots["contra_regions"] and out.slots["avoid_regions"] == []
    assert not out.slots["offered"]
    assert out.slots["awaiting"] == "region"


def test_out_of_scope_and_fallback_keep_the_thread(kb):
    out = run_action(ActionOutOfScope(), make_tracker({"awaiting": "equipment", "body_region": "calves"},
                                                      intent="out_of_scope"))
    assert out.responses == ["out_of_scope", "ask_equipment"]
    empty = run_action(ActionFallback(), make_tracker(intent="nlu_fallback", text="   "))
    assert "didn't get any text" in empty.texts[0] and empty.buttons
    foreign = run_action(ActionFallback(), make_tracker(intent="nlu_fallback", text="me duele la espalda"))
    assert "English" in foreign.texts[0]
    long = run_action(ActionFallback(), make_tracker(intent="nlu_fallback", text="blah " * 1000))
    assert "long message" in long.texts[0]


def test_small_talk_reprompts(kb):
    out = run_action(ActionSmallTalk(), make_tracker({"awaiting": "region"}, intent="greet"))
    assert out.responses[0] == "greet" and out.buttons
    bye = run_action(ActionSmallTalk(), make_tracker(intent="goodbye"))
    assert bye.responses == ["goodbye"]
    bot = run_action(ActionSmallTalk(), make_tracker(intent="bot_challenge"))
    assert bot.responses == ["iamabot"]


def test_an_internal_error_still_answers_and_keeps_the_state(kb, monkeypatch):
    class Broken:
        def __getattr__(self, name):
            raise RuntimeError("database is down")

    monkeypatch.setattr(base, "knowledge_base", lambda: Broken())
    slots = {"body_region": "quads", "awaiting": "equipment"}
    out = run_action(ActionHandlePain(), make_tracker(slots, entities=[entity("equipment", "hands")]))
    assert out.texts == [base.internal_error()] and "999" in out.texts[0]
    assert out.events == []


def test_a_knee_gets_the_muscles_around_it(kb):
    out = run_action(ActionHandlePain(), make_tracker(entities=[entity("other_area", "knee"), entity("activity", "running")]))
    assert "knee" in out.texts[0] and out.slots["awaiting"] == "region"
    assert {b["payload"] for b in out.buttons} == {'/inform{"body_region":"%s"}' % r for r in ("quads", "hamstrings", "calves")}
    assert out.slots["activity"] == "running"


def test_a_step_that_hurts_gets_advice_to_ease_off(kb):
    out = _start_quads_routine(kb)
    out = run_action(ActionHandlePain(), make_tracker(out.slots, text="ouch that's way too much pressure"))
    assert out.texts[0] == kb.message("step_ease_off")
    assert out.customs("step")[0]["index"] == 1


def test_sharp_or_tingling_pain_stops_the_step(kb):
    out = _start_quads_routine(kb)
    out = run_action(ActionHandlePain(), make_tracker(out.slots, text="it's a sharp tingling feeling down my leg"))
    assert out.texts[0] == kb.message("step_stop_sharp")
    assert not out.customs("step") and {"/step_skip", "/step_stop"} <= {b["payload"] for b in out.buttons}


def test_a_question_naming_a_region_is_answered_and_keeps_the_region(kb):
    out = run_action(ActionAnswerQuestion(), make_tracker(intent="ask_pressure", text="how hard do I press on my calves",
                                                          entities=[entity("body_region", "calves")]))
    assert out.responses[0] == "answer_pressure"
    assert out.slots["body_region"] == "calves" and out.slots["awaiting"] == "screening"  # calves: rule out a clot


def test_out_of_scope_with_a_region_is_treated_as_pain(kb):
    out = run_action(ActionOutOfScope(), make_tracker(intent="out_of_scope", text="my back hurts badly",
                                                      entities=[entity("body_region", "lower_back")]))
    assert "out_of_scope" not in out.responses and out.slots["body_region"] == "lower_back"


def test_a_fallback_that_found_a_region_answers_with_it(kb):
    out = run_action(ActionFallback(), make_tracker(intent="nlu_fallback", text="nek stiff cant turn",
                                                    entities=[entity("body_region", "neck")]))
    assert out.texts[0].startswith("Your neck") and "default" not in out.responses


def test_yes_to_the_next_queued_region_moves_on_from_it(kb):
    out = run_action(ActionHandlePain(), make_tracker(
        {"screened": ["back", "glutes", "lower_leg", "neck", "chest"]},
        entities=[entity("body_region", "quads"), entity("body_region", "hamstrings"),
                  entity("activity", "running"), entity("equipment", "foam_roller")]))
    assert out.slots["queued_regions"] == ["hamstrings"]
    finished = {**out.slots, "awaiting": "another_region", "routine_id": None, "step_index": None}
    out = run_action(ActionAffirm(), make_tracker(finished, intent="affirm"))
    assert out.slots["body_region"] == "hamstrings" and out.slots["queued_regions"] == []


def test_an_answer_that_means_no_kit_means_hands(kb):
    import pytest  # noqa: F401
    for answer in ("nothin lol", "I not have anything", "don't have any special equipment, sorry", "none really"):
        out = run_action(ActionHandlePain(), make_tracker(
            {"awaiting": "equipment", "body_region": "calves", "activity_asked": True, "screened": ["lower_legs"]},
            intent="inform", text=answer))
        assert out.slots["equipment"] == "hands", (answer, out.texts)

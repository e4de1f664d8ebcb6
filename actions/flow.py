"""What the assistant says next, decided from the dialogue state and the knowledge base.

Plain Python: every function takes a DialogueState, a KnowledgeBase and a Reply,
changes the state and adds messages. The Rasa actions are thin wrappers around it.
"""
from __future__ import annotations

import re
from typing import Iterable, Optional

from knowledge.query import EQUIPMENT_NAMES, LEVEL_ORDER, REGION_NAMES, KnowledgeBase, RoutineView

from .state import DialogueState, Reply, button

EMERGENCY_NUMBERS = "999 in the UK, 112 in the EU, 911 in the US, or your local emergency number"
STEP_BUTTONS = [
    button("Done, next", "/step_next"), button("Repeat", "/step_repeat"),
    button("Back", "/step_back"), button("Skip", "/step_skip"), button("Stop", "/step_stop"),
]
EQUIPMENT_BUTTONS = [
    button("Massage ball", '/inform{"equipment":"massage_ball"}'),
    button("Foam roller", '/inform{"equipment":"foam_roller"}'),
    button("Massage gun", '/inform{"equipment":"massage_gun"}'),
    button("Just my hands", '/inform{"equipment":"hands"}'),
]
REGION_BUTTONS = [
    button(REGION_NAMES[r].capitalize(), '/inform{"body_region":"%s"}' % r)
    for r in ("neck", "upper_back", "lower_back", "shoulders", "chest", "arms", "glutes",
              "hamstrings", "quads", "calves", "shins", "feet")
]
ACTIVITY_BUTTONS = [
    button("Running", '/inform{"activity":"running"}'),
    button("Lifting", '/inform{"activity":"weightlifting"}'),
    button("Cycling", '/inform{"activity":"cycling"}'),
    button("HIIT / classes", '/inform{"activity":"hiit"}'),
    button("Desk work", '/inform{"activity":"desk_work"}'),
    button("Skip this", "/deny"),
]
YES_NO = [button("Yes", "/affirm"), button("No", "/deny")]
MAX_REASKS = 2


def region_name(region: Optional[str]) -> str:
    return REGION_NAMES.get(region or "", region or "that area")


# --------------------------------------------------------------------------- user info
def apply_user_info(state: DialogueState, entities: Iterable[dict], kb: KnowledgeBase, reply: Reply) -> bool:
    """Takes regions, activity, equipment and contraindications from one message.

    A new region replaces the old one (a correction) and ends any routine; further
    regions in the same message are queued for later. Returns True if anything changed.
    """
    entities = [e for e in entities if e.get("role") != "not"]
    regions = list(dict.fromkeys(e["value"] for e in entities if e.get("entity") == "body_region" and e.get("value") in REGION_NAMES))
    activities = [e["value"] for e in entities if e.get("entity") == "activity"]
    kit = [e["value"] for e in entities if e.get("entity") == "equipment" and e.get("value") in EQUIPMENT_NAMES]
    contraindications = [e["value"] for e in entities if e.get("entity") == "contraindication"]
    changed = False
    if regions:
        first, rest = regions[0], regions[1:]
        if first != state.body_region:
            if state.in_routine:
                reply.say(f"No problem, let's switch to your {region_name(first)}.")
            _reset_routine(state)
            state.offered = []
            state.body_region = first
            changed = True
        state.queued_regions = [r for r in dict.fromkeys(state.queued_regions + rest) if r != first]
    if activities and activities[-1] != state.activity:
        state.activity = activities[-1]
        state.activity_asked = True
        changed = True
    if kit and kit[-1] != state.equipment:
        if state.in_routine and not regions:
            reply.say(f"Sure, let's use the {EQUIPMENT_NAMES[kit[-1]]} instead.")
            _reset_routine(state)
        state.equipment = kit[-1]
        state.offered = []
        changed = True
    new_contra = [c for c in dict.fromkeys(contraindications) if c not in state.contraindications]
    if new_contra:
        state.contraindications = state.contraindications + new_contra
        for item in kb.contraindications(new_contra):
            reply.say(item.message)
            if item.effect == "avoid_area" and state.body_region and state.body_region not in state.avoid_regions:
                state.avoid_regions = state.avoid_regions + [state.body_region]
        if state.in_routine:
            _reset_routine(state)
        state.offered = []
        changed = True
    if changed:
        state.reasks = 0
    return changed


def _reset_routine(state: DialogueState) -> None:
    state.routine_id = None
    state.step_index = None


def excluded_equipment(state: DialogueState, kb: KnowledgeBase) -> set[str]:
    return {"massage_gun" for c in kb.contraindications(state.contraindications) if c.effect == "no_massage_gun"}


def gentle_notes(state: DialogueState, kb: KnowledgeBase) -> list[str]:
    return [c.title for c in kb.contraindications(state.contraindications) if c.effect == "gentle_only"]


# --------------------------------------------------------------------------- the next step
def advance(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    """Asks for the first missing piece, or offers the best routine."""
    if state.emergency:
        emergency_reminder(state, kb, reply)
        return
    if state.referred_today:
        urgent_reminder(state, reply)
        return
    if not state.body_region:
        ask_region(state, reply)
        return
    if state.body_region in state.avoid_regions:
        reply.say(f"I'd rather not guide massage on your {region_name(state.body_region)} for now, "
                  "for the reason above. Is there another area that feels sore?", REGION_BUTTONS[:6])
        state.body_region = None
        state.awaiting = "region"
        return
    if needs_screening(state, kb):
        ask_screening(state, kb, reply)
        return
    if not state.activity and not state.activity_asked:
        state.activity_asked = True
        state.awaiting = "activity"
        reply.utter("ask_activity", ACTIVITY_BUTTONS)
        return
    if not state.equipment:
        state.awaiting = "equipment"
        reply.utter("ask_equipment", EQUIPMENT_BUTTONS)
        return
    offer_routine(state, kb, reply)


def ask_region(state: DialogueState, reply: Reply) -> None:
    if state.awaiting == "region":
        state.reasks += 1
    else:
        state.reasks = 0
    state.awaiting = "region"
    if state.reasks >= 1:
        reply.say("Which area is sore? Tap one, or describe it in your own words "
                  "(for example 'between my shoulder blades').", REGION_BUTTONS)
    else:
        reply.utter("ask_region")


def needs_screening(state: DialogueState, kb: KnowledgeBase) -> bool:
    if state.triage_level in ("soon", "urgent_24h", "emergency_now"):
        return False
    screening = kb.screening_for(state.body_region)
    return screening is not None and screening.id not in state.screened


def ask_screening(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    screening = kb.screening_for(state.body_region)
    state.awaiting = "screening"
    reply.say(screening.question, YES_NO)


def answer_screening(state: DialogueState, kb: KnowledgeBase, reply: Reply, yes: bool) -> None:
    screening = kb.screening_for(state.body_region) if state.body_region else None
    if screening is None:
        advance(state, kb, reply)
        return
    if not yes:
        state.screened = state.screened + [screening.id]
        if not state.triage_level:
            state.triage_level = "self_care"
        state.awaiting = None
        reply.say("Thanks, that's reassuring.")
        advance(state, kb, reply)
        return
    levels = {kb.triage([flag]).level for flag in screening.flag_ids}
    if len(levels) == 1:
        state.screened = state.screened + [screening.id]
        raise_triage(state, kb, reply, list(screening.flag_ids))
        return
    state.awaiting = "screening_which"
    reply.say("Thanks for telling me. Which of these is it? Tap the one that fits best.",
              [button(label, '/report_red_flag{"red_flag":"%s"}' % flag) for flag, label in screening.items]
              + [button("None of these", "/deny")])


# --------------------------------------------------------------------------- routines
def offer_routine(state: DialogueState, kb: KnowledgeBase, reply: Reply, *, alternatives: bool = False) -> None:
    """Offers the best routine, or with `alternatives` up to three others as buttons."""
    search = kb.find_routines(state.body_region, state.activity, state.equipment,
                              exclude_equipment=excluded_equipment(state, kb),
                              exclude_ids=state.offered if alternatives else (),
                              any_equipment=alternatives)
    if not search.matches:
        if alternatives and state.offered:
            state.offered = []
            reply.say(f"That's every routine I have for your {region_name(state.body_region)}. "
                      "Here is my first suggestion again.")
            offer_routine(state, kb, reply)
            return
        reply.say(search.note or "I couldn't find a routine for that.")
        state.awaiting = None
        return
    if alternatives:
        state.awaiting = "alternatives"
        options = search.matches[:3]
        state.offered = list(dict.fromkeys(state.offered + [m.routine.id for m in options]))
        lines = [f"{i}. {m.routine.title} ({EQUIPMENT_NAMES[m.routine.equipment]}, "
                 f"{m.routine.total_steps} steps, about {m.routine.duration_minutes} min)"
                 for i, m in enumerate(options, start=1)]
        reply.say("Here are other options:\n" + "\n".join(lines),
                  [button(m.routine.title, '/choose_routine{"routine_id":"%s"}' % m.routine.id) for m in options])
        return
    if search.note:
        reply.say(search.note)
    best = search.best
    state.offered = list(dict.fromkeys(state.offered + [best.routine.id]))
    state.awaiting = "offer"
    r = best.routine
    why = "; it ".join(best.reasons)
    notes = gentle_notes(state, kb)
    caution = (" Because of " + ", ".join(n.lower() for n in notes) +
               ", keep the pressure light (about 3 out of 10) and stop if anything feels wrong.") if notes else ""
    reply.say(f"I suggest **{r.title}** ({r.total_steps} steps, about {r.duration_minutes} min). "
              f"It {why}.{caution}",
              [button("Start it", "/affirm"), button("Show alternatives", "/request_alternatives")])


def start_routine(state: DialogueState, kb: KnowledgeBase, reply: Reply, routine_id: str) -> None:
    routine = kb.routine(routine_id)
    if routine is None:
        reply.say("I couldn't find that routine, so here is my best suggestion.")
        offer_routine(state, kb, reply)
        return
    if routine.region in state.avoid_regions:
        reply.say(f"I'd rather not guide massage on your {region_name(routine.region)} for now.")
        return
    if routine.equipment in excluded_equipment(state, kb):
        reply.say("I'd rather not use a massage gun for you, for the reason above. "
                  "Here is another option.")
        state.equipment = None if state.equipment == "massage_gun" else state.equipment
        offer_routine(state, kb, reply)
        return
    state.routine_id, state.step_index = routine.id, 1
    state.body_region = routine.region
    state.awaiting = "step"
    reply.custom({"type": "routine", "id": routine.id, "title": routine.title, "region": routine.region,
                  "equipment": routine.equipment, "steps": routine.total_steps})
    reply.say(f"Let's start **{routine.title}**. {routine.summary} Go at your own pace and "
              "tap Done when you finish each step.")
    show_step(state, kb, reply)


def step_text(routine: RoutineView, index: int) -> str:
    step = routine.step(index)
    amount = []
    if step.seconds:
        amount.append(f"{step.seconds} seconds")
    if step.reps:
        amount.append(f"{step.reps} reps")
    return (f"Step {index} of {routine.total_steps} ({' / '.join(amount)}): {step.position} {step.action}\n"
            f"Pressure: {step.pressure}\nAvoid: {step.avoid}")


def show_step(state: DialogueState, kb: KnowledgeBase, reply: Reply, note: str = "") -> None:
    routine = kb.routine(state.routine_id) if state.routine_id else None
    if routine is None or not state.step_index:
        _reset_routine(state)
        advance(state, kb, reply)
        return
    index = max(1, min(state.step_index, routine.total_steps))
    state.step_index = index
    state.awaiting = "step"
    reply.say((note + "\n" if note else "") + step_text(routine, index), STEP_BUTTONS)
    reply.custom({"type": "step", "routine": routine.id, "index": index, "total": routine.total_steps,
                  "seconds": routine.step(index).seconds})


def step_control(state: DialogueState, kb: KnowledgeBase, reply: Reply, command: str) -> None:
    """next, repeat, back, skip, stop (or pause)."""
    if state.emergency:
        emergency_reminder(state, kb, reply)
        return
    if not state.in_routine:
        if command in ("next", "repeat") and state.awaiting == "offer" and state.offered:
            start_routine(state, kb, reply, state.offered[-1])
            return
        if command == "stop":
            reply.say("OK, nothing is running. Tell me where you're sore whenever you like.")
            state.awaiting = None
            return
        reply.say("We're not in a routine right now.")
        reprompt(state, kb, reply)
        return
    routine = kb.routine(state.routine_id)
    if state.awaiting == "stopped" and command in ("next", "repeat"):
        show_step(state, kb, reply, "Picking up where we left off.")
        return
    if command == "stop":
        state.awaiting = "stopped"
        reply.say(f"Paused at step {state.step_index} of {routine.total_steps}. Say 'continue' when you're "
                  "ready, or tell me about another sore spot.",
                  [button("Continue", "/affirm"), button("End the routine", "/deny")])
        return
    if command == "repeat":
        show_step(state, kb, reply)
        return
    if command == "back":
        if state.step_index <= 1:
            show_step(state, kb, reply, "This is the first step.")
        else:
            state.step_index -= 1
            show_step(state, kb, reply)
        return
    if state.step_index >= routine.total_steps:
        finish_routine(state, kb, reply, routine)
        return
    state.step_index += 1
    show_step(state, kb, reply, "Skipped. " if command == "skip" else "")


def finish_routine(state: DialogueState, kb: KnowledgeBase, reply: Reply, routine: RoutineView) -> None:
    reply.custom({"type": "routine_done", "routine": routine.id})
    if state.sender_id:
        kb.record_completion(state.sender_id, routine.id)
    reply.say(f"Well done, that's **{routine.title}** finished. To finish, a movement: "
              f"**{routine.closing_name}**. {routine.closing_instructions}\n"
              f"How often: {routine.frequency} ({routine.dose}). Evidence: {routine.evidence_label} "
              f"({routine.evidence_source}).")
    _reset_routine(state)
    state.offered = []
    if state.queued_regions:
        nxt = state.queued_regions[0]
        reply.say(f"You mentioned your {region_name(nxt)} too. Shall we do that next?", YES_NO)
    else:
        reply.say("Would you like a routine for another area?", YES_NO)
    state.awaiting = "another_region"


def resume(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    if state.in_routine:
        show_step(state, kb, reply, "Picking up where we left off.")
    else:
        advance(state, kb, reply)


# --------------------------------------------------------------------------- yes and no
def affirm(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    awaiting = state.awaiting
    if state.emergency:
        emergency_reminder(state, kb, reply)
    elif awaiting == "screening":
        answer_screening(state, kb, reply, yes=True)
    elif awaiting == "screening_which":
        screening = kb.screening_for(state.body_region)
        reply.say("Please tap the one that fits, so I can point you to the right help.",
                  [button(label, '/report_red_flag{"red_flag":"%s"}' % flag) for flag, label in screening.items]
                  + [button("None of these", "/deny")])
    elif awaiting == "offer" and state.offered:
        start_routine(state, kb, reply, state.offered[-1])
    elif awaiting in ("step", "stopped"):
        if awaiting == "stopped":
            show_step(state, kb, reply, "Welcome back.")
        else:
            step_control(state, kb, reply, "next")
    elif awaiting == "soon_choice":
        reply.say("OK, gently then: keep the pressure light and stay away from the area that worried you.")
        state.awaiting = None
        if state.body_region in state.avoid_regions:
            state.body_region = None
        state.equipment = state.equipment if state.equipment != "massage_gun" else None
        advance(state, kb, reply)
    elif awaiting == "another_region":
        state.body_region = state.queued_regions.pop(0) if state.queued_regions else None
        state.awaiting = None
        advance(state, kb, reply)
    elif awaiting == "activity":
        reply.say("Which activity was it? For example running, lifting or cycling.", ACTIVITY_BUTTONS)
    elif awaiting in ("equipment", "region"):
        reprompt(state, kb, reply)
    else:
        reply.say("Great!")
        advance(state, kb, reply)


def deny(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    awaiting = state.awaiting
    if state.emergency:
        emergency_reminder(state, kb, reply)
    elif awaiting in ("screening", "screening_which"):
        if awaiting == "screening_which":
            state.awaiting = "screening"
        answer_screening(state, kb, reply, yes=False)
    elif awaiting == "offer":
        offer_routine(state, kb, reply, alternatives=True)
    elif awaiting == "activity":
        state.awaiting = None
        reply.say("No problem.")
        advance(state, kb, reply)
    elif awaiting == "equipment":
        reply.say("No kit needed: we'll use your hands.")
        state.equipment = "hands"
        advance(state, kb, reply)
    elif awaiting == "stopped":
        _reset_routine(state)
        state.awaiting = "another_region"
        reply.say("OK, routine ended. Would you like a routine for another area?", YES_NO)
    elif awaiting == "soon_choice":
        state.awaiting = None
        reply.say("Understood. Please do book that appointment, and come back any time.")
    elif awaiting == "another_region":
        state.awaiting = None
        state.queued_regions = []
        reply.say("OK! Take it easy, drink some water, and keep moving gently. Come back any time.")
    elif awaiting == "step":
        show_step(state, kb, reply, "No rush. Here's the step again.")
    else:
        reply.say("OK.")
        reprompt(state, kb, reply)


# --------------------------------------------------------------------------- re-asking
def reprompt(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    """Asks the pending question again, so the user never hits a dead end."""
    awaiting = state.awaiting
    if state.emergency:
        emergency_reminder(state, kb, reply)
    elif awaiting in ("step",) and state.in_routine:
        show_step(state, kb, reply)
    elif awaiting == "stopped":
        reply.say("Your routine is paused. Continue?", [button("Continue", "/affirm"), button("End it", "/deny")])
    elif awaiting == "offer" and state.offered:
        routine = kb.routine(state.offered[-1])
        reply.say(f"Shall we start **{routine.title}**?",
                  [button("Start it", "/affirm"), button("Show alternatives", "/request_alternatives")])
    elif awaiting == "region":
        reply.say("Where are you sore?", REGION_BUTTONS)
    elif awaiting == "activity":
        reply.say("What training did you do? (or skip)", ACTIVITY_BUTTONS)
    elif awaiting == "equipment":
        reply.utter("ask_equipment", EQUIPMENT_BUTTONS)
    elif awaiting in ("screening", "screening_which") and state.body_region:
        state.awaiting = None
        ask_screening(state, kb, reply)
    elif awaiting in ("another_region", "soon_choice"):
        reply.say("Shall we carry on with another area?", YES_NO)
    elif awaiting == "alternatives" and state.offered:
        reply.say("Pick one of the options above, or say 'start' for my first suggestion.")
    elif state.body_region and not state.referred_today:
        advance(state, kb, reply)


NO_KIT = re.compile(r"\b(?:nothing|none|nada|zilch|no(?:ne)? (?:kit|equipment|gear|tools?))\b", re.IGNORECASE)


def handle_unanswered(state: DialogueState, kb: KnowledgeBase, reply: Reply, text: str = "") -> None:
    """The user said something about their pain but not what was asked."""
    if state.awaiting == "equipment":
        if NO_KIT.search(text or ""):
            state.equipment = "hands"
            advance(state, kb, reply)
            return
        state.reasks += 1
        if state.reasks > MAX_REASKS:
            reply.say("Let's keep it simple and use your hands: no kit needed.")
            state.equipment = "hands"
            state.reasks = 0
            advance(state, kb, reply)
            return
        reply.say("What do you have to hand?", [*EQUIPMENT_BUTTONS])
        return
    if state.awaiting == "activity":
        state.awaiting = None
        advance(state, kb, reply)
        return
    if state.awaiting == "region" or not state.body_region:
        ask_region(state, reply)
        return
    reprompt(state, kb, reply)


def suggest_for_other_area(state: DialogueState, kb: KnowledgeBase, reply: Reply, area_id: str) -> bool:
    """'my knee hurts': no knee routine, so say why and offer the muscles around it."""
    found = kb.other_area(area_id)
    if found is None:
        return False
    message, regions = found
    state.awaiting = "region"
    reply.say(message, [button(REGION_NAMES[r].capitalize(), '/inform{"body_region":"%s"}' % r) for r in regions])
    return True


# --------------------------------------------------------------------------- safety
def _level_text(level: str, advice: str, crisis: bool) -> str:
    if crisis:
        return ("I'm really sorry you're feeling this way, and I'm glad you told me. You deserve support "
                f"right now. If you might act on these thoughts, call {EMERGENCY_NUMBERS} now. You can also "
                "talk to someone any time: call or text 988 in the US, or call Samaritans on 116 123 in the UK "
                "(free, day or night). If you can, reach out to someone you trust and stay with them.")
    if level == "emergency_now":
        call = "" if "999" in advice else f"Please call {EMERGENCY_NUMBERS} now. "
        return (f"⚠️ This needs emergency help now. {call}{advice} If you can't call, ask someone near you to, "
                "or get someone to take you to A&E / the ER. Please don't do any self-massage or stretching.")
    if level == "urgent_24h":
        return (f"Please get seen by a doctor or urgent care today (in the UK, NHS 111 can direct you). {advice} "
                "I'll stop the massage guidance for now. If I misunderstood, just tell me.")
    return (f"I'd recommend booking an appointment with a doctor or physiotherapist in the next few days. {advice}")


def raise_triage(state: DialogueState, kb: KnowledgeBase, reply: Reply, new_flags: list[str]) -> None:
    """Sends the referral warning for the user's flags, at the most urgent level so far."""
    flags = list(dict.fromkeys(state.red_flags + list(new_flags)))
    decision = kb.triage(flags)
    current = state.triage_level or "self_care"
    if decision.level == "self_care":
        # Only weak cues so far: nothing to warn about yet.
        state.red_flags = flags
        advance(state, kb, reply)
        return
    level = decision.level if LEVEL_ORDER.index(decision.level) >= LEVEL_ORDER.index(current) else current
    state.red_flags = flags
    state.triage_level = level
    crisis = decision.crisis and level == "emergency_now"
    reply.custom({"type": "triage", "level": level, "flags": list(decision.flags), "advice": decision.advice})
    reply.say(_level_text(level, decision.advice, crisis))
    if state.in_routine or level != "soon":
        _reset_routine(state)
    if level in ("emergency_now", "urgent_24h"):
        state.awaiting = "emergency" if level == "emergency_now" else None
        return
    if state.body_region and state.body_region not in state.avoid_regions:
        state.avoid_regions = state.avoid_regions + [state.body_region]
    state.awaiting = "soon_choice"
    reply.say("In the meantime, would you like some gentle self-care for a different, unaffected area?", YES_NO)


def emergency_reminder(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    decision = kb.triage(state.red_flags)
    crisis = decision.crisis
    reply.custom({"type": "triage", "level": "emergency_now", "flags": list(decision.flags), "advice": decision.advice})
    if crisis:
        reply.say(_level_text("emergency_now", decision.advice, True))
    else:
        reply.say(f"I can't help with self-massage now, because what you described needs emergency care. "
                  f"Please call {EMERGENCY_NUMBERS} now. {decision.advice}")


def urgent_reminder(state: DialogueState, reply: Reply) -> None:
    reply.say("Because of what you told me earlier, please get seen by a doctor or urgent care today before "
              "doing any self-massage. If I misunderstood, tell me (for example 'I meant I have no fever').")


def correct_flags(state: DialogueState, kb: KnowledgeBase, reply: Reply, negated: list[str]) -> None:
    """The user takes back a flag. Allowed below emergency_now only."""
    if state.emergency:
        reply.say("I understand, but to be safe I can't go on after what you described earlier.")
        emergency_reminder(state, kb, reply)
        return
    withdrawn = [f for f in negated if f in state.red_flags]
    if not withdrawn:
        reply.say("Thanks for clarifying.")
        advance(state, kb, reply) if state.awaiting != "step" else show_step(state, kb, reply)
        return
    state.red_flags = [f for f in state.red_flags if f not in withdrawn]
    decision = kb.triage(state.red_flags)
    state.triage_level = decision.level
    if decision.level == "self_care":
        state.avoid_regions = []
        reply.say("Thanks for clarifying, I've set that aside. If it does happen, please get help straight away.")
        state.awaiting = None
        advance(state, kb, reply)
    else:
        reply.say("Thanks for clarifying. Because of the other things you mentioned, my advice still stands.")
        reply.custom({"type": "triage", "level": decision.level, "flags": list(decision.flags), "advice": decision.advice})


# --------------------------------------------------------------------------- choosing
ORDINALS = {"first": 1, "1st": 1, "one": 1, "1": 1, "second": 2, "2nd": 2, "two": 2, "2": 2,
            "third": 3, "3rd": 3, "three": 3, "3": 3}


def routine_from_words(state: DialogueState, kb: KnowledgeBase, text: str) -> Optional[str]:
    """Which offered routine 'the second one' or 'the roller one' means."""
    if not state.offered:
        return None
    words = re.findall(r"[a-z0-9]+", (text or "").lower())
    for word in words:
        if word in ORDINALS and ORDINALS[word] <= len(state.offered[-3:]):
            return state.offered[-3:][ORDINALS[word] - 1]
    for routine_id in reversed(state.offered):
        routine = kb.routine(routine_id)
        if routine and any(w in routine.equipment.split("_") or w in routine.title.lower().split() for w in words if len(w) > 3):
            return routine_id
    return None

"""What the assistant says next, decided from the dialogue state and the knowledge base.

Plain Python: every function takes a DialogueState, a KnowledgeBase and a Reply,
changes the state and adds messages. The Rasa actions are thin wrappers around it.
"""
from __future__ import annotations

import re
from typing import Iterable, Optional

from knowledge.facts import equipment_names, region_names
from knowledge.query import KnowledgeBase, RoutineView

from . import progress_flow, safety_flow
from .state import YES_NO, Awaiting, DialogueState, Reply, button
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
def region_buttons(limit: int | None = None) -> list[dict]:
    """One button per region of the content, in its order."""
    return [button(name.capitalize(), '/inform{"body_region":"%s"}' % region)
            for region, name in list(region_names().items())[:limit]]


def kit_name(equipment: str) -> str:
    """'the foam roller', 'your hands'."""
    return "your hands" if equipment == "hands" else f"the {equipment_names().get(equipment, equipment)}"
ACTIVITY_BUTTONS = [
    button("Running", '/inform{"activity":"running"}'),
    button("Lifting", '/inform{"activity":"weightlifting"}'),
    button("Cycling", '/inform{"activity":"cycling"}'),
    button("HIIT / classes", '/inform{"activity":"hiit"}'),
    button("Desk work", '/inform{"activity":"desk_work"}'),
    button("Skip this", "/deny"),
]
MAX_REASKS = 2


def region_name(region: Optional[str]) -> str:
    return region_names().get(region or "", region or "that area")


# --------------------------------------------------------------------------- user info
def apply_user_info(state: DialogueState, entities: Iterable[dict], kb: KnowledgeBase, reply: Reply) -> bool:
    """Takes regions, activity, equipment and contraindications from one message.

    A new region replaces the old one (a correction) and ends any routine; further
    regions in the same message are queued for later. Returns True if anything changed.
    """
    entities = [e for e in entities if e.get("role") != "not"]
    regions = list(dict.fromkeys(e["value"] for e in entities if e.get("entity") == "body_region" and e.get("value") in region_names()))
    activities = [e["value"] for e in entities if e.get("entity") == "activity"]
    kit = [e["value"] for e in entities if e.get("entity") == "equipment" and e.get("value") in equipment_names()]
    contraindications = [e["value"] for e in entities if e.get("entity") == "contraindication"]
    changed = False
    if regions:
        first, rest = regions[0], regions[1:]
        if first != state.body_region:
            if state.in_routine:
                reply.say(f"No problem, let's switch to your {region_name(first)}.")
            end_routine(state)
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
            reply.say(f"Sure, let's use {kit_name(kit[-1])} instead.")
            end_routine(state)
        state.equipment = kit[-1]
        state.offered = []
        changed = True
    new_contra = [c for c in dict.fromkeys(contraindications) if c not in state.contraindications]
    if new_contra:
        state.contraindications = state.contraindications + new_contra
        for item in kb.contraindications(new_contra):
            reply.say(item.message)
            if item.effect == "avoid_area" and state.body_region and state.body_region not in state.contra_regions:
                state.contra_regions = state.contra_regions + [state.body_region]
        if state.in_routine:
            end_routine(state)
        state.offered = []
        changed = True
    if changed:
        state.reasks = 0
    return changed


def end_routine(state: DialogueState) -> None:
    """No routine in progress any more (the contract's routine_id and step_index are null)."""
    state.routine_id = None
    state.step_index = None
    state.paused_routine = None
    state.paused_step = None


def pause_routine(state: DialogueState) -> None:
    """Keeps the routine to resume in internal slots; the contract's slots become null."""
    state.paused_routine, state.paused_step = state.routine_id, state.step_index
    state.routine_id = state.step_index = None


def unpause_routine(state: DialogueState) -> bool:
    if not state.paused_routine:
        return False
    state.routine_id, state.step_index = state.paused_routine, state.paused_step or 1
    state.paused_routine = state.paused_step = None
    return True


def _user_contraindications(state: DialogueState, kb: KnowledgeBase):
    return kb.contraindications(state.contraindications)


def excluded_equipment(state: DialogueState, kb: KnowledgeBase) -> set[str]:
    """No massage gun with blood thinners or pregnancy (no_massage_gun), nor when only gentle
    pressure is safe (gentle_only: osteoporosis, neuropathy, varicose veins)."""
    return {"massage_gun" for c in _user_contraindications(state, kb) if c.effect in ("no_massage_gun", "gentle_only")}


def excluded_for_routines(state: DialogueState, kb: KnowledgeBase) -> set[str]:
    """The user's conditions that rule out a routine which lists them among its own
    contraindications. Conditions of one area (an open wound) rule out that area instead."""
    return {c.id for c in _user_contraindications(state, kb) if c.effect != "avoid_area"}


def gentle_notes(state: DialogueState, kb: KnowledgeBase) -> list[str]:
    return [c.title for c in _user_contraindications(state, kb) if c.effect == "gentle_only"]


# --------------------------------------------------------------------------- the next step
def advance(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    """Asks the first pending safety question, then the first missing piece, or offers the
    best routine."""
    if state.emergency:
        safety_flow.emergency_reminder(state, kb, reply)
        return
    if state.referred_today:
        safety_flow.urgent_reminder(state, reply)
        return
    if safety_flow.safety_gate(state, kb, reply):
        return
    if not state.body_region:
        ask_region(state, reply)
        return
    if state.body_region in state.ruled_out_regions:
        reply.say(f"I'd rather not guide massage on your {region_name(state.body_region)} for now, "
                  "for the reason above. Is there another area that feels sore?", region_buttons(6))
        state.body_region = None
        state.awaiting = Awaiting.REGION
        return
    screening = safety_flow.needs_region_screening(state, kb)
    if screening is not None:
        safety_flow.ask_screening(state, reply, screening)
        return
    if not state.activity and not state.activity_asked:
        state.activity_asked = True
        state.awaiting = Awaiting.ACTIVITY
        reply.utter("ask_activity", ACTIVITY_BUTTONS)
        return
    if not state.equipment:
        state.awaiting = Awaiting.EQUIPMENT
        reply.utter("ask_equipment", EQUIPMENT_BUTTONS)
        return
    offer_routine(state, kb, reply)


def ask_region(state: DialogueState, reply: Reply) -> None:
    if state.awaiting == Awaiting.REGION:
        state.reasks += 1
    else:
        state.reasks = 0
    state.awaiting = Awaiting.REGION
    if state.reasks >= 1:
        reply.say("Which area is sore? Tap one, or describe it in your own words "
                  "(for example 'between my shoulder blades').", region_buttons())
    else:
        reply.utter("ask_region")


# --------------------------------------------------------------------------- routines
def offer_routine(state: DialogueState, kb: KnowledgeBase, reply: Reply, *, alternatives: bool = False) -> None:
    """Offers the best routine, or with `alternatives` up to three others as buttons."""
    repeat, avoid = progress_flow.history_advice(state, kb)
    search = kb.find_routines(state.body_region, state.activity, state.equipment,
                              exclude_equipment=excluded_equipment(state, kb),
                              exclude_contraindicated=excluded_for_routines(state, kb),
                              exclude_ids=list(state.offered if alternatives else ()) + list(avoid),
                              any_equipment=alternatives)
    if not search.matches and avoid:  # nothing else left: the history must not leave the user with nothing
        search = kb.find_routines(state.body_region, state.activity, state.equipment,
                                  exclude_equipment=excluded_equipment(state, kb),
                                  exclude_contraindicated=excluded_for_routines(state, kb),
                                  exclude_ids=state.offered if alternatives else (), any_equipment=alternatives)
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
        state.awaiting = Awaiting.ALTERNATIVES
        options = search.matches[:3]
        state.offered = list(dict.fromkeys(state.offered + [m.routine.id for m in options]))
        lines = [f"{i}. {m.routine.title} ({equipment_names()[m.routine.equipment]}, "
                 f"{m.routine.total_steps} steps, about {m.routine.duration_minutes} min)"
                 for i, m in enumerate(options, start=1)]
        reply.say("Here are other options:\n" + "\n".join(lines),
                  [button(m.routine.title, '/choose_routine{"routine_id":"%s"}' % m.routine.id) for m in options])
        return
    if search.note:
        reply.say(search.note)
    best = search.best
    helped = next((m for m in search.matches if m.routine.id == repeat), None)
    if helped is not None:
        best = helped
    elif avoid:
        reply.say("Last time's routine didn't change much, so let's try a different one.")
    state.offered = list(dict.fromkeys(state.offered + [best.routine.id]))
    state.awaiting = Awaiting.OFFER
    r = best.routine
    why = "; it ".join(best.reasons + (("helped you last time",) if helped is not None else ()))
    notes = gentle_notes(state, kb)
    caution = (" Because of " + ", ".join(n.lower() for n in notes) +
               ", keep the pressure light (about 3 out of 10) and stop if anything feels wrong.") if notes else ""
    reply.say(f"I suggest **{r.title}** ({r.total_steps} steps, about {r.duration_minutes} min). "
              f"It {why}.{caution}",
              [button("Start it", "/affirm"), button("Show alternatives", "/request_alternatives")])


def start_routine(state: DialogueState, kb: KnowledgeBase, reply: Reply, routine_id: str) -> None:
    """Starts a routine, asking first how sore it is (0-10) unless the user turned that off."""
    if safety_flow.safety_gate(state, kb, reply):
        return
    if kb.routine(routine_id) is not None and progress_flow.asks_about_pain(state, kb):
        progress_flow.ask_before(state, reply, routine_id)
        return
    begin_routine(state, kb, reply, routine_id)


def begin_routine(state: DialogueState, kb: KnowledgeBase, reply: Reply, routine_id: str,
                  before: Optional[int] = None) -> None:
    routine = kb.routine(routine_id)
    if routine is None:
        reply.say("I couldn't find that routine, so here is my best suggestion.")
        offer_routine(state, kb, reply)
        return
    if routine.region in state.ruled_out_regions:
        reply.say(f"I'd rather not guide massage on your {region_name(routine.region)} for now.")
        return
    if routine.equipment in excluded_equipment(state, kb) or \
            set(routine.contraindications) & excluded_for_routines(state, kb):
        reply.say("I'd rather not use that routine for you, for the reason above. Here is another option.")
        state.equipment = None if state.equipment == "massage_gun" else state.equipment
        offer_routine(state, kb, reply)
        return
    state.routine_id, state.step_index = routine.id, 1
    state.body_region = routine.region
    state.awaiting = Awaiting.STEP
    progress_flow.record_start(state, kb, routine, before)
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
        if state.routine_id:
            reply.say("That routine is no longer available (the content was updated), so let's pick another.")
        end_routine(state)
        advance(state, kb, reply)
        return
    index = max(1, min(state.step_index, routine.total_steps))
    state.step_index = index
    state.awaiting = Awaiting.STEP
    reply.say((note + "\n" if note else "") + step_text(routine, index), STEP_BUTTONS)
    reply.custom({"type": "step", "routine": routine.id, "index": index, "total": routine.total_steps,
                  "seconds": routine.step(index).seconds})


def step_control(state: DialogueState, kb: KnowledgeBase, reply: Reply, command: str) -> None:
    """next, repeat, back, skip, stop (a pause that can be resumed)."""
    if state.emergency:
        safety_flow.emergency_reminder(state, kb, reply)
        return
    if not state.in_routine:
        if state.paused_routine and command in ("next", "repeat", "back", "skip"):
            unpause_routine(state)
            show_step(state, kb, reply, "Picking up where we left off.")
            return
        if state.paused_routine and command == "stop":
            end_routine(state)
            state.awaiting = Awaiting.ANOTHER_REGION
            reply.say("OK, routine ended. Would you like a routine for another area?", YES_NO)
            return
        if command in ("next", "repeat") and state.awaiting == Awaiting.OFFER and state.offered:
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
    if routine is None:
        show_step(state, kb, reply)
        return
    if command == "stop":
        total = routine.total_steps
        step = state.step_index
        pause_routine(state)
        state.awaiting = Awaiting.STOPPED
        reply.say(f"Paused at step {step} of {total}. Say 'continue' when you're "
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
    reply.say(f"Well done, that's **{routine.title}** finished. To finish, a movement: "
              f"**{routine.closing_name}**. {routine.closing_instructions}\n"
              f"How often: {routine.frequency} ({routine.dose}). Evidence: {routine.evidence_label} "
              f"({routine.evidence_source}).")
    end_routine(state)
    state.offered = []
    if progress_flow.after_routine(state, kb, reply):
        return  # asked how sore it is now; the offer of another area follows the answer
    offer_another_area(state, reply)


def offer_another_area(state: DialogueState, reply: Reply) -> None:
    if state.queued_regions:
        nxt = state.queued_regions[0]
        reply.say(f"You mentioned your {region_name(nxt)} too. Shall we do that next?", YES_NO)
    else:
        reply.say("Would you like a routine for another area?", YES_NO)
    state.awaiting = Awaiting.ANOTHER_REGION


# What people say when a step hurts: sharp or nerve-like pain stops the step; too much
# pressure gets advice to ease off. Anything else mid-routine shows the step again.
NERVE_LIKE = re.compile(r"\b(?:sharp|stabbing|shooting|burn(?:s|ing)?|tingl\w*|pins and needles|numb\w*|electric\w*|"
                        r"zing\w*|nerve)\b", re.IGNORECASE)
TOO_MUCH = re.compile(r"\b(?:ouch|ow+|owww*|hurts?|hurting|painful|pain|too (?:much|hard|intense|strong|deep|sore)|"
                      r"agony|killing|unbearable|can'?t take|cant take|too sore|bit much|a lot|brutal|intense)\b",
                      re.IGNORECASE)


def step_feedback(state: DialogueState, kb: KnowledgeBase, reply: Reply, text: str) -> None:
    """Something said during a step that is not a command: how the pressure feels."""
    if NERVE_LIKE.search(text or ""):
        reply.utter("step_stop_sharp", [button("Skip this step", "/step_skip"), button("Stop", "/step_stop"),
                                        button("Show alternatives", "/request_alternatives")])
        return
    if TOO_MUCH.search(text or ""):
        reply.utter("step_ease_off")
        show_step(state, kb, reply)
        return
    show_step(state, kb, reply, "We're in the middle of a routine.")


def resume(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    """Back to what we were doing after an interruption (a question, a safety check)."""
    if state.in_routine:
        show_step(state, kb, reply, "Let's carry on.")
    elif state.paused_routine:
        state.awaiting = Awaiting.STOPPED
        reprompt(state, kb, reply)
    elif state.awaiting and not state.asking_safety_question:
        reprompt(state, kb, reply)
    else:
        advance(state, kb, reply)


# --------------------------------------------------------------------------- yes and no
def affirm(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    awaiting = state.awaiting
    if awaiting == Awaiting.WITHDRAW_CONFIRM:
        safety_flow.confirm_withdraw(state, kb, reply, True)
    elif awaiting == Awaiting.DELETE_CONFIRM:
        progress_flow.delete_data(state, kb, reply, True)
    elif awaiting in (Awaiting.RATE_BEFORE, Awaiting.RATE_AFTER):
        reply.say("Please give a number from 0 to 10, or skip.",
                  progress_flow.BEFORE_BUTTONS if awaiting == Awaiting.RATE_BEFORE else progress_flow.AFTER_BUTTONS)
    elif state.emergency:
        safety_flow.emergency_reminder(state, kb, reply)
    elif awaiting == Awaiting.SCREENING:
        safety_flow.answer_screening(state, kb, reply, yes=True)
    elif awaiting == Awaiting.SCREENING_WHICH:
        reply.say("Please tap the one that fits, so I can point you to the right help.")
        safety_flow.ask_which(safety_flow.current_screening(state, kb), reply)
    elif awaiting == Awaiting.OFFER and state.offered:
        start_routine(state, kb, reply, state.offered[-1])
    elif awaiting == Awaiting.STOPPED and state.paused_routine:
        unpause_routine(state)
        show_step(state, kb, reply, "Welcome back.")
    elif awaiting == Awaiting.STEP and state.in_routine:
        step_control(state, kb, reply, "next")
    elif awaiting == Awaiting.SOON_CHOICE:
        reply.say("OK, gently then: keep the pressure light and stay away from the area that worried you.")
        state.awaiting = None
        if state.body_region in state.ruled_out_regions:
            state.body_region = None
        state.equipment = state.equipment if state.equipment != "massage_gun" else None
        advance(state, kb, reply)
    elif awaiting == Awaiting.ANOTHER_REGION:
        state.body_region = state.queued_regions.pop(0) if state.queued_regions else None
        state.awaiting = None
        advance(state, kb, reply)
    elif awaiting == Awaiting.ACTIVITY:
        reply.say("Which activity was it? For example running, lifting or cycling.", ACTIVITY_BUTTONS)
    elif awaiting in (Awaiting.EQUIPMENT, Awaiting.REGION):
        reprompt(state, kb, reply)
    else:
        reply.say("Great!")
        advance(state, kb, reply)


def deny(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    awaiting = state.awaiting
    if awaiting == Awaiting.WITHDRAW_CONFIRM:
        safety_flow.confirm_withdraw(state, kb, reply, False)
    elif awaiting == Awaiting.DELETE_CONFIRM:
        progress_flow.delete_data(state, kb, reply, False)
    elif awaiting in (Awaiting.RATE_BEFORE, Awaiting.RATE_AFTER):
        progress_flow.skip_rating(state, kb, reply)
    elif state.emergency:
        safety_flow.emergency_reminder(state, kb, reply)
    elif awaiting in (Awaiting.SCREENING, Awaiting.SCREENING_WHICH):
        state.awaiting = Awaiting.SCREENING
        safety_flow.answer_screening(state, kb, reply, yes=False)
    elif awaiting == Awaiting.OFFER:
        offer_routine(state, kb, reply, alternatives=True)
    elif awaiting == Awaiting.ACTIVITY:
        state.awaiting = None
        reply.say("No problem.")
        advance(state, kb, reply)
    elif awaiting == Awaiting.EQUIPMENT:
        reply.say("No kit needed: we'll use your hands.")
        state.equipment = "hands"
        advance(state, kb, reply)
    elif awaiting == Awaiting.STOPPED:
        end_routine(state)
        state.awaiting = Awaiting.ANOTHER_REGION
        reply.say("OK, routine ended. Would you like a routine for another area?", YES_NO)
    elif awaiting == Awaiting.SOON_CHOICE:
        state.awaiting = None
        reply.say("Understood. Please do book that appointment, and come back any time.")
    elif awaiting == Awaiting.ANOTHER_REGION:
        state.awaiting = None
        state.queued_regions = []
        reply.say("OK! Take it easy, drink some water, and keep moving gently. Come back any time.")
    elif awaiting == Awaiting.STEP:
        show_step(state, kb, reply, "No rush. Here's the step again.")
    else:
        reply.say("OK.")
        reprompt(state, kb, reply)


# --------------------------------------------------------------------------- re-asking
def reprompt(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    """Asks the pending question again, so the user never hits a dead end."""
    awaiting = state.awaiting
    if awaiting == Awaiting.WITHDRAW_CONFIRM:
        safety_flow.ask_to_withdraw(state, kb, reply)
    elif awaiting == Awaiting.DELETE_CONFIRM:
        progress_flow.ask_to_delete(state, reply)
    elif awaiting == Awaiting.RATE_BEFORE and state.pending_routine:
        progress_flow.ask_before(state, reply, state.pending_routine)
    elif awaiting == Awaiting.RATE_AFTER:
        reply.say("How sore is it now, from 0 to 10?", progress_flow.AFTER_BUTTONS)
    elif state.emergency:
        safety_flow.emergency_reminder(state, kb, reply)
    elif awaiting == Awaiting.STEP and state.in_routine:
        show_step(state, kb, reply)
    elif awaiting == Awaiting.STOPPED:
        reply.say("Your routine is paused. Continue?", [button("Continue", "/affirm"), button("End it", "/deny")])
    elif awaiting == Awaiting.OFFER and state.offered:
        routine = kb.routine(state.offered[-1])
        reply.say(f"Shall we start **{routine.title}**?",
                  [button("Start it", "/affirm"), button("Show alternatives", "/request_alternatives")])
    elif awaiting == Awaiting.REGION:
        reply.say("Where are you sore?", region_buttons())
    elif awaiting == Awaiting.ACTIVITY:
        reply.say("What training did you do? (or skip)", ACTIVITY_BUTTONS)
    elif awaiting == Awaiting.EQUIPMENT:
        reply.utter("ask_equipment", EQUIPMENT_BUTTONS)
    elif awaiting == Awaiting.SCREENING_WHICH and safety_flow.current_screening(state, kb):
        safety_flow.ask_which(safety_flow.current_screening(state, kb), reply)
    elif awaiting == Awaiting.SCREENING and safety_flow.current_screening(state, kb):
        safety_flow.ask_screening(state, reply, safety_flow.current_screening(state, kb))
    elif awaiting in (Awaiting.ANOTHER_REGION, Awaiting.SOON_CHOICE):
        reply.say("Shall we carry on with another area?", YES_NO)
    elif awaiting == Awaiting.ALTERNATIVES and state.offered:
        reply.say("Pick one of the options above, or say 'start' for my first suggestion.")
    elif state.body_region and not state.referred_today:
        advance(state, kb, reply)


# An answer to "what do you have to hand?" that means nothing: "nothin lol", "none", "I not have
# anything", "don't have any special equipment".
NO_KIT = re.compile(r"(?:\b(?:nothing|nothin|none|nada|zilch|no(?:ne)? (?:kit|equipment|gear|tools?))|"
                    r"(?:\bnot|n't|\bdont|\bno) (?:have|got|own) (?:got )?any(?:thing|thin)?)\b", re.IGNORECASE)


def handle_unanswered(state: DialogueState, kb: KnowledgeBase, reply: Reply, text: str = "") -> None:
    """The user said something about their pain but not what was asked."""
    if state.awaiting == Awaiting.EQUIPMENT:
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
    if state.awaiting == Awaiting.ACTIVITY:
        state.awaiting = None
        advance(state, kb, reply)
        return
    if state.awaiting == Awaiting.REGION or not state.body_region:
        ask_region(state, reply)
        return
    reprompt(state, kb, reply)


def suggest_for_other_area(state: DialogueState, kb: KnowledgeBase, reply: Reply, area_id: str) -> bool:
    """'my knee hurts': no knee routine, so say why and offer the muscles around it."""
    found = kb.other_area(area_id)
    if found is None:
        return False
    message, regions = found
    state.awaiting = Awaiting.REGION
    reply.say(message, [button(region_name(r).capitalize(), '/inform{"body_region":"%s"}' % r) for r in regions])
    return True


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

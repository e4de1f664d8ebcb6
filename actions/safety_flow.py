"""The safety side of the dialogue: safety questions, referral warnings, the emergency hold
and taking a flag back. Plain Python over a DialogueState, like actions/flow.py.

Ask, don't guess: a message that mentions a high-risk area (chest or heart, breathing, the
head, face, sight or speech, walking, a fall, a break) without clearly describing a red
flag earns one short safety question before anything else, whatever the conversation was
doing. Its answer decides the level.

One emergency policy for every channel: an emergency warning stays in force for that user
for EMERGENCY_HOLD_HOURS across new conversations (the web page's "New conversation", a
REST restart, the terminal). It can be lifted only by saying it was typed by mistake and
confirming it; the withdrawal is recorded.
"""
from __future__ import annotations

import re
from typing import Iterable, Optional

from knowledge.facts import emergency_numbers
from knowledge.query import LEVEL_ORDER, KnowledgeBase, ScreeningView

from . import flow
from .state import YES_NO, Awaiting, DialogueState, Reply, button

WITHDRAW_BUTTONS = [button("Yes, it was a mistake", "/affirm"), button("No, I do have it", "/deny")]

_YES = re.compile(r"^\W*(?:yes|yeah|yea|yep|yup|ya|yah|y|aye|sure|correct|right|affirmative|i do|i have|i did|"
                  r"i am|i think so|probably|maybe|possibly|kind of|kinda|sort of|a bit|a little|si|sí|oui|ja|tak|"
                  r"haan|ha|sim|evet|da|it does|it is|it did|true)\b", re.IGNORECASE)
_NO = re.compile(r"^\W*(?:no|nope|nah|naw|na|n|none|nothing|neither|not really|not at all|nothing like that|"
                 r"none of (?:these|those|them|that)|i don'?t|i do not|i haven'?t|i have not|it doesn'?t|"
                 r"it does not|it'?s not|it isn'?t|negative|nein|non|nie|não|nao|hayir|nahi|nope)\b",
                 re.IGNORECASE)
_MUSCULAR = re.compile(r"\b(?:just|only|simply|purely)\b.{0,30}\b(?:sore|stiff|tight|muscle|muscular|doms|"
                       r"ache|achy)\b", re.IGNORECASE)


def _opening_answer(text: str) -> Optional[bool]:
    if _NO.search(text):
        return False
    if _YES.search(text):
        return True
    return None


def yes_or_no(text: str) -> Optional[bool]:
    """A free-text answer to a yes/no safety question: True, False, or None if unclear.

    Doubt counts as yes ("maybe", "I think so"): when unsure, getting checked is safer."""
    text = (text or "").strip()
    if not text:
        return None
    answer = _opening_answer(text)
    if answer is None and _MUSCULAR.search(text):
        return False
    return answer


def leading_answer(text: str) -> Optional[bool]:
    """A statement that opens with yes or no ("no, it's just sore when I press on it") answers
    the pending question even when it also reads like a question about pressure or duration;
    a real question ("yes but how long?") is answered first instead."""
    text = (text or "").strip()
    return None if not text or "?" in text else _opening_answer(text)


# --------------------------------------------------------------------------- ask, don't guess
def note_concerns(state: DialogueState, kb: KnowledgeBase, areas: Iterable[str]) -> None:
    """Remembers the high-risk areas of this message that still need their safety question."""
    if state.emergency or state.referred_today:
        return
    for area in dict.fromkeys(areas):
        screening = kb.screening_for_area(area)
        if screening is None or screening.id in state.screened or screening.id == state.screening_id:
            continue
        if area not in state.pending_concerns:
            state.pending_concerns = state.pending_concerns + [area]


def safety_gate(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> bool:
    """Asks the first pending safety question, before anything else. True when it did."""
    if state.emergency or state.referred_today or state.asking_safety_question:
        return False
    while state.pending_concerns:
        area = state.pending_concerns[0]
        screening = kb.screening_for_area(area)
        if screening is None or screening.id in state.screened:
            state.pending_concerns = state.pending_concerns[1:]
            continue
        ask_screening(state, reply, screening)
        return True
    return False


def needs_region_screening(state: DialogueState, kb: KnowledgeBase) -> Optional[ScreeningView]:
    """The region's safety question, if it has not been asked in this conversation."""
    if state.triage_level in ("soon", "urgent_24h", "emergency_now") or not state.body_region:
        return None
    screening = kb.screening_for(state.body_region)
    return screening if screening is not None and screening.id not in state.screened else None


def ask_screening(state: DialogueState, reply: Reply, screening: ScreeningView, prefix: str = "") -> None:
    state.awaiting = Awaiting.SCREENING
    state.screening_id = screening.id
    reply.say(prefix + screening.question, YES_NO)


def current_screening(state: DialogueState, kb: KnowledgeBase) -> Optional[ScreeningView]:
    if state.screening_id:
        found = kb.screening(state.screening_id)
        if found is not None:
            return found
    return kb.screening_for(state.body_region) if state.body_region else None


def _mark_screened(state: DialogueState, screening: ScreeningView) -> None:
    state.screened = list(dict.fromkeys(state.screened + [screening.id]))
    state.pending_concerns = [a for a in state.pending_concerns if a not in screening.areas]
    state.screening_id = None


def answer_screening(state: DialogueState, kb: KnowledgeBase, reply: Reply, yes: bool) -> None:
    """The answer decides the level: "no" goes back to what we were doing, "yes" warns."""
    screening = current_screening(state, kb)
    if screening is None:
        state.awaiting = None
        flow.resume(state, kb, reply)
        return
    if not yes:
        _mark_screened(state, screening)
        if not state.triage_level:
            state.triage_level = "self_care"
        state.awaiting = None
        reply.say("Thanks, that's reassuring. If any of that starts, stop and get help straight away.")
        flow.resume(state, kb, reply)
        return
    flags = list(screening.flags_for_yes)
    levels = {kb.triage([flag]).level for flag in flags}
    if len(levels) == 1:
        _mark_screened(state, screening)
        raise_triage(state, kb, reply, flags)
        return
    state.awaiting = Awaiting.SCREENING_WHICH
    ask_which(screening, reply)


def ask_which(screening: ScreeningView, reply: Reply) -> None:
    reply.say("Thanks for telling me. Which of these is it? Tap the one that fits best.",
              [button(label, '/report_red_flag{"red_flag":"%s"}' % flag) for flag, label in screening.items]
              + [button("None of these", "/deny")])


def answer_screening_in_words(state: DialogueState, kb: KnowledgeBase, reply: Reply, text: str) -> None:
    """A typed answer that is neither a button nor a clear "yes"/"no" intent."""
    answer = yes_or_no(text)
    if answer is not None and state.awaiting == Awaiting.SCREENING:
        answer_screening(state, kb, reply, answer)
        return
    if answer is False and state.awaiting == Awaiting.SCREENING_WHICH:
        state.awaiting = Awaiting.SCREENING
        answer_screening(state, kb, reply, False)
        return
    screening = current_screening(state, kb)
    if screening is None:
        state.awaiting = None
        flow.resume(state, kb, reply)
        return
    if state.awaiting == Awaiting.SCREENING_WHICH:
        reply.say("Please tap the one that fits, so I can point you to the right help.")
        ask_which(screening, reply)
        return
    ask_screening(state, reply, screening, prefix="To be safe I need a yes or a no first. ")


# --------------------------------------------------------------------------- warnings
def _level_text(level: str, advice: str, crisis: bool) -> str:
    if crisis:
        return ("I'm really sorry you're feeling this way, and I'm glad you told me. You deserve support "
                f"right now. If you might act on these thoughts, call {emergency_numbers()} now. You can also "
                "talk to someone any time: call or text 988 in the US, or call Samaritans on 116 123 in the UK "
                "(free, day or night). If you can, reach out to someone you trust and stay with them.")
    if level == "emergency_now":
        call = "" if emergency_numbers().split()[0] in advice else f"Please call {emergency_numbers()} now. "
        return (f"⚠️ This needs emergency help now. {call}{advice} If you can't call, ask someone near you to, "
                "or get someone to take you to A&E / the ER. Please don't do any self-massage or stretching.")
    if level == "urgent_24h":
        return (f"Please get seen by a doctor or urgent care today (in the UK, NHS 111 can direct you). {advice} "
                "I'll stop the massage guidance for now. If I misunderstood, just tell me.")
    return f"I'd recommend booking an appointment with a doctor or physiotherapist in the next few days. {advice}"


def raise_triage(state: DialogueState, kb: KnowledgeBase, reply: Reply, new_flags: list[str]) -> None:
    """Sends the referral warning for the user's flags, at the most urgent level so far."""
    flags = list(dict.fromkeys(state.red_flags + list(new_flags)))
    decision = kb.triage(flags)
    current = state.triage_level or "self_care"
    if decision.level == "self_care":
        # Only weak cues so far: nothing to warn about yet.
        state.red_flags = flags
        flow.advance(state, kb, reply)
        return
    level = decision.level if LEVEL_ORDER.index(decision.level) >= LEVEL_ORDER.index(current) else current
    state.red_flags = flags
    state.triage_level = level
    state.pending_concerns = []
    if state.screening_id:  # a symptom answered the safety question being asked
        state.screened = list(dict.fromkeys(state.screened + [state.screening_id]))
        state.screening_id = None
    crisis = decision.crisis and level == "emergency_now"
    reply.custom({"type": "triage", "level": level, "flags": list(decision.flags), "advice": decision.advice})
    reply.say(_level_text(level, decision.advice, crisis))
    if state.user_key or state.sender_id:
        kb.progress.record_triage(state.user_key or state.sender_id, level, decision.flags, decision.advice)
    if not crisis:
        reply.say("If it helps, I can make a one-page summary to show a doctor or physiotherapist.",
                  [button("Summary for my doctor", "/request_summary")])
    if state.in_routine or level != "soon":
        flow.end_routine(state)
    if level == "emergency_now":
        state.awaiting = Awaiting.EMERGENCY
        if state.user_key:
            kb.record_emergency(state.user_key, list(decision.flags), decision.advice)
        return
    if level == "urgent_24h":
        state.awaiting = None
        return
    if state.body_region and state.body_region not in state.avoid_regions:
        state.avoid_regions = state.avoid_regions + [state.body_region]
    state.awaiting = Awaiting.SOON_CHOICE
    reply.say("In the meantime, would you like some gentle self-care for a different, unaffected area?", YES_NO)


def emergency_reminder(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    decision = kb.triage(state.red_flags)
    reply.custom({"type": "triage", "level": "emergency_now", "flags": list(decision.flags), "advice": decision.advice})
    if decision.crisis:
        reply.say(_level_text("emergency_now", decision.advice, True))
    else:
        reply.say(f"I can't help with self-massage now, because what you described needs emergency care. "
                  f"Please call {emergency_numbers()} now. {decision.advice} If you typed that by mistake, "
                  "tell me (for example 'that was a mistake').")


def urgent_reminder(state: DialogueState, reply: Reply) -> None:
    reply.say("Because of what you told me earlier, please get seen by a doctor or urgent care today before "
              "doing any self-massage. If I misunderstood, tell me (for example 'I meant I have no fever').")


# --------------------------------------------------------------------------- the emergency hold
def apply_emergency_hold(state: DialogueState, kb: KnowledgeBase) -> None:
    """Carries an emergency of the same user into this conversation, and lets an expired or
    withdrawn one go. Looked up once per conversation, and on every turn while in force."""
    if not state.user_key or (state.hold_checked and not state.emergency):
        return
    state.hold_checked = True
    hold = kb.active_emergency(state.user_key)
    if hold is not None and not state.emergency:
        state.triage_level = "emergency_now"
        state.red_flags = list(dict.fromkeys(state.red_flags + list(hold.flags)))
        state.awaiting = Awaiting.EMERGENCY
        flow.end_routine(state)
    elif hold is None and state.emergency and state.awaiting != Awaiting.WITHDRAW_CONFIRM \
            and kb.emergency_expired(state.user_key):
        # The hold ran out: go back to normal, but ask first rather than assume.
        state.triage_level = None
        state.red_flags = []
        state.awaiting = None


def ask_to_withdraw(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    """"That was a mistake": confirm before lifting an emergency, never silently."""
    decision = kb.triage(state.red_flags)
    titles = "; ".join(t.lower() for t in decision.titles) or "the symptoms you described"
    state.awaiting = Awaiting.WITHDRAW_CONFIRM
    reply.say(f"Just to be sure: you do NOT have any of this ({titles}), and what you wrote was a mistake? "
              f"If you do have it, please call {emergency_numbers()} now.", WITHDRAW_BUTTONS)


def confirm_withdraw(state: DialogueState, kb: KnowledgeBase, reply: Reply, confirmed: bool) -> None:
    if not confirmed:
        state.awaiting = Awaiting.EMERGENCY
        emergency_reminder(state, kb, reply)
        return
    if state.user_key:
        kb.withdraw_emergency(state.user_key, "the user confirmed the message was typed by mistake")
    state.triage_level = "self_care"
    state.red_flags = []
    state.avoid_regions = []
    state.awaiting = None
    reply.say("Thanks, I've noted that it was a mistake. If any of those symptoms do appear, call "
              f"{emergency_numbers()} straight away.")
    flow.advance(state, kb, reply)


def correct_flags(state: DialogueState, kb: KnowledgeBase, reply: Reply, negated: list[str]) -> None:
    """The user takes back a flag. An emergency is lifted only after confirmation."""
    if state.emergency:
        ask_to_withdraw(state, kb, reply)
        return
    withdrawn = [f for f in negated if f in state.red_flags]
    if not withdrawn:
        reply.say("Thanks for clarifying.")
        flow.resume(state, kb, reply)
        return
    state.red_flags = [f for f in state.red_flags if f not in withdrawn]
    decision = kb.triage(state.red_flags)
    state.triage_level = decision.level
    if decision.level == "self_care":
        # Areas ruled out by a red flag come back; those ruled out by a contraindication
        # (an open wound) stay ruled out.
        state.avoid_regions = []
        reply.say("Thanks for clarifying, I've set that aside. If it does happen, please get help straight away.")
        state.awaiting = None
        flow.advance(state, kb, reply)
    else:
        reply.say("Thanks for clarifying. Because of the other things you mentioned, my advice still stands.")
        reply.custom({"type": "triage", "level": decision.level, "flags": list(decision.flags), "advice": decision.advice})


def retract(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    """The user says what they wrote was a mistake: lift a warning (an emergency only after
    confirmation), or simply carry on."""
    if state.emergency:
        ask_to_withdraw(state, kb, reply)
    elif state.red_flags and state.triage_level in ("soon", "urgent_24h"):
        correct_flags(state, kb, reply, list(state.red_flags))
    else:
        reply.say("No problem.")
        flow.resume(state, kb, reply)

"""The user's progress in the dialogue: pain before and after a routine (0-10, optional and
skippable), "how am I doing?", the next offer adapted to what helped, a summary for a
clinician, and erasing the user's data. Plain Python over a DialogueState, like flow.py.
"""
from __future__ import annotations

import re
import secrets
from typing import Optional

from knowledge.facts import region_names
from knowledge.progress import meaningful, rules
from knowledge.query import KnowledgeBase

from . import flow, safety_flow
from .state import Awaiting, DialogueState, Reply, button

SKIP = "skip"
PAIN_BUTTONS = [button(str(n), '/rate_pain{"pain":%d}' % n) for n in range(11)]
BEFORE_BUTTONS = PAIN_BUTTONS + [button("Skip", "/deny"), button("Don't ask me about pain", "/pain_questions_off")]
AFTER_BUTTONS = PAIN_BUTTONS + [button("Skip", "/deny")]
DELETE_BUTTONS = [button("Yes, delete everything", "/affirm"), button("No, keep it", "/deny")]
ERASED_STORES = ["conversation", "pain ratings and routines", "warnings given", "summaries", "preferences"]
_WORDS = {"zero": 0, "none": 0, "nothing": 0, "nil": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
          "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_NUMBER = re.compile(r"(?<![\d.])(10|[0-9])(?:\s*(?:/|out of|of)\s*10)?(?![\d.])")
_NO_PAIN = re.compile(r"\b(?:no pain|not sore|pain[- ]free|doesn'?t hurt|don'?t hurt|nothing at all|fine now)\b", re.I)
_WORST = re.compile(r"\b(?:worst|unbearable|agony|excruciating)\b", re.I)


def rating_from(text: str, entities: list[dict]) -> Optional[int]:
    """0-10 from a button (entity `pain`) or from words: "about a 6", "6/10", "no pain"."""
    for entity in entities:
        if entity.get("entity") == "pain":
            try:
                value = int(float(entity.get("value")))
            except (TypeError, ValueError):
                continue
            if 0 <= value <= 10:
                return value
    text = (text or "").lower()
    if _NO_PAIN.search(text):
        return 0
    found = _NUMBER.search(text)
    if found:
        return int(found.group(1))
    for word, value in _WORDS.items():
        if re.search(rf"\b{word}\b", text):
            return value
    if _WORST.search(text):
        return 10
    return None


def asks_about_pain(state: DialogueState, kb: KnowledgeBase) -> bool:
    return bool(state.user_key) and kb.progress.asks_about_pain(state.user_key)


# --------------------------------------------------------------------------- around a routine
def ask_before(state: DialogueState, reply: Reply, routine_id: str) -> None:
    state.pending_routine = routine_id
    state.awaiting = Awaiting.RATE_BEFORE
    reply.say("Before you start: how sore is it right now, from 0 (no pain) to 10 (the worst you can imagine)? "
              "Tap a number or type it, or skip.", BEFORE_BUTTONS)


def take_before(state: DialogueState, kb: KnowledgeBase, reply: Reply, value: Optional[int]) -> None:
    routine_id = state.pending_routine
    state.pending_routine = None
    state.awaiting = None
    if not routine_id:
        flow.advance(state, kb, reply)
        return
    flow.begin_routine(state, kb, reply, routine_id, before=value)


def record_start(state: DialogueState, kb: KnowledgeBase, routine, before: Optional[int]) -> None:
    key = state.user_key or state.sender_id
    if key:
        state.rating_session = kb.progress.start(key, routine.id, routine.region, routine.equipment, before)


def after_routine(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> bool:
    """After the last step: asks for the pain now. True when it asked."""
    if state.rating_session is None:
        return False
    kb.progress.finish(state.rating_session)
    if not asks_about_pain(state, kb):
        return False
    state.awaiting = Awaiting.RATE_AFTER
    reply.say("And now, from 0 to 10, how sore is it?", AFTER_BUTTONS)
    return True


def take_after(state: DialogueState, kb: KnowledgeBase, reply: Reply, value: Optional[int]) -> None:
    session_id = state.rating_session
    state.rating_session = None
    state.awaiting = None
    entry = kb.progress.rate_after(session_id, value) if session_id is not None and value is not None else None
    if entry is not None and entry.before is not None:
        if meaningful(entry.before, entry.after):
            reply.say(f"From {entry.before} to {entry.after}: a real improvement (a drop of 2 points or 30% counts). "
                      "Worth repeating.")
        elif entry.after < entry.before:
            reply.say(f"From {entry.before} to {entry.after}: a little easier. Gains often build over a few sessions.")
        else:
            reply.say(f"From {entry.before} to {entry.after}: no real change this time. Next time I'll suggest "
                      "something different.")
    elif value is not None:
        reply.say("Thanks, noted.")
    if entry is not None and refer_if_not_improving(state, kb, reply, entry.region):
        return
    flow.offer_another_area(state, reply)


def rating_in_words(state: DialogueState, kb: KnowledgeBase, reply: Reply, text: str, entities: list[dict]) -> None:
    """A typed answer while a rating is asked: a number, "no pain", or anything else = skip."""
    value = rating_from(text, entities)
    if state.awaiting == Awaiting.RATE_BEFORE:
        take_before(state, kb, reply, value)
    else:
        take_after(state, kb, reply, value)


def skip_rating(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    if state.awaiting == Awaiting.RATE_BEFORE:
        take_before(state, kb, reply, None)
    else:
        take_after(state, kb, reply, None)


def stop_pain_questions(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    if state.user_key or state.sender_id:
        kb.progress.set_asks_about_pain(state.user_key or state.sender_id, False)
    reply.say("OK, I won't ask about pain any more. Say 'ask me about pain' to turn it back on.")
    if state.awaiting in (Awaiting.RATE_BEFORE, Awaiting.RATE_AFTER):
        skip_rating(state, kb, reply)
    else:
        flow.resume(state, kb, reply)


def start_pain_questions(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    if state.user_key or state.sender_id:
        kb.progress.set_asks_about_pain(state.user_key or state.sender_id, True)
    reply.say("OK, I'll ask how sore it is before and after each routine.")
    flow.resume(state, kb, reply)


# --------------------------------------------------------------------------- adapting the offer
def refer_if_not_improving(state: DialogueState, kb: KnowledgeBase, reply: Reply, region: Optional[str]) -> bool:
    """The `soon` advice when the same area does not improve (NICE NG59). Once per area."""
    key = state.user_key or state.sender_id
    if not key or not region or region in state.referred_regions:
        return False
    advice = kb.progress.advice(key, region)
    if not advice.refer:
        return False
    state.referred_regions = state.referred_regions + [region]
    reply.say(f"Looking at your ratings for your {flow.region_name(region)}: {advice.reason}.")
    safety_flow.raise_triage(state, kb, reply, [rules_flag()])
    return True


def rules_flag() -> str:
    import yaml
    from knowledge.schema import CONTENT_DIR
    data = yaml.safe_load((CONTENT_DIR / "progress.yml").read_text(encoding="utf-8")) or {}
    return (data.get("refer") or {}).get("flag", "not_improving_with_self_care")


def history_advice(state: DialogueState, kb: KnowledgeBase):
    """(routine to repeat, routines to avoid) for the region, from the user's ratings."""
    key = state.user_key or state.sender_id
    if not key or not state.body_region:
        return None, ()
    advice = kb.progress.advice(key, state.body_region)
    return advice.repeat, advice.avoid


# --------------------------------------------------------------------------- how am I doing
def progress_report(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    key = state.user_key or state.sender_id
    entries = kb.progress.history(key, limit=20) if key else []
    reply.custom({"type": "progress", "entries": [e.as_payload() for e in entries]})
    if not entries:
        reply.say("No routines on record yet. Once you do one, I'll keep track of how sore it was before and after.")
        flow.resume(state, kb, reply)
        return
    lines = []
    for region in kb.progress.regions(key):
        rated = [e for e in entries if e.region == region.region][:3]
        changes = ", ".join(f"{e.before}→{e.after}" if e.before is not None and e.after is not None else "not rated"
                            for e in rated)
        when = "today" if region.days_since_last == 0 else (
            "yesterday" if region.days_since_last == 1 else f"{region.days_since_last} days ago")
        streak = f", {region.streak_days} days in a row" if region.streak_days > 1 else ""
        lines.append(f"- {region_names().get(region.region, region.region).capitalize()}: {region.sessions} "
                     f"session{'s' if region.sessions != 1 else ''}, last {when}{streak}. "
                     f"Pain before→after (newest first): {changes}.")
    reply.say("Here's how it's going:\n" + "\n".join(lines) +
              f"\nA drop of {rules().points} points or {rules().fraction:.0%} counts as a real improvement.")
    for region in kb.progress.regions(key):
        if refer_if_not_improving(state, kb, reply, region.region):
            return
    flow.resume(state, kb, reply)


# --------------------------------------------------------------------------- summary for a clinician
def make_summary(state: DialogueState, kb: KnowledgeBase, reply: Reply) -> None:
    from knowledge.summary import build

    key = state.user_key or state.sender_id
    if not key or not state.sender_id:
        reply.say("I can't make a summary in this chat.")
        return
    html, pdf, fhir = build(kb.progress, key, kb.flag_titles())
    summary_id = secrets.token_hex(16)
    kb.progress.save_summary(summary_id, key, state.sender_id, html, pdf, fhir)
    base = f"/webchat/summary/{summary_id}"
    proof = f"?conversation={state.sender_id}"
    reply.custom({"type": "summary", "html": f"{base}.html{proof}", "pdf": f"{base}.pdf{proof}",
                  "fhir": f"{base}.fhir.json{proof}"})
    reply.say("Here's a one-page summary for your physiotherapist or GP: the warning signs you reported, the advice "
              "I gave, and your routines with pain before and after. Open it to print it or save it as a PDF. Only "
              "this conversation can open it.")
    flow.resume(state, kb, reply)


# --------------------------------------------------------------------------- erasing
def ask_to_delete(state: DialogueState, reply: Reply) -> None:
    state.awaiting = Awaiting.DELETE_CONFIRM
    reply.say("Delete everything I keep about you: this conversation, your pain ratings and routines, the "
              "warnings I gave and any summaries? This can't be undone.", DELETE_BUTTONS)


def delete_data(state: DialogueState, kb: KnowledgeBase, reply: Reply, confirmed: bool) -> bool:
    """True when erased (the conversation's own events are erased by the channel after this
    turn is stored, see channels/guarded.py)."""
    if not confirmed:
        state.awaiting = None
        reply.say("OK, nothing was deleted.")
        flow.resume(state, kb, reply)
        return False
    for key in dict.fromkeys(k for k in (state.user_key, state.sender_id) if k):
        kb.progress.erase(key)
    reply.custom({"type": "erased", "what": list(ERASED_STORES)})
    reply.say("Done: I've deleted everything I kept about you. If you come back, we start fresh.")
    return True

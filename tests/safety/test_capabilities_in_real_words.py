"""Capabilities added in rounds 2 to 6 of issue 9, each tested on wording of its own (not
the sentences of any evaluation set): negation that stops at a new clause, families that
carry their own negation, other people found by grammatical role, the writer taking over,
messages typed a few words at a time, pair partners denied where they stand."""
from __future__ import annotations

import pytest

from safety import terms
from safety.detector import SymptomDetector


@pytest.fixture(scope="module")
def rules_only() -> SymptomDetector:
    """The rules alone, so each test shows what the rules do (the semantic layer on top can
    only add findings)."""
    return SymptomDetector(semantic=False)


@pytest.mark.parametrize("text, flag", [
    # a negation early in a run-on message does not reach a new clause with its own verb
    ("my arms won't bend after the comp, wee is the colour of cola", "rhabdomyolysis"),
    ("i can't sit properly after rowing, my pee is dark brown", "rhabdomyolysis"),
])
def test_negation_stops_at_a_new_clause(rules_only, text, flag):
    assert flag in rules_only.detect(text).flags


@pytest.mark.parametrize("text", [
    "no numbness, tingling or weakness in my groin",  # a list keeps its negation
    "i don't have numbness, or tingling down there",
])
def test_negation_still_covers_a_list(rules_only, text):
    assert "cauda_equina" not in rules_only.detect(text).flags


@pytest.mark.parametrize("text, flag", [
    ("stretched it every single night for a month and a half and it hasn't budged", "not_improving_with_self_care"),
    ("been using the massage gun daily since october, not one bit better", "not_improving_with_self_care"),
    ("my hip has been getting worse every week since the summer", "persistent_pain"),
    ("knee, coming up on eleven weeks now", "persistent_pain"),
    ("every morning i'm like an old man for a good hour before i loosen up", "inflammatory_back_pain"),
    ("my jeans are hanging off me and i'm eating the same as ever, back aches", "unexplained_weight_loss"),
])
def test_everyday_words_for_soon_flags(rules_only, text, flag):
    assert flag in rules_only.detect(text).flags


@pytest.mark.parametrize("text", [
    "been training for three months and my squat is still the same",
    "the foam rolling has really helped, no change needed",
    "calves tight after my first ride in months",
    "the sore wrist went away months ago, now just tight forearms",
])
def test_long_spans_that_are_not_pain_do_not_flag(rules_only, text):
    assert not {"persistent_pain", "not_improving_with_self_care"} & set(rules_only.detect(text).flags)


@pytest.mark.parametrize("text", [
    "Workmate fainted in the spin class yesterday. My quads are cooked.",
    "neighbour's pee went brown after his first marathon, my legs are just heavy",
    "a lad at my club coughed up blood after the race, my calves are tight",
])
def test_someone_elses_symptom_is_not_the_writers(rules_only, text):
    assert not rules_only.detect(text).flags


@pytest.mark.parametrize("text, flag", [
    # a witness reporting the writer's own symptom
    ("my girlfriend says my speech is slurred and my face is drooping", "stroke_signs"),
    # someone else did it to the writer
    ("one lad elbowed my head in the scrum and I've been sick twice", "head_neck_injury"),
    # the writer takes over from someone else
    ("my partner drove me to the gym and now my chest is crushing and it's going down my arm", "cardiac_chest_pain"),
])
def test_the_writers_own_symptom_survives_other_people(rules_only, text, flag):
    assert flag in rules_only.detect(text).flags


def test_a_self_description_is_not_someone_else(rules_only):
    # "runner" / "rower" name the writer, so they are not in the other-people list
    people = terms.load_people()
    assert "runner" not in people.other_people and "mate" in people.other_people
    assert "cauda_equina" in rules_only.detect("rower, 52: numb where the saddle sits and can't pee").flags


def test_people_file_is_validated(tmp_path):
    bad = tmp_path / "people.yml"
    bad.write_text("other_people: []\nreporting_verbs: [says]\ndeterminers: [my]\nfirst_person: [i]\n")
    with pytest.raises(terms.TermError, match="other_people"):
        terms.load_people(bad)


def test_a_message_typed_a_few_words_at_a_time_reads_as_one_sentence():
    from safety.detector import normalise
    text = "Chest. So tight. Left arm. Going numb. Help"
    read, offsets = normalise(text)
    assert read == "chest so tight left arm going numb. help"
    assert "".join(text[i] for i in offsets).lower() == read
    assert normalise("I ran 5k today. My calves are tight. Any routine?")[0] == \
        "i ran 5k today. my calves are tight. any routine?"


def test_fragments_pair_across_their_full_stops(rules_only):
    assert "cardiac_chest_pain" in rules_only.detect("Chest. Crushing. Down my left arm. Sweaty.").flags


@pytest.mark.parametrize("text, fires", [
    ("knocked my head on a shelf at work, didn't pass out, not sick, just a lump", False),
    ("knocked my head on a shelf at work and I've been sick twice since", True),
])
def test_a_partner_denied_where_it_stands_does_not_pair(rules_only, text, fires):
    assert ("head_neck_injury" in rules_only.detect(text).flags) is fires


def test_a_settled_high_risk_mention_still_earns_the_question(rules_only):
    detection = rules_only.detect("my vision went blurry for a minute on the bike, fine now i think")
    assert not detection.flags and "face_vision_speech" in detection.concerns


@pytest.mark.parametrize("text", [
    "my buddy coughed blood after the race, my legs are just tired",
    "Clubmate fainted at the finish line, my calves are tight",
    "gym buddy's wee went dark after leg day, my quads are just sore",
])
def test_someone_else_in_front_of_the_symptom(rules_only, text):
    assert not rules_only.detect(text).flags


@pytest.mark.parametrize("text, flag", [
    ("my lips have gone a bit blue and I'm struggling for air", "sudden_breathlessness"),
    ("feels like someone put a fridge on my chest and I'm sweating buckets", "cardiac_chest_pain"),
    ("my breathing keeps getting harder and harder, I'm only sitting on the sofa", "sudden_breathlessness"),
])
def test_everyday_pictures_of_emergencies(rules_only, text, flag):
    assert flag in rules_only.detect(text).flags


def test_patterns_must_be_lower_case(tmp_path):
    bad = tmp_path / "red_flags.yml"
    bad.write_text("concepts:\n  X:\n    - '\\\\bChest\\\\b'\nflags: []\n")
    with pytest.raises(terms.TermError, match="lower case"):
        terms.load_concepts(bad)


@pytest.mark.parametrize("text, fires", [
    ("my sister says my mouth is drooping on one side and my speech is slurred", True),
    ("my dad says his face drooped on one side last night, my quads are just sore", False),
])
def test_a_witness_reports_the_writer_only_with_the_writers_words(rules_only, text, fires):
    assert bool(rules_only.detect(text).flags) is fires


@pytest.mark.parametrize("text, flag", [
    ("a cyclist went into me at the lights, my knee is in agony", "acute_injury"),
    ("my hand is getting weaker every day, can't grip the bar now", "progressive_neuro_deficit"),
    ("shin pain that's worse with every run and now aches even when I'm in bed", "bone_stress_injury"),
])
def test_urgent_signs_in_everyday_words(rules_only, text, flag):
    assert flag in rules_only.detect(text).flags


def test_foam_rolling_is_not_an_injury(rules_only):
    # "roll" is an injury word ("rolled my ankle") and a massage word: only strong injury
    # events count with severe pain anywhere in the message
    assert not rules_only.detect("my quads are in agony after leg day, which roll should I do?").flags


@pytest.mark.parametrize("text, area", [
    ("my ankle feels a bit wobbly on the stairs since Saturday", "walking_weight"),
    ("my thumb looks a bit off after that catch, sore", "break_dislocation"),
])
def test_casual_mentions_of_a_high_risk_area_are_asked_about(rules_only, text, area):
    detection = rules_only.detect(text)
    assert not detection.flags and area in detection.concerns


# ---------------------------------------------------------------- round 5
@pytest.mark.parametrize("text, flag", [
    # Scots and Jamaican English, voice typing
    ("a cannae feel ma bum an a've wet masel twice the day, back's gone", "cauda_equina"),
    ("fell aff the bike, smacked ma heid, been sick an a cannae mind the last hour, neck's agony", "head_neck_injury"),
    ("mi drop dung afta di spin class an everyting go black fi a minute", "exertional_collapse"),
    ("my left cafe is swollen and hot since the flight home", "dvt"),
    # words of other languages mixed into English
    ("dolor de pecho que baja al brazo izquierdo, sweating a lot", "cardiac_chest_pain"),
    ("sesak nafas, makin teruk since the match", "sudden_breathlessness"),
])
def test_dialects_and_mixed_languages_are_read(rules_only, text, flag):
    assert flag in rules_only.detect(text).flags


@pytest.mark.parametrize("text", [
    "tadi pengsan lepas badminton, ok dah sekarang",  # fainted after sport, fine now: still a flag
    "blacked out at the end of the 400s, feel totally normal again now",
])
def test_a_collapse_that_has_settled_still_counts(rules_only, text):
    assert "exertional_collapse" in rules_only.detect(text).flags


@pytest.mark.parametrize("text", [
    "passed out once as a teenager at a wedding, never since. calves tight",
    "fainted in 2009 at a school sports day, nothing since, need a hamstring stretch",
    "broke my wrist skiing years ago, totally fine now, forearm stretch?",
])
def test_long_ago_does_not_count(rules_only, text):
    assert not rules_only.detect(text).flags


def test_an_inability_ends_at_the_comma(rules_only):
    # "can't walk" does not deny what comes after the comma
    assert "rhabdomyolysis" in rules_only.detect(
        "legs are wrecked, can't climb stairs, pee looks like black coffee").flags


def test_a_denial_in_the_previous_sentence_does_not_reach_a_partner(rules_only):
    assert "compartment_syndrome" in rules_only.detect(
        "shin is rock hard after the kick. ice did nothing. toes have gone numb").flags


@pytest.mark.parametrize("text, flag", [
    ("i want to hurt myself tonight, got the blade out", "self_harm"),
    ("thinking of just driving off the bridge on the way home", "self_harm"),
    ("osteoporosis for years, tripped on the kerb and my hip is agony", "possible_fracture"),
    ("fell on my outstretched hand, it's swollen and tender at the base of my thumb", "possible_fracture"),
    ("my periods stopped months ago and my shin aches even in bed", "bone_stress_injury"),
    ("the T8 area hurts all day and night, nothing changes it", "constant_thoracic_pain"),
])
def test_round_five_signs_in_everyday_words(rules_only, text, flag):
    assert flag in rules_only.detect(text).flags


@pytest.mark.parametrize("text", [
    "I want to hurt myself less when lifting, tips?",
    "my legs feel like lead, like the tin man after leg day",  # a simile is not another person...
    "headache? nope. dizzy? nah. just a tight neck from the desk",  # ...and a self-answered question is a denial
])
def test_harmless_twins_of_round_five(rules_only, text):
    assert not rules_only.detect(text).flags


def test_a_simile_is_not_another_person(rules_only):
    assert "inflammatory_back_pain" in rules_only.detect(
        "i wake up like an old man every day, takes an hour and a half to loosen up, better once i'm moving").flags


def test_an_aside_is_not_a_supposition(rules_only):
    assert "exertional_collapse" in rules_only.detect("forgot to mention i passed out on the rower").flags


# Round 6 of issue 9: capabilities found on ten development sets, each case in wording of its own.
ROUND_SIX_SIGNS = [
    # a wish not to be alive next to wishing or planning it, without the usual words
    ("some days i reckon it'd be simpler for everyone if i was not around anymore", "self_harm"),
    ("keep imagining not waking up and honestly that sounds fine", "self_harm"),
    ("i've been hiding my painkillers away and thinking about not being here", "self_harm"),
    # a blow to the ribs, then breathing that goes short: a collapsed lung
    ("copped a shoulder in the ribs at rugby and now my breathing is getting shorter", "sudden_breathlessness"),
    # a fit or no memory after landing on the head
    ("thrown off the mare onto my head, my sister says I was jerking on the ground for a bit", "head_neck_injury"),
    ("hit the kerb and went over onto my head, can't remember the ride home", "head_neck_injury"),
    # a tendon giving way: the pop, then the bruise, the lump or the lost movement
    ("heard a sickening twang at the back of my heel in badminton and now I can't go up on my toes", "acute_injury"),
    ("something pinged in my upper arm pulling the rope, there's a dent and it's gone purple", "acute_injury"),
    # swelling that goes tight with a pale foot after a crush
    ("the bike landed on my shin, it's swelling up rock solid and my toes are going white", "compartment_syndrome"),
    ("years of prednisolone for my lungs, went down on my backside on the wet tiles, sharp low back pain", "acute_injury"),
    ("left thigh is swollen and red since the long flight back", "dvt"),
    ("weighing myself this morning: 5 kg down since september and I'm eating the same", "unexplained_weight_loss"),
    # charted shorthand and formal or translated medical words
    # charted shorthand and formal or translated medical words, read as plain English first
    ("CP since the hill reps, radiating to jaw, diaphoretic + nauseous", "cardiac_chest_pain"),
    ("pulse ox on my watch says 89 % and I'm SOB sat on the sofa", "sudden_breathlessness"),
    ("dysarthria and facial droop since lunch, prob tired", "stroke_signs"),
    ("syncope mid-rep on the squat rack, no warning", "exertional_collapse"),
    ("a pain in my mid back that does not leave me for one second", "constant_thoracic_pain"),
    ("involuntary loss of body weight, some 8 kg in two months", "unexplained_weight_loss"),
    ("took a boot to the shin, skin is shiny and stretched, toes tingling", "compartment_syndrome"),
    ("smacked the back of my neck on the bar, both hands buzzing since", "head_neck_injury"),
    # Gen Z grammar, limbs that won't obey, pupils, bend-down fractures, boots and casts, infection risk
    # Gen Z "not me ..." tells what happened to the writer
    ("not me blacking out at the end of my 400m rep", "exertional_collapse"),
    ("felt like a car was parked on my chest since the stairs, down my left arm, all sweaty", "cardiac_chest_pain"),
    ("my left hand won't do what I want and my words come out slurred", "stroke_signs"),
    ("clashed helmet to helmet, one pupil looks bigger now", "head_neck_injury"),
    ("years on prednisolone, bent down to tie my shoe and a sharp pain shot through my lower back", "acute_injury"),
    ("calf hot and puffy on one side, I've been in a boot since the sprain", "dvt"),
    ("on biologics for my crohn's and now my lower back is really sore", "spinal_infection"),
    # bladder accidents, breathlessness that goes on, postpartum bleeding, swelling within the hour
    ("lifting my grandson out of the bath, both legs went tingly and I've wet myself without noticing", "cauda_equina"),
    ("had to pull over on my run, I still can't get enough air and it's been 15 minutes", "sudden_breathlessness"),
    ("a week after the birth I'm soaking a pad every hour and passing big clots", "uncontrolled_bleeding"),
    ("ankle blew up within the hour after I went over on it at five-a-side", "acute_injury"),
    ("calf went mid-lunge, now there's a gap in the muscle and it's bruising", "acute_injury"),
    ("punched the door in a temper, knuckle's gone flat and the hand's puffy", "acute_injury"),
    # spreading numbness after a fall, odd angles, weakening grip, collapse, weight from apps
    ("came off on the gravel descent, back sore, and now my left leg is numb and it's starting in the right too", "rapid_leg_weakness_after_injury"),
    ("got doored on the way to work, wrist sits at a slightly weird angle", "acute_injury"),
    ("my grip has got weaker over the last fortnight, keep dropping my cup", "progressive_neuro_deficit"),
    ("heart rate spiked mid intervals and next thing I'm on the floor", "exertional_collapse"),
    ("down to 61kg from 68 since spring and not counting calories at all", "unexplained_weight_loss"),
    ("one calf cramp that won't quit, warm and a bit swollen, been at my desk all week", "dvt"),
    ("t-spine ache that's constant, training or rest day", "constant_thoracic_pain"),
]
ROUND_SIX_TWINS = [
    # away, hopes and wishes, normal breathing, old injuries, someone else
    "won't be around next week, any routine to take on holiday?",  # away, not a wish
    "hope i'm not waking up stiff tomorrow after that leg session",
    "wish this knot in my shoulder would just disappear",
    "took an elbow to the ribs at futsal, breathing is totally normal, just bruised",
    "my knee pops when I squat, no swelling, no pain",
    "breathless on the hill but fine at rest, back to normal within a minute",
    "dislocated my finger as a teen, it's been fine for decades, forearms tight",
    "swimming club mate has foot drop after his back op. I just have tight calves",
    # chart-style denials, cleared scans, 'back' as an adverb
    "nil CP, nil SOB, pecs just sore from flyes",
    "calf swelled after the flight, scan came back clear, all fine now",
    "had a fever with back ache three years back, it was the flu, cured",
    "back to training after two weeks away, hamstrings tight",
    # a risk factor alone, school-days fainting, general questions
    "on methotrexate for my RA, calves tight after the walk",  # a risk factor without back pain
    "fainted once in high school at assembly, quads sore after squats",
    "do tight calves turn into shin splints?",
    # months postpartum, a child swung round
    "I'm 6 months postpartum and my hamstrings are tight from the buggy walks",
    "swinging my son round the garden, shoulders a bit achy now",  # the son is carried, not ill
    # clients, general questions, slang
    "one of my clients collapsed in the session today, paramedics came. my traps are just tight",
    "how common are stress fractures in rowers?",
    "hamstrings tight as hell after the sprints",
]


def test_an_approximate_amount_is_not_a_near_miss(rules_only):
    assert "persistent_pain" in rules_only.detect("knee pain almost 10 weeks now").flags
    assert "persistent_pain" in rules_only.detect("my heel has hurt for nearly two months").flags


ROUND_SEVEN_SIGNS = [
    # texting spellings and "'s" after a body part
    ("chst rly tite goin into my left arm n sweatin", "cardiac_chest_pain"),
    ("my back wakes me evry nite, been wks now", "night_rest_pain"),
    ("right leg's swolen n hot since the coach trip", "dvt"),
    ("my right arm's gone useless and my face is all skew", "stroke_signs"),
    # a can't-symptom does not deny what follows
    ("cant straighten my arms after the workout n my pee is like cola", "rhabdomyolysis"),
    # one leg both swollen and warm
    ("my leg is swollen and red, massage gun ok?", "dvt"),
    # bleeding judged by the effort to stop it, a wound named by its kind
    ("tore a flapper on the bar, been holding it for ages and it soaked thru two plasters", "uncontrolled_bleeding"),
    # the chest named elsewhere: crushing, into the arm, sweating
    ("is it ok to roll my pecs? crushing kind of ache since I carried the sofa, goes down my arm and I'm clammy",
     "cardiac_chest_pain"),
    ("my breathing became short so fast, I can only manage few words", "sudden_breathlessness"),
    ("been cutting again lately and last night it went deeper than I meant", "self_harm"),
    # the moment of the injury felt, a deformity, a collapse told by coming round
    ("felt something tear in my calf on the sprint, now a big bruise and I'm limping", "acute_injury"),
    ("stubbed my little toe so hard it's crooked looking and purple, walking hurts", "acute_injury"),
    ("I went down mid-spar and came round after a few seconds", "exertional_collapse"),
    ("a van drove into the back of my car, my neck is fine but it hurts right on the bone lower down",
     "acute_injury"),
    ("it feels like it's in the bone, can't stand on that leg since the long run", "bone_stress_injury"),
    # weight lost with appetite gone, morning stiffness in hours, self-care failing
    ("no appetite lately and I've dropped 6 kilos, back aching", "unexplained_weight_loss"),
    ("lower back locked up every morning, takes an hour and a half to ease off", "inflammatory_back_pain"),
    ("foam roller every night for weeks and nada", "not_improving_with_self_care"),
    ("the pain keeps me up even on days when I'm not training", "night_rest_pain"),
    ("Former lymphoma patient, new ache in my spine for a month", "cancer_history"),
    # second part of the round: water that will not pass, wetting unawares
    ("back's been agony since Sunday and I haven't been able to pass urine all day", "cauda_equina"),
    ("wet myself on the walk home and didn't even realise I needed to go, back's killing", "cauda_equina"),
    # pain that comes with every breath, in a "can't ... without" sentence
    ("can't breathe in without a stabbing pain in my side, and my calf is swollen after the flight",
     "pulmonary_embolism"),
    # a place to jump from, a plan not to wake
    ("standing on the railway bridge again thinking about jumping, shoulders ache", "self_harm"),
    ("I don't intend on waking up after tonight, sorry, just wanted a neck stretch", "self_harm"),
    # an ankle gone over, too swollen to take four steps
    ("went over on my ankle at netball, swollen to the size of an orange and I can only hobble two steps",
     "acute_injury"),
    # weight lost by the signs of it, rest and night pain, hours of morning stiffness, spreading numbness
    ("my rings have gone loose and I haven't been trying to lose weight, upper back aching", "unexplained_weight_loss"),
    ("at night it's at its worst, can't sleep for it", "night_rest_pain"),
    ("stiff as anything every morning, takes me ages to get out of bed and it's only ok by lunchtime",
     "inflammatory_back_pain"),
    ("the tingling used to be just in my toes, now it's up to my knee", "progressive_neuro_deficit"),
    # a bus is not a coach, a carried dog is not the patient, a movement one can't make is no denial
    ("back from a long coach trip and my left calf is swollen and hot", "dvt"),
    ("can't kneel down to pick up my dog, thighs rock hard and my wee is dark brown", "rhabdomyolysis"),
    ("my sandal keeps slipping off without me noticing and the top of my foot has gone dead, spreading up",
     "progressive_neuro_deficit"),
    # the writer's own experience asked as a question
    ("why would I black out on the rowing machine? came round quickly, legs wobbly", "exertional_collapse"),
    ("what does it mean when your pee goes dark brown after a hard session and your thighs are swollen and rock hard",
     "rhabdomyolysis"),
    # a head knock against a thing, a dive into shallow water, a nosebleed that will not stop
    ("dived into the shallow end on holiday and hit the bottom, neck sore, both hands tingling", "head_neck_injury"),
    ("nosebleed for half an hour that hasn't stopped, gone through a whole box of tissues", "uncontrolled_bleeding"),
    ("written goodbye notes to my kids and keep thinking about the pills, sorry, neck is sore", "self_harm"),
    ("can't find a single position where my upper back eases, it's switched on all the time", "constant_thoracic_pain"),
    # third part: a question asked about something happening now
    ("is it normal to have a crushing chest and feel sweaty after the rower? it's been about 15 minutes now",
     "cardiac_chest_pain"),
    ("should I worry if my calf is swollen and hot? started this morning after the flight", "dvt"),
    ("can't get to the end of a sentence without gasping, came on all at once", "sudden_breathlessness"),
    ("legs wrecked after the hill session and I've barely been peeing, what little comes out is brown",
     "rhabdomyolysis"),
    ("put my hand out when I slipped on the ice, wrist is swollen and sore in the little dip by my thumb",
     "acute_injury"),
    ("stiff every morning when I wake, only ok by lunch, it's been 5 months and I'm 27", "inflammatory_back_pain"),
    ("went up to 60k a week and now I can't put weight on my left leg", "bone_stress_injury"),
    ("I've been cutting myself again, the back pain makes it worse", "self_harm"),
    ("heard a snap in my calf on the court and there's a big bruise now", "acute_injury"),
    ("probably nothing but I've dropped 9 kilos without trying and my back aches", "unexplained_weight_loss"),
    # a coach that is a bus; the writer describing themself
    ("overnight coach back from the festival and my right calf is puffy and warm", "dvt"),
    ("Football mum here, sudden crushing chest pain going into my jaw at the match", "cardiac_chest_pain"),
]

ROUND_SEVEN_TWINS = [
    "been cutting weight for the fight and my back aches, went deeper into the cut than usual",  # a weight cut
    "both legs swollen and warm after the hot bath, normal for me",
    "hamstrings tight n sore after the run, no biggie",
    "my mate's been cutting his hair shorter, my neck aches from the clippers",
    "lost 3kg on my cutting diet, quads sore",
    "can't run without my knee aching a bit, it's just the patella tendon, physio says it's fine",
    "thinking about jumping rope for cardio instead, is that ok for my calves?",
    "watch strap left a mark on my wrist, forearm tight from climbing",
    "why would my brother's calf swell up after a flight? mine are just tight from running",
    "my coach says my hamstrings are tight, any stretch?",
    "is it normal to get a tight chest after bench press? mine is sore to touch",  # no word of now
    "what are the red flags for a sore calf? asking for my running club newsletter",
    "blacked out once at 15 at a school sports day, nothing since, I'm 40 now. hamstrings tight",
    "dislocated my knee cap when I was 12, been fine since, quads sore today",
    "been cutting weight again for my fight, lower back stiff",
    "Coach collapsed at training, paramedics came. I'm fine, quads sore",
    "Young lad at work had a fever and back pain, sent him home. my back's just sore",
]


@pytest.mark.parametrize("text, flag", ROUND_SIX_SIGNS + ROUND_SEVEN_SIGNS)
def test_signs_of_rounds_six_and_seven(rules_only, text, flag):
    assert flag in rules_only.detect(text).flags


@pytest.mark.parametrize("text", ROUND_SIX_TWINS + ROUND_SEVEN_TWINS)
def test_twins_of_rounds_six_and_seven(rules_only, text):
    assert not rules_only.detect(text).flags


def test_a_settled_red_flag_still_earns_its_question(detector):
    """Chest pressure that has just gone is no warning, but it is asked about; one from years
    ago is not."""
    settled = detector.detect("bit of a squeezing chest pain on the bike earlier, gone now I think")
    assert not settled.flags and "chest_heart" in settled.concerns
    long_ago = detector.detect("had squeezing chest pain years ago, all checked and clear, pecs sore today")
    assert not long_ago.flags


@pytest.mark.parametrize("text, area", [
    ("seen a couple of stars after the header, neck a bit stiff", "head"),
    ("banged my shoulder against the door frame, bit sore", "fall_collision"),
    ("missed the last stair this morning, hip sore", "fall_collision"),
    ("my kneecap kinda shifted on the squat then went back, quads tight", "break_dislocation"),
    ("left foot sort of drags when I'm tired", "walking_weight"),
    ("sometimes I can't take a full breath in, ribs feel tight", "breathing"),
    ("my knee feels a bit unreliable going down hills", "walking_weight"),
    ("don't really trust my right ankle on the trail since last month", "walking_weight"),
    ("landed on my hand doing a handstand, bit tender", "fall_collision"),
])
def test_vague_high_risk_mentions_are_asked(detector, text, area):
    assert area in detector.detect(text).concerns or detector.detect(text).flags

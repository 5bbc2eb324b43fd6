"""Red-flag escalation: what must escalate, what must not, and the rules file as reviewed data.

Tables of runners' own wording; the rules come from the real red_flags.yaml and the real corpus.
"""

import shutil
from pathlib import Path

import pytest

from core.errors import CorpusError, RulesError
from bot.guardrails.redflags import RULES_PATH, RedFlagRules, RedFlagVerdict
from core.corpus import load_articles
from core.rulefile import verify_quotes

ARTICLES_DIR = Path(__file__).resolve().parents[3] / "corpus" / "articles"


@pytest.fixture(scope="module")
def rules() -> RedFlagRules:
    return RedFlagRules.load()


# (the runner's messages, oldest first; the flag that must be raised about them)
ESCALATE = [
    # pain turned knife-like over weeks, and a walk others notice
    (["my hammy niggle has gone from annoying to knife-like over the last fortnight"], "worsening"),
    (["im walking lopsided - a customer asked if id hurt my leg"], "walking-affected"),
    # a pop, snap, crack or tearing feeling
    (["I felt a pop in my hamstring during intervals"], "pop-or-tear"),
    (["heard a loud snap in my hammy sprinting for the bus"], "pop-or-tear"),
    # a clinician's earlier word doesn't cover a new pop (the `explained` context is only a clinician's term asked about)
    (["my physio said it was just tightness but yesterday I felt a pop in my hamstring on the track"], "pop-or-tear"),
    # in a second language: a strong pain, walking like a penguin
    (["yesterday I run very fast for catch the tram. very strong pain in back of leg"], "sudden-severe-pain"),
    (["I feel like elastic band is break in my leg. now I walk like penguin"], "walking-affected"),
    (["my hammie went pop at parkrun this morning"], "pop-or-tear"),
    (["Felt my hammy go pop at parkrun. What stretches should I do?"], "pop-or-tear"),
    # which leg it was doesn't hide it
    (["felt my left hamstring pop on the last rep"], "pop-or-tear"),
    (["felt my right hammy snap sprinting"], "pop-or-tear"),
    (["heard it go snap halfway up the hill"], "pop-or-tear"),
    (["felt something tear at the back of my thigh on the hill"], "pop-or-tear"),
    (["I think I tore my hamstring doing strides"], "pop-or-tear"),
    (["there was a crack and I went down"], "pop-or-tear"),
    (["my hamstring pinged halfway through the 400s"], "pop-or-tear"),
    (["there was a tearing sensation high up in my hamstring"], "pop-or-tear"),
    (["i fealt a sudden snap in my hamstirng"], "pop-or-tear"),
    (["Not sure if it was a pop but it hurt a lot"], "pop-or-tear"),
    (["i dont know if it popped"], "pop-or-tear"),
    (["i think its torn"], "pop-or-tear"),
    (["I felt a pop at the back of my thigh in the last 200m"], "pop-or-tear"),
    (["my daughter felt a snap at her glute crease on the last rep"], "pop-or-tear"),
    (["I felt somthing tear at the top of my hamstring"], "pop-or-tear"),
    (["heard a crak in my hammy on the hill"], "pop-or-tear"),
    (["a taering feeling at the back of my leg mid-race"], "pop-or-tear"),
    (["it's been sore since I felt a pop last week"], "pop-or-tear"),
    (["I tore it two years ago and it still hurts every run"], "pop-or-tear"),
    # sudden severe or sharp pain
    (["it felt like being kicked in the back of the leg"], "sudden-severe-pain"),
    (["felt like I'd been shot in the hamstring mid-sprint"], "sudden-severe-pain"),
    (["sudden sharp pain in my hamstring while sprinting"], "sudden-severe-pain"),
    (["the pain was excruciating when I pushed off"], "sudden-severe-pain"),
    (["stabbing pain at the top of my hammy"], "sudden-severe-pain"),
    (["like someone struck me in the back of the thigh"], "sudden-severe-pain"),
    (["my friend pulled up; it felt like she'd been kicked in the back of her thigh"], "sudden-severe-pain"),
    (["he said it was as if he'd been shot in the hamstring"], "sudden-severe-pain"),
    # bruising
    (["my hamstring is black and blue"], "bruising"),
    (["huge bruise on the back of my thigh after the race"], "bruising"),
    (["it's really brusied behind my knee"], "bruising"),
    (["the back of my leg has gone purple"], "bruising"),
    (["I didn't feel a pop but it's badly bruised"], "bruising"),
    (["is it bad that it's bruised?"], "bruising"),
    # heavy bruising that came up quickly
    (["a huge bruise came up on the back of my thigh overnight"], "heavy-bruising"),
    (["the whole back of her thigh turned purple"], "heavy-bruising"),
    (["There's heavy bruising down my hamstring since I strained it yesterday."], "heavy-bruising"),
    # swelling
    (["the back of my leg is swollen"], "swelling"),
    (["my thigh swelled up overnight"], "swelling"),
    (["theres some sweling behind my knee since Sunday's long run"], "swelling"),
    # cannot bear weight, cannot walk, limp or altered gait
    (["I can't put weight on my leg"], "cannot-bear-weight"),
    (["cant bear weight on it since the sprint"], "cannot-bear-weight"),
    (["I can't put any wieght on my leg"], "cannot-bear-weight"),
    (["caught my toe on a root and now I literally cant put the foot down"], "cannot-bear-weight"),
    (["I couldn't stand on my left leg after it happened"], "cannot-bear-weight"),
    (["I can't walk"], "cannot-walk"),
    (["I could barely walk home after the race"], "cannot-walk"),
    (["im on crutches since saturday"], "cannot-walk"),
    (["3 hrs later i can barely hobble"], "cannot-walk"),
    (["I'm limping since the race"], "walking-affected"),
    (["I can't wlak properly since Sunday"], "walking-affected"),
    (["walking funny since Sunday, the hammy is sore"], "walking-affected"),
    (["it hurts to walk up the stairs"], "walking-affected"),
    (["I can't walk properly since my long run"], "walking-affected"),
    # worsening
    (["the pain keeps getting worse every run"], "worsening"),
    (["my hamstring tightness keeps getting worse even though I stretch"], "worsening"),
    # not improving
    (["it's not getting any better after three weeks"], "not-improving"),
    (["my hamstring is still sore after 4 weeks of rest"], "not-improving"),
    (["hamstring pain hasn't improved at all"], "not-improving"),
    (["my hammy niggle won't go away"], "not-improving"),
    (["the pain never went away"], "not-improving"),
    (["I've had hamstring pain for 3 months"], "not-improving"),
    # a gap, dent or lump
    (["there's a dent in my hamstring"], "gap-or-lump"),
    (["I can feel a gap in the muscle"], "gap-or-lump"),
    (["lump in my hammy after the race"], "gap-or-lump"),
    (["there's a lump at the top of her hamstring"], "gap-or-lump"),
    (["the muscle has bunched up near my knee"], "gap-or-lump"),
    # weakness bending the knee
    (["my knee feels weak when I bend it"], "knee-bend-weakness"),
    (["I can't bend my knee properly since I felt it go"], "knee-bend-weakness"),
    (["no strength at all when I curl my leg"], "knee-bend-weakness"),
    (["my knee feels weak when I try to bend it"], "knee-bend-weakness"),
    # the leg giving way
    (["my leg keeps giving way since I pulled up"], "leg-giving-way"),
    (["her knee buckled twice on the walk home"], "leg-giving-way"),
    # a fall, a trip or a sudden pull that stopped the run
    (["I tripped on a kerb and now I can't run without pain"], "stopped-by-pain"),
    (["I felt my hamstring pull in the sprint and had to stop"], "stopped-by-pain"),
    (["pulled up mid-race with pain in my hammy"], "stopped-by-pain"),
    (["my physio says it's a grade 1 strain but it keeps getting worse"], "worsening"),  # in care, yet worse: go back
    (["I slipped and fell on the trail and couldn't get up"], "could-not-get-up"),
    # nerve signs and foot drop
    (["numbness down the back of my leg"], "nerve-signs"),
    (["pins and needles in my foot after long runs"], "nerve-signs"),
    (["tingling in my hamstring when I sit"], "nerve-signs"),
    (["burning down the back of my leg"], "nerve-signs"),
    (["my foot keeps dragging when I run"], "foot-drop"),
    (["I can't lift my foot properly"], "foot-drop"),
    (["his foot has started to drag"], "foot-drop"),
    # a friend's account escalates too, about the friend
    (["My friend heard a snap in her hamstring"], "pop-or-tear"),
    (["my mate's hammy went ping and he's limping"], "pop-or-tear"),
    (["my wife can't put weight on her leg after parkrun"], "cannot-bear-weight"),
    # negation does not reach past a new clause or subject
    (["no bruising and I felt a pop"], "pop-or-tear"),
    (["No pop, no bruising, but I can't walk"], "cannot-walk"),
    # a red flag earlier in the conversation still holds
    (["I felt a pop yesterday", "what stretches can I do?"], "pop-or-tear"),
    (["my hamstring is swollen", "ok thanks", "is foam rolling good?"], "swelling"),
    (["what does a pop mean? I heard one yesterday"], "pop-or-tear"),
    (["what does it mean if I heard a pop"], "pop-or-tear"),
    # the runner's own picture of a snap; a noise from the leg; a lump rising; the heel that can't go down
    (["something at the back of my thigh went like a rubber band snapping"], "pop-or-tear"),
    (["got yanked forward mid stride and heard a proper noise from the back of my leg"], "pop-or-tear"),
    (["theres a lump coming up at the back of my thigh"], "gap-or-lump"),
    (["cant straighten it or put my heel down without it killing"], "cannot-bear-weight"),
    (["I can't really put that foot flat on the floor"], "cannot-bear-weight"),
    (["I've been hopping round the flat since it went"], "cannot-bear-weight"),
    # written without the articles, as in a second language
    (["sprint for ball, I hear a noise like 'tak' in back of my leg and I fall down"], "pop-or-tear"),
    (["Today I can not put the foot on floor"], "cannot-bear-weight"),
    (["I jump on one leg in my apartment since yesterday"], "cannot-bear-weight"),
    # bruising in the runner's own picture; walking changed; worse than before resting
    (["the back of the leg from my bum to behind the knee is the colour of an aubergine"], "heavy-bruising"),
    (["I'm walking stiff-legged like a pirate"], "walking-affected"),
    (["I'm shuffling round the house"], "walking-affected"),
    (["Rested it three weeks. It's worse now than when I stopped"], "worsening"),
    # a consequence told is not a word's meaning asked
    (["pulled my hamstring sprinting and it means i cant walk"], "cannot-walk"),
    (["the pain is so bad which means i cant put weight on it"], "cannot-bear-weight"),
]

# (messages, flag expected as informational): asked about, not experienced
INFORMATIONAL = [
    (["what does a pop mean?"], "pop-or-tear"),
    (["is bruising a bad sign?"], "bruising"),
    (["when should I see a doctor about a hamstring?"], "when-to-get-assessed"),
    (["what if I feel a pop?"], "pop-or-tear"),
    (["If I ever felt a pop in my hamstring, what would that mean?"], "pop-or-tear"),
    (["if you were to hear a snap, should you stop?"], "pop-or-tear"),
    (["if I ever hear a snap, should I stop?"], "pop-or-tear"),
    (["signs of a torn hamstring?"], "pop-or-tear"),
    (["is it normal to limp after a marathon?"], "walking-affected"),
    (["what causes numbness in the leg?"], "nerve-signs"),
    (["does swelling mean it's a grade 2 strain?"], "swelling"),
    (["what are the red flags for a hamstring injury?"], "when-to-get-assessed"),
    (["should I worry if there's bruising after a strain?"], "bruising"),
    (["tell me about bruising after a hamstring strain"], "bruising"),
    (["How would I know if I tore my hamstring?"], "pop-or-tear"),
    (["what happens if you can't bear weight?"], "cannot-bear-weight"),
    (["what does it mean when your hamstring pops?"], "pop-or-tear"),
    (["what should I do if I fall and can't put weight on my leg?"], "cannot-bear-weight"),
    (["is a huge bruise after a hamstring strain normal?"], "heavy-bruising"),
    # kept going: a grade I strain "some runners keep going" with, not a grade III tear "that can stop a
    # runner immediately"; answered, with the note that sharp pain is a reason to get assessed
    (["I felt a sudden pain in my hamstring mid-run but I finished the run"], "sudden-severe-pain"),
    (["sharp pain in the back of my thigh on the last rep, kept going and it eased off"], "sudden-severe-pain"),
    # already in a doctor's care: pain that won't settle is answered, with the note (not-improving's under_care)
    (["GP mentioned a cortisone injection for my high hamstring tendinopathy that just won't settle. do they work?"], "not-improving"),
    (["I commute by bike and was recently told I have proximal hamstring tendinopathy. I've stopped running but it isn't settling. Could the cycling be part of it?"], "not-improving"),
    # in a clinician's care: what the physio says of why it went is answered, with the note
    (["my physio keeps using the word 'eccentric' for why my hamstring went. what does that actually mean in plain english?"], "pop-or-tear"),
    # a pop denied: something went, but walked on, "just sore since"; answered, with the note that a pop is a reason
    (["felt something go at the back of my thigh on sat's tempo. no pop or anything dramatic, just sore since, walking fine"], "pop-or-tear"),
    # what a diagnosis means: "this mean the muscle is torn?"
    (["Doctor tell me I have first degree hamstring strain. This mean the muscle is torn?"], "pop-or-tear"),
    (["physio said grade 1. does that mean its torn?"], "pop-or-tear"),
    # others, counted: a report prompting a general question, not one person's leg
    (["my lad does 100m and two of his training group have torn hamstrings this season. why do sprinters get the bad ones?"], "pop-or-tear"),
    (["loads of my clubmates have torn their hamstrings doing track sessions, why is that?"], "pop-or-tear"),
]

# Negated, hypothetical-free and harmless messages: no red flag at all
HARMLESS = [
    ["no bruising"],
    ["the clinic wants to sell me 6 sessions of shockwave therapy at 80 quid a pop. does it work?"],  # a price each
    ["sports massage is £45 a pop round here, worth it?"],
    ["my form has gone from sloppy to sharp since i started cadence work"],  # form, not pain, turned sharp
    ["I didn't feel a pop"],
    ["I can walk fine"],
    ["felt my left hamstring go tight during strides"],  # going tight is not "felt it go"
    ["without any swelling"],
    ["never heard a snap"],
    ["no pop, no bruising, no swelling"],
    ["it's not getting worse"],
    ["the pain isn't sharp, just a dull ache"],
    ["I don't think there's any bruising"],
    ["there was no pop or snap, it just feels tight"],
    ["I can bear weight and walk normally"],
    ["it's not swollen or bruised"],
    ["I'm not limping anymore"],
    ["it's getting better every day"],
    ["it's getting better, not worse"],
    ["the pain went away after 2 weeks"],
    ["no numbness or tingling"],
    ["what stretches help tight hamstrings?"],
    ["how do I prevent a strain?"],
    ["is foam rolling good?"],
    ["my hamstring feels a bit tight after speed work"],
    ["I've never felt better"],
    ["I didn't improve my 5k time this year"],
    ["can I pop a painkiller before my run?"],
    ["I need to crack on with training"],
    ["there's a gap in my training plan"],
    ["it's not clear if stretching helps"],
    ["I made a snap decision to enter a marathon"],
    ["my number of runs went up this month"],
    ["I hit the wall at mile 20"],
    ["I felt like giving up on the last hill"],
    ["something went wrong with my training plan"],
    ["how many times a week should I do hamstring curls?"],
    ["my hamstrings are weak compared to my quads"],
    ["sharp increase in mileage this week, any tips?"],
    ["I brushed my teeth and went for a run"],
    ["what's the best warm-up before intervals?"],
    ["does a massage gun help with hamstring tightness?"],
    ["my hamstring ached a little after the long run but feels fine now"],
    ["I had a muscle knot in my hamstring, foam rolling helped"],
    ["I bit my lip on the last hill"],  # "lip" is not "limp" with a letter missing: short words are not corrected
    ["I tripped on a kerb but got straight back up and finished the run"],
    ["I pulled up my socks and went for a run"],
    # the easing up it went in, not a run stopped by pain: "felt her hammy grab as she pulled up after the line"
    ["one of my 400m girls felt her hammy grab 2 strides after the finish line as she pulled up. she's walking fine"],
    ["a pop at me from my coach about my pacing"],
    # said to be gone; getting back on the treadmill
    ["strained it 2 weeks ago, the swelling has gone now"],
    ["the bruising went down after a few days and its just tight now"],
    ["for the off bits i jump my feet onto the side rails then hop back on"],
    ["my cadence is low and i kind of shuffle along, is that why my hamstring aches?"],
]

# (messages, escalate): the same symptoms, now or long over
TIME = [
    (["I felt a pop two years ago, it's been fine since"], False),
    (["I tore my hamstring in 2019, fully healed"], False),
    (["Back in 2018 my hamstring snapped during a sprint. No problems since."], False),
    (["I had a tear that left me on crutches years ago, fully recovered now"], False),
    (["My friend heard a snap when she was at university, it hasn't bothered her since"], False),
    (["I had a torn hamstring, fully healed now. What exercises stop it happening again?"], False),
    (["It's been sore since I felt a pop last week"], True),
    (["I tore it years ago and recovered fully, but yesterday I felt a pop again"], True),
    (["I felt a pop yesterday, it's fine now"], True),  # a day is not "over": fine now dates nothing
    (["I tore my hamstring two years ago and it's been sore ever since"], True),
    (["I tore my hamstring in 2019", "now I can't put weight on my leg"], True),
]

# (messages, urgent): signs of a rupture or grade III tear are urgent; the other red flags, prompt
URGENCY = [
    (["I felt a pop in my hamstring"], False),
    (["I felt a pop and a sudden severe pain in my hamstring"], True),
    (["there was a loud snap", "the pain was excruciating"], True),  # together across messages
    (["I can't put weight on my leg"], True),
    (["I can't walk"], True),
    (["a huge bruise came up overnight"], True),
    (["the back of my leg is black and blue"], False),
    (["I fell during parkrun and couldn't get up"], True),
    (["I tripped and now I can't run without pain"], False),
    (["I tripped and now I can't put weight on my leg"], True),
    (["sudden sharp pain in my hamstring stopped me dead"], False),
    (["my foot keeps dragging when I run"], False),
    (["numbness down the back of my leg"], False),
    (["my leg keeps giving way"], False),
    (["my thigh went like a rubber band snapping and I can't really put that foot flat on the floor"], True),
]


@pytest.mark.parametrize("messages, flag_id", ESCALATE)
def test_red_flag_escalates(rules, messages, flag_id):
    verdict = rules.check(messages)
    assert verdict.escalate
    assert flag_id in {hit.flag_id for hit in verdict.personal}
    assert {hit.signal for hit in verdict.personal} == {"rules"}  # no embedder: the phrases alone


@pytest.mark.parametrize("messages, flag_id", INFORMATIONAL)
def test_information_question_is_informational_not_escalated(rules, messages, flag_id):
    verdict = rules.check(messages)
    assert not verdict.escalate
    assert flag_id in {hit.flag_id for hit in verdict.informational}


@pytest.mark.parametrize("messages", HARMLESS)
def test_negated_or_harmless_message_raises_nothing(rules, messages):
    verdict = rules.check(messages)
    assert not verdict.escalate
    assert verdict.informational == ()


@pytest.mark.parametrize("messages, escalate", TIME)
def test_a_symptom_long_over_does_not_escalate_and_a_recent_one_does(rules, messages, escalate):
    verdict = rules.check(messages)
    assert verdict.escalate == escalate
    if not escalate:
        assert verdict.informational == ()  # history, not a question about the symptom


@pytest.mark.parametrize("messages, urgent", URGENCY)
def test_urgency_follows_the_signs_of_a_grade_three_tear(rules, messages, urgent):
    verdict = rules.check(messages)
    assert verdict.escalate
    assert verdict.urgent == urgent
    assert rules.escalation(verdict).advice == (rules.urgent_advice if urgent else rules.advice)


def test_a_fall_or_sudden_pull_is_what_makes_stopping_a_red_flag(rules):
    assert not rules.check(["I had to stop my run because I needed the loo"]).escalate
    assert not rules.check(["I couldn't get up for my run this morning"]).escalate
    assert rules.check(["I fell and had to stop my run"]).escalate
    # the context may come in an earlier message
    assert rules.check(["I slipped on a muddy descent", "I couldn't carry on"]).escalate

def test_tables_are_large_enough_and_cover_every_symptom_rule(rules):
    assert len(ESCALATE) >= 45
    assert len(INFORMATIONAL) + len(HARMLESS) >= 45
    symptom_rules = {flag.id for flag in rules.flags if not flag.informational_only}
    assert symptom_rules == {flag_id for _, flag_id in ESCALATE}
    assert {True, False} == {urgent for _, urgent in URGENCY} == {escalate for _, escalate in TIME}


def test_earlier_red_flag_is_reported_with_its_message_index(rules):
    verdict = rules.check(["how do I warm up?", "my hammy went pop on Sunday", "what stretches can I do?"])
    assert [(hit.flag_id, hit.message_index) for hit in verdict.personal] == [("pop-or-tear", 1)]


def test_personal_hit_replaces_informational_hit_for_the_same_flag(rules):
    verdict = rules.check(["what does a pop mean?", "I think I felt a pop yesterday"])
    assert [hit.flag_id for hit in verdict.personal] == ["pop-or-tear"]
    assert verdict.informational == ()


def test_cannot_bear_weight_is_urgent_and_bruising_is_not(rules):
    assert rules.check(["I can't put any weight on my leg"]).urgent
    bruised = rules.check(["the back of my thigh is bruised"])
    assert bruised.escalate and not bruised.urgent


def test_escalation_gives_deduplicated_reasons_and_calm_advice(rules):
    verdict = rules.check(["I felt a pop and it's bruised", "it's still bruised and I heard a snap"])
    escalation = rules.escalation(verdict)
    assert escalation.reasons == ["a pop, snap or tearing feeling", "bruising or black-and-blue discolouration"]
    assert not escalation.urgent
    assert escalation.signals == ["rules"]
    advice = escalation.advice.lower()
    for words in ("stop running", "stretch", "massage", "doctor or physiotherapist", "promptly"):
        assert words in advice


def test_urgent_escalation_uses_the_urgent_advice(rules):
    escalation = rules.escalation(rules.check(["I heard a snap and can't walk"]))
    assert escalation.urgent
    assert escalation.advice == rules.urgent_advice
    assert "not being able to walk" in escalation.reasons


def test_advice_says_what_the_evidence_it_cites_says(rules):
    urgent = rules.evidence_for(rules.check(["I heard a snap and can't walk"]))
    assert urgent[0] == ("common-hamstring-injuries", "This needs urgent medical assessment and may require surgical repair.")
    assert "urgent medical assessment" in rules.urgent_advice
    prompt = rules.evidence_for(rules.check(["I felt a pop in my hamstring"]))
    # prompt advice cites no sentence calling for urgent care, or the answer would contradict itself
    assert prompt and not any("urgent" in quote for _, quote in prompt)
    assert "healthcare practitioner" in rules.advice
    assert any("healthcare practitioner" in quote for _, quote in prompt)


@pytest.mark.parametrize("text", ["advice", "urgent_advice"])
def test_advice_is_whole_sentences(rules, text):
    advice = getattr(rules, text)
    sentences = [s.strip() for s in advice.split(". ") if s.strip()]
    assert advice.endswith(".") and "  " not in advice
    assert all(s[0].isupper() for s in sentences)


def test_info_lines_are_one_whole_sentence_per_symptom_asked_about(rules):
    verdict = rules.check(["what does a pop mean?", "is bruising a bad sign?", "what if I hear a snap?"])
    lines = rules.info_lines(verdict)
    assert lines == [
        "A pop, snap or tearing feeling in the hamstring is a reason to stop running and have it assessed by a doctor or physiotherapist.",
        "Bruising on the back of the thigh after a hamstring injury is a reason to have it assessed by a doctor or physiotherapist.",
    ]
    assert rules.info_lines(rules.check(["I felt a pop"])) == []  # escalated, not asked about


def test_every_rule_has_an_info_sentence_that_reads_as_one(rules):
    for flag in rules.flags:
        assert flag.info[0].isupper() and flag.info.endswith(".") and flag.info.count(". ") == 0, flag.id
        assert len(flag.info.split()) >= 8, flag.id
    reasons = [flag.reason for flag in rules.flags]
    assert all(r[0].islower() and not r.endswith(".") for r in reasons)  # listed after "What you describe:"
    assert not any(r.startswith("signs that") for r in reasons)


def test_slips_of_listed_words_are_read_as_the_word(rules):
    assert rules.read("Felt somthing tear, can't put wieght on it, brusied") == "felt something tear, cant put weight on it, bruised"
    assert rules.read("my lip") == "my lip"  # not a slip of a listed word


def test_escalation_needs_a_personal_red_flag(rules):
    with pytest.raises(ValueError):
        rules.escalation(RedFlagVerdict())


def test_evidence_for_cites_the_sentences_behind_the_flags(rules):
    cited = rules.evidence_for(rules.check(["I can't bear weight on it"]))
    assert any(source == "pt-top-3-questions" and "can’t bear weight" in quote for source, quote in cited)
    assert all(pair in rules.evidence for pair in cited)
    assert rules.evidence_for(rules.check(["is foam rolling good?"])) == []


def test_evidence_holds_the_sentences_the_articles_say_need_assessment(rules):
    quotes = {quote for _, quote in rules.evidence}
    assert "This needs urgent medical assessment and may require surgical repair." in quotes
    assert any("can’t bear weight or you’re altering your gait" in quote for quote in quotes)
    assert any(quote.startswith("Be sure to address any nagging pain") for quote in quotes)


def test_verify_passes_on_the_real_corpus():
    verify_quotes([RULES_PATH], load_articles(ARTICLES_DIR))


def test_verify_names_a_quote_that_is_no_longer_verbatim(rules, tmp_path):
    articles_dir = tmp_path / "articles"
    shutil.copytree(ARTICLES_DIR, articles_dir)
    page = articles_dir / "common-hamstring-injuries.md"
    page.write_text(
        page.read_text(encoding="utf-8").replace("This needs urgent medical assessment", "This needs medical assessment"),
        encoding="utf-8",
    )
    with pytest.raises(CorpusError) as raised:
        verify_quotes([RULES_PATH], load_articles(articles_dir))
    assert "(grade-three-urgent)" in str(raised.value)
    assert "This needs urgent medical assessment and may require surgical repair." in str(raised.value)
    assert "sharp-or-worsening" not in str(raised.value)


def _broken_rules(tmp_path: Path, find: str, replace: str) -> Path:
    text = RULES_PATH.read_text(encoding="utf-8")
    assert find in text
    path = tmp_path / "red_flags.yaml"
    path.write_text(text.replace(find, replace, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "find, replace, named",
    [
        ("    reason: a pop, snap or tearing feeling\n", "", "rules[0] (pop-or-tear).reason"),
        ("    urgent: true\n", "    urgent: maybe\n", "rules[3] (heavy-bruising).urgent"),
        (
            "evidence: [sharp-or-worsening, suspected-tear]",
            "evidence: [no-such-quote]",
            "rules[1] (sudden-severe-pain).evidence",
        ),
        ("      - 'hobbl\\w*'", "      - 'hobbl(\\w*'", "rules[8] (walking-affected).patterns"),
        ("{cant} (?:even )?walk(?!", "{cannot} (?:even )?walk(?!", "rules[6] (cannot-walk).patterns"),
        ('      - "{cant} walk properly"', '      - "{cnt} walk properly"', "rules[8] (walking-affected).phrases[8]"),
        ("version: 2", "version: 3", "version"),
        ("    only_with: [fall, sudden]\n", "    only_with: [fall, sudn]\n", "rules[7] (could-not-get-up).only_with"),
        ("  - [pop-or-tear, sudden-severe-pain]", "  - [pop-or-tear, sudden-pain]", "urgent_together[0]"),
        ("    info: Bruising on the back", "    info: bruising on the back", "rules[2] (bruising).info"),
        ("urgent_evidence: [grade-three-urgent,", "urgent_evidence: [grade-3-urgent,", "urgent_evidence"),
        ("advice: >-", "advise: >-", "advice"),
        ("    quote: \"This needs urgent", "    quoted: \"This needs urgent", "evidence[0] (grade-three-urgent).quote"),
        ("  - id: swelling\n", "  - id: swelling\n    patterns: [[nested]]\n", "rules[4] (swelling)"),
    ],
)
def test_malformed_rules_name_the_field(tmp_path, find, replace, named):
    path = _broken_rules(tmp_path, find, replace)
    with pytest.raises(RulesError) as raised:
        RedFlagRules.load(path)
    assert str(path) in str(raised.value)
    assert named in str(raised.value)


def test_yaml_syntax_error_names_the_file(tmp_path):
    path = _broken_rules(tmp_path, "rules:\n", "rules: [\n")
    with pytest.raises(RulesError, match="not valid YAML"):
        RedFlagRules.load(path)


def test_missing_rules_file_is_a_rules_error(tmp_path):
    with pytest.raises(RulesError, match="cannot read"):
        RedFlagRules.load(tmp_path / "absent.yaml")


def test_slight_swelling_is_answered_with_the_note_and_marked_swelling_escalates(rules):
    slight = rules.check(["strained my hammie 3 days ago, still a bit swollen. ice or heat now?"])
    assert not slight.escalate and any(h.flag_id == "swelling" for h in slight.informational)
    assert rules.check(["my hamstring is really swollen"]).escalate
    assert rules.check(["it's a bit swollen and I heard a pop"]).escalate  # another red flag still escalates


def test_tightness_that_stretching_does_not_ease_is_answered_with_the_note(rules):
    # corpus/red_flags.yaml contexts.tightness: Fitzgerald answers it (tight-feeling hamstrings are usually
    # over-stretched); the note that pain not improving needs assessing is still said
    tight = rules.check(["my hammies always feel tight so i stretch them every day but its not getting better"])
    assert not tight.escalate and any(h.flag_id == "not-improving" for h in tight.informational)
    assert rules.check(["my hamstring pain is not getting better after three weeks"]).escalate
    assert rules.check(["my hamstrings feel tight and the pain keeps getting worse every run"]).escalate


def test_a_lump_the_runner_calls_a_knot_is_answered_with_the_note(rules):
    # corpus/red_flags.yaml contexts.knot: Dack's guide answers a tender knot (self-massage); the note that a
    # lump can be a sign of a significant tear is still said
    knot = rules.check(["theres a really tender lump in the middle of my hammy, pretty sure its a knot. how do i work it out myself?"])
    assert not knot.escalate and any(h.flag_id == "gap-or-lump" for h in knot.informational)
    assert rules.check(["there is a lump at the top of my hamstring"]).escalate
    assert rules.check(["felt a pop sprinting and now theres a lump in my hamstring, is it a knot?"]).escalate
    # a tender (lumpy) spot the runner wants to massage is the knot Dack's guide answers
    assert not rules.check(["found a really tender lumpy spot in my hamstring. how do i massage it myself?"]).escalate
    assert rules.check(["felt a pop and now theres a tender lump in my hamstring, bruising too"]).escalate


def test_severe_pain_brought_on_by_sitting_is_answered_with_the_note(rules):
    # corpus/red_flags.yaml contexts.sitting: sitting pain is the tendinopathy clue the articles give, not a
    # tear's sudden pain; the note that sharp or worsening pain needs assessing is still said
    sitting = rules.check(["why does SITTING hurt my hamstring more than running? the 2hr train ride home was agony, right on the sit bone"])
    assert not sitting.escalate and any(h.flag_id == "sudden-severe-pain" for h in sitting.informational)
    assert rules.check(["the pain in my hamstring was agony on my run today"]).escalate
    sat_then_hurt = rules.check(["I was sitting down, got up and felt a sudden sharp pain in my hamstring, now I cant walk"])
    assert sat_then_hurt.escalate and sat_then_hurt.urgent


def test_a_runner_leaving_out_the_i_is_telling_not_asking(rules):
    # "can barely hobble" opens like "can I…?" but tells of the runner's own leg: it is theirs, and urgent
    told = rules.check(["felt like someone smacked the back of my thigh. can barely hobble, thats ok right?"])
    assert "cannot-walk" in [h.flag_id for h in told.personal] and told.urgent
    # a general question stays a question, answered with the note
    asked = rules.check(["can you run if you can barely walk?"])
    assert not asked.personal and "cannot-walk" in [h.flag_id for h in asked.informational]


def test_not_really_able_to_put_weight_on_the_leg_is_not_being_able_to(rules):
    verdict = rules.check(["hill sprints tonight, cant really put weight on the leg now"])
    assert "cannot-bear-weight" in [h.flag_id for h in verdict.personal] and verdict.urgent
    assert not rules.check(["I can really put weight on the leg now, it feels fine"]).personal

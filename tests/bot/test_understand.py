"""Reading a runner's question with the reviewed rules of corpus/questions.yaml: intent, situation, the
article words behind everyday ones, gaps in the articles, small talk, and the conversation after a red flag."""

import pytest

from bot.guardrails.scope import corpus_vocabulary
from bot.understand import QuestionReader
from core.corpus import load_articles
from core.questions import Question
from core.settings import PROJECT_ROOT
from core.types import Message

READER = QuestionReader.load()
ARTICLES = load_articles(PROJECT_ROOT / "corpus" / "articles")
VOCABULARY = corpus_vocabulary(ARTICLES) | READER.bridged_words
CORPUS_TEXT = "\n".join(" ".join(a.body.lower().split()) for a in ARTICLES)


def read(text: str, *earlier: str):
    history = tuple(Message(role="user", content=e) for e in earlier)
    return READER.read(Question(text, history), VOCABULARY, CORPUS_TEXT)


@pytest.mark.parametrize(
    "text, intent",
    [
        ("how long should I hold a hamstring stretch?", "how-long"),
        ("when can i run again after a strain", "how-long"),
        ("why do my hammies keep flaring up??", "why"),
        ("whats high hamstring tendinopathy", "what-is"),
        ("how do i foam roll my hamstrings", "how-to"),
        ("should i stretch before or after?", "should-i"),
        ("my hamstring hurts", None),
        # how fast to build something up asks how much per week (the 10% rule), not how long
        ("how quickly can I bump my weekly mileage back up?", "how-much"),
        ("how quickly will a grade 1 strain heal?", "how-long"),
        ("what should i be doing tonight + next couple days??", "how-to"),
        # asking for the reason in other words
        ("physio has me doing planks for a HAMSTRING problem. make it make sense", "why"),
        ("what has my core got to do with the back of my leg", "why"),
        # news, then whether it matters: should I worry? ("does it matter if…" asks what it does)
        ("thing is it still twinges a bit when i walk up stairs. does that matter?", "should-i"),
        # "at what point" in the stride asks where in it, not when to act
        ("at what point should i get my hamstring looked at?", "when"),
        ("at what point in my stride does the hamstring actually get hurt?", None),
        # what a thing does to the muscle asks whether and how it works; what a professional does for it does not
        ("ok and what does squashing my leg on a roller actually do to the muscle?", "works"),
        ("what would a physio actually do for a hamstring strain that i can't just do at home?", None),
        # how quick, without "-ly", till a difference is noticed
        ("and how quick should i expect to notice a difference?", "how-long"),
        ("how fast will i notice a difference from the massage?", "how-long"),
        # asked to explain a term: what it is
        ("my consultant's letter says 'ischial tuberosity origin'. could you explain where that is?", "what-is"),
        ("where exactly is the sitting bone?", "what-is"),
        # how to know enough of something is done: on what condition
        ("how do i know when i've done enough of that?", "when"),
        # what would follow without something
        ("so what would happen to my knee if they didnt do that job", "what-happens"),
        ("lol ok so what would happen if they just stopped doing that job", "what-happens"),
        # ... not what follows from doing it: that is what a strain does when run on
        ("what happens if i just keep going and ignore it til race day", None),
    ],
)
def test_intent(text, intent):
    assert read(text).intent == intent


@pytest.mark.parametrize(
    "turns, situation",
    [
        (["pulled my hammy yesterday doing strides. should i stretch it?"], "injured"),
        (["deep ache right on my sit bone, worse when i sit at work"], "tendinopathy"),
        (["whats the right way to ease back into running?"], "returning"),
        (["marathon in 6 weeks and my hamstring's niggly on runs"], "sore"),
        (["what are the three hamstring muscles?"], None),
        # the situation said earlier in the conversation still counts
        (["I strained my hamstring on Tuesday", "should I stretch it?"], "injured"),
        # a twinge during a session, or a run stopped on the spot, is a fresh injury
        (["felt a twinge high in my hamstring during 200m repeats, stopped straight away. just sore"], "injured"),
        (["i get a twinge when i sit at my desk"], "tendinopathy"),
        (["felt my hammy tighten and go twangy near the end of a 10k tempo, stopped and walked home"], "injured"),
        (["felt a twinge in my hammy at the end of a tempo tonight, walked home fine"], "injured"),
        (["hammy pain right up high near where i sit, been off running a week"], "tendinopathy"),
        (["deep ache in the bone i sit on, worse on long drives"], "tendinopathy"),
        # "after i get back" (home) is not a return to running
        (["should i stretch before i head out the door or after i get back?"], None),
        # a denial is of the words right after it: "not running with my strain" is a strain; "not really injured" is not
        (["going stir crazy not running with my hamstring strain. what can i do at the gym?"], "injured"),
        (["not really injured, my hamstring is just a bit sore on runs"], "sore"),
    ],
)
def test_situation_is_read_from_the_whole_conversation(turns, situation):
    assert read(turns[-1], *turns[:-1]).situation == situation


def test_everyday_words_are_read_as_the_articles_words():
    reading = read("should i take ibuprofen for my pulled hammy?")
    assert "anti-inflammatory medication" in reading.expansion and "strain" in reading.expansion
    assert reading.unnamed == (("ibuprofen", "anti-inflammatory medication"),)  # named by brand: said plainly
    assert READER.normalise("icing my hammy", VOCABULARY) == "ice my hamstring"
    assert READER.normalise("best exercizes to strenghten", VOCABULARY) == "best exercises to strengthen"
    # pulling up at the end of a sprint is decelerating, not a pulled (strained) hamstring
    assert "rapid deceleration" in READER.normalise("it goes when i pull up after strides", VOCABULARY)
    assert "penetrate" in READER.normalise("does icing even get deep enough to help?", VOCABULARY)
    # a runner's "keeps coming back" and "safe to ignore?" in the articles' words: recurring, precedes worse injuries
    assert "recurring comeback" in READER.normalise("why does my hamstring keep coming back?", VOCABULARY)
    assert "precedes more serious injuries" in READER.normalise("tight for 2 wks, safe to ignore?", VOCABULARY)
    # short hamstrings are tight ones; a short jog is not
    assert "tight shortened" in READER.normalise("my hammies always feel tight. are they just short?", VOCABULARY)
    assert "tight" not in READER.normalise("stairs still twinge. ready to try a short jog?", VOCABULARY)
    assert "cycling stationary bike" in READER.normalise("can i just hammer the turbo trainer then?", VOCABULARY)
    assert "core" in READER.normalise("physio has me doing planks and dead bugs", VOCABULARY)
    # a foot landing out in front is overstriding; a track is where a runner was filmed, not speed work
    normalised = READER.normalise("filmed me on the track and my foot lands miles out in front of me", VOCABULARY)
    assert "overstriding" in normalised and "speed work" not in normalised
    assert "penetrate" in READER.normalise("it doesnt get anywhere near where the pain is, its deep in there", VOCABULARY)


@pytest.mark.parametrize(
    "text, gap",
    [
        ("anyone had PRP injections for high hamstring tendon pain? worth the cash?", "PRP injections"),
        ("anyone tried dry needling for hamstring knots?", "dry needling"),
        ("do i need an MRI to find out how bad my hammy tear is?", "MRI"),
        ("do compression shorts actually help stop hamstring strains?", "compression shorts"),
        ("would dry needling sort out my tight hamstrings?", "dry needling"),
        ("should i see a chiropractor for my hamstring?", "chiropractor"),
        ("is yoga good for tight hamstrings?", "yoga"),
        ("my hamstring cramps at the end of long runs, why?", "cramps"),
        ("do epsom salt baths actually do anything for a sore hamstring after a long run?", "epsom salt baths"),
        ("someone said the relaxin hormone makes you more likely to pull a hamstring. is that true?", "relaxin hormone"),
        # the setting of a question is no gap
        ("filmed myself on the treadmill and my foot lands way out in front. could that be why my hamstrings ache?", None),
        ("my physio wants to dry needle my hamstring next session. does that actually help?", "dry needle"),
        # a question naming nothing of its own asks about the sentence before it; two things asked about are both named
        ("sports doc mentioned either a cortisone shot or PRP injection. which is better?", "cortisone shot or PRP injection"),
        # a long word in capitals is shouted, not a name
        ("4 months of high hamstring tendon pain has FINALLY calmed down 🙏 what do i do so it never comes back?", None),
        # a question pointing back past a sentence of how it went, to what was done
        ("physio has done dry needling on my hamstring 3 sessions now. honestly no change at all. is it worth carrying on with it?", "dry needling"),
        ("Sports clinic is offering me shockwave or a PRP injection for my hamstring tendon. Which one's better?", "shockwave or PRP injection"),
        # ... but a question asking what to do leans on nothing: a place is no gap
        ("my hamstring grumbles on hills but I live in the Peak District - literally every run has climbs. What can I do?", None),
        # covered questions, however they are worded, have no gap
        ("What is a grade II hamstring strain?", None),
        ("every1 keeps saying RICE for a pulled hammy, what does that stand for?", None),
        ("whats 'high hamstring tendinopathy'? someone on strava reckons thats what my sit bone pain is", None),
        ("how much can i bump my weekly mileage without wrecking my hammies?", None),
        ("is it true tight quads matter more than tight hamstrings?", None),  # "tight" is no thing; "tights" are
        ("PHT diagnosis but i love leg day. do i have to drop any of it?", None),
        ("do compression tights help?", "compression tights"),
        # a verdict asked with no object of its own is on the thing the sentence before names
        ("saw one of those TENS/EMS muscle stimulator pads on amazon for £30. worth using on a strained hammy to speed things up?", "TENS EMS"),
        ("my sister got me a gua sha scraping tool, she swears by it for her neck. any good for a tight sore hamstring?", "gua sha scraping tool"),
        ("i foam roll every night. any good for a tight hamstring?", None),
        # a single letter is no name
        ("A&E doctor wrote 'first-degree hamstring injury' on my discharge note. does that mean its torn?? theres no bruise or anything", None),
        # a thing's name ends at the thing: the next words name another
        ("would fish oil / omega 3 capsules help calm down my high hamstring tendon? someone at parkrun swears by them", "fish oil or omega 3 capsules"),
        ("i row as well as run. strained my hamstring (mild) on wednesday - ok to keep doing my erg sessions while it settles?", "erg"),
        ("does collagen powder or vitamin c speed up a hamstring strain healing?", "collagen powder or vitamin"),
        # a run of words opening on a thing names the thing, not what follows it
        ("should i be taking collagen + vit c before my rehab sessions to help my hamstring tendon heal?", "collagen"),
        # a name is letters: an age group or a distance written in capitals is no thing asked about
        ("been doing static stretches after every run for about 30 years (V60 now). should i ditch them?", None),
        # everyday abbreviations for what the articles discuss are no gap
        ("is DIY massage pointless or do i need to pay a proper therapist?", None),
        # an article's author is not a thing the articles never discuss
        ("do the PT article and the Dack one agree on when to foam roll hamstrings?", None),
        ("WFH and sitting all day is making my high hamstring pain worse. tips?", None),
        # a question about what someone named before did leans on that sentence
        ("physio did a thing called a slump test on my sore hamstring, sitting slouched. what was she checking for?", "slump test"),
        # ... but a pointer after the subject's own name points at it: a school subject before is no gap
        ("on the school xc team and revising for gcse PE. what are the 3 hamstring muscles called and where do they go?", None),
        # an asking sentence in words the articles never use, naming no thing, asks about the sentence before;
        # who mentioned it is not part of the thing
        ("GP mentioned PRP injections for my hamstring tear thats not healing. whats the success rate and how long off running after?", "PRP injections"),
        ("sports doc mentioned PRP injections for my high hamstring tendinopathy. anyone know if it's worth it?", "PRP injections"),
        ("one article i read says NEVER run on a hamstring injury, but my PT mate says keep going. who's right?", None),
        # a verdict asked of nothing named is asked of the sentence before; who offered it is not the thing
        ("physio clinic is offering shockwave therapy for my hamstring tendinopathy, 6 sessions. legit or waste of money?", "shockwave"),
        ("had high hamstring tendon pain for 8 months. someone at club said PRP injections sorted theirs out, are they worth looking into?", "PRP injections"),
        ("does tart cherry juice speed up hamstring strain recovery? clubmate swears by it", "tart cherry juice"),
        # a teacher is someone who says something, not a thing asked about
        ("17yo son has a low grade hammy ache. physio says keep running, his PE teacher says no running at all till its gone. which is right", None),
        # things taken for cramp are things asked about
        ("both hamstrings cramped at mile 17. is that a salt thing? should i be taking electrolyte tabs on race day?", "salt or electrolyte tabs"),
        # another muscle's strain, asked about by a runner who says it isn't the hamstring this time
        ("not my hamstring this time. how long do groin strains usually take before i can run again?", "groin"),
        # read as itself only so that "cycle" is not the bike: the articles never discuss it
        ("does where i am in my menstrual cycle change my risk of pulling a hamstring?", "the menstrual cycle"),
        ("my niggles flare the week before my period, is that a thing?", "the menstrual cycle"),
        ("is the spin bike ok for my hamstring?", None),
    ],
)
def test_what_the_articles_never_discuss_is_named(text, gap):
    assert read(text).gap == gap


@pytest.mark.parametrize(
    "text, kind",
    [
        ("hiya", "greeting"), ("Hi there!", "greeting"), ("cheers, that actually helped loads!", "thanks"), ("ok thanks", "thanks"),
        ("bye", "goodbye"), ("hi, my hamstring hurts", None),
        # a question about the bot itself
        ("hiya 👋 whos this then, are you a real person or a bot? what can u do", "about"), ("are you a doctor?", "about"),
        ("what are your sources?", "about"), ("what can you do for my sore hamstring?", None),
    ],
)
def test_small_talk(text, kind):
    assert read(text).small_talk == kind


def test_the_asking_part_is_told_from_its_context():
    assert read("cant afford a massage therapist rn, how do i massage my own hamstring?").ask == "how do i massage my own hamstring?"


def test_a_cue_in_a_sentence_that_asks_comes_before_one_in_a_sentence_that_doesnt():
    reading = read("so what do i actually think about while im running to stop doing it? dont want to relearn how to run at 52")
    assert reading.intent == "how-to" and reading.ask.startswith("so what do i actually think about")


def test_an_asking_part_that_points_back_asks_about_what_it_points_at():
    assert "rice" in read("every1 keeps saying RICE for a pulled hammy, what does that stand for?").topic.split()
    assert "physical therapist" not in read("cant afford a physio, how do i massage my own hamstring?").ask


def test_a_sentence_that_opens_by_pointing_back_asks_about_the_sentence_before():
    reading = read("physio has been using an ultrasound wand thing on my hamstring every session. whats that meant to do that my ice pack at home doesnt?")
    assert "ultrasound" in reading.ask and "ice" in reading.ask
    # what was said, not who said it
    reading = read("physio reckons my pelvis tips forward and that's what's yanking on my hamstrings. how does that even work?")
    assert reading.ask.startswith("my pelvis tips forward")
    # a sentence naming its own topic first asks about that alone
    assert read("my hamstring aches on hills. why do hills do that?").ask.startswith("why do hill")


def test_appointments_name_no_topic():
    assert "appointment" not in read("massage lady calls them knots. can i work on them myself between appointments?").topic


def test_the_topic_of_what_is_asked_leaves_out_words_that_name_nothing():
    topic = read("is a sports massage on my hamstring actually worth the money? does it even help").topic.split()
    assert "massage" in topic and not {"actually", "worth", "even", "help"} & set(topic)


def test_assessment_and_self_care_after_a_red_flag():
    assert READER.says_assessed(["I've seen a physio now"]) and READER.says_assessed(["my GP said it's a grade 2"])
    assert not READER.says_assessed(["should I see a physio?"])
    assert READER.asks_self_care("what stretches can I do to loosen it?") and not READER.asks_self_care("what causes strains?")
    assert READER.reminder("earlier_red_flag", ["a pop", "bruising"]).startswith("Earlier you described a pop and bruising.")


@pytest.mark.parametrize(
    "text, situations",
    [
        # a situation the runner says is not theirs is not read
        ("marathon in 6 weeks, hamstring niggly on runs. not injured, just grumpy. stop running?", ("sore",)),
        ("pulled it last week, no pain now, can I stretch?", ("injured",)),
        # someone else's "if it's injured" is their hypothesis, not the runner's situation; the runner's own premise is
        ("achy 3/10 on runs, no pop. my mate says if its injured i shouldnt run at all. which one's right?", ("sore",)),
        ("would the bike still be ok if its tendinopathy instead?", ("tendinopathy",)),
        # tight hamstrings are the healthy runner's: the articles' stretching advice is for them
        ("do tight hamstrings make you more likely to tear one?", ()),
        # trying a jog after an injury is coming back from it
        ("hurt my hammy a week ago, walking is still a bit sore, can I try a gentle jog?", ("injured", "returning", "sore")),
        # running without pain again after weeks off is coming back, whatever the injury was
        ("running pain-free again after 4 weeks off with a strained hamstring, when can I do intervals?", ("injured", "returning")),
        ("6 wks off with a hammy strain, now pain free again. long run this weekend?", ("injured", "returning")),
        ("coming back from a hamstring strain, how do I build up?", ("returning",)),
        # healed, or running pain free again, is coming back
        ("HS strain all healed, 3 runs done pain free. can i go straight back to my normal 50k weeks?", ("returning",)),
        ("hammy fully healed now, what next?", ("returning",)),
        ("pain has finally gone after a month of easy running. can i go straight back to my old hilly loop?", ("returning",)),
        # something going in the back of the leg mid-run is a fresh injury
        ("week 4 of couch to 5k and something went in the back of my leg on tuesdays run. walking is fine", ("injured",)),
        ("something went wrong with my training plan, now my hamstring is sore", ("sore",)),
        ("walking fine now, gonna do parkrun and see how it holds up", ("returning",)),
        ("how long does a pulled hamstring take to heal?", ("injured",)),  # asking when it heals is not healed
        # having a strain is a premise; wondering whether one has it is not
        ("ive got a mild hamstring strain, ok to use the exercise bike while it heals?", ("injured",)),
        ("how do i know if ive got a hamstring strain or something else?", ()),
        # a strain named with when it happened, or called mild, is the runner's own
        ("sprint tri in 3 wks. mild hammy strain 5 days ago, no bruise. can i keep my runs in if i go really slow?", ("injured",)),
        ("mild hamstring strain, no bruising. can i still use the elliptical?", ("injured",)),
        ("how do i tell if its a mild strain or just tightness?", ()),
        # an injury that keeps coming back is a recurring one, not a runner coming back from it
        ("3rd time this year my hammy has flared up. why does it keep coming back", ()),
        # a pull told as past history is not a fresh injury
        ("hamstrings have always been super tight. is that why ive pulled them twice in 2 years?", ()),
        ("pulled it last season, now it feels tight again. stretch more?", ()),
        ("pulled my hamstring yesterday, should i stretch?", ("injured",)),
        # where the hamstring meets the buttock is where its tendon is irritated
        ("pain high up where hamstring meets bum. hurts the first mile, goes once im warm", ("tendinopathy", "sore")),
    ],
)
def test_situations_said_and_not_said(text, situations):
    assert read(text).situations == situations


def test_advice_for_a_situation_the_runner_also_states_is_not_kept_from_them():
    assert READER.unless_also == {"returning", "tendinopathy"}
    assert "sore" not in READER.unless_also  # "pulled it yesterday, it's sore" stays a fresh injury


@pytest.mark.parametrize(
    "text, no_professional",
    [
        ("cant afford a massage therapist rn, how do i massage my own hamstring?", True),
        ("physio is booked out for 3 wks, what can I do myself?", True),
        ("back of my leg sore for 2 yrs. can't afford a physio. options?", True),
        ("money's tight. do i actually need to pay for a physio or can i sort it myself?", True),
        ("should I see a physio or a massage therapist?", False),
        ("is a sports massage worth the money?", False),
    ],
)
def test_a_runner_who_cannot_see_a_professional_is_noticed(text, no_professional):
    assert read(text).no_professional is no_professional


def test_referral_passages_are_recognised():
    assert READER.referral.search("make an appointment with a licensed massage therapist")
    assert READER.referral.search("it’s time to reach out to your local PT for an assessment".replace("’", ""))
    assert READER.referral.search("consult a doctor or physical therapist if your injury worsens")
    assert not READER.referral.search("Massage your hamstrings with your thumbs.")


@pytest.mark.parametrize(
    "turns, mild",
    [
        (["strained it 4 days ago, can walk fine. should i keep it still?"], True),
        (["mine is sore but theres no bruising at all. is it a proper strain?"], True),
        (["tweaked it 12 days ago. walking's fine now. parkrun saturday?"], True),
        (["physio said grade 1", "can i jog on it?"], True),  # said earlier in the conversation
        (["i cant walk without limping, should i stretch?"], False),
        (["not able to walk normally since the race, what now?"], False),
        # the grades themselves asked about: the runner wants all of them
        (["whats the difference between a grade 1 and a grade 2 strain? mine is grade 1"], False),
        (["mine feels mild. should i treat it as mild or as a tear?"], False),
        # any other comparison is the mild runner's own
        (["its a grade 1 strain. can i keep fit at the gym or will that make it worse?"], True),
        # a runner saying it isn't an injury, asking what to do, has no severe tear ...
        (["back of my thigh is a bit achy, i dont think its injured though. should i change my training?"], True),
        (["hamstring niggles on runs but im not injured. how do i keep running on it?"], True),
        # ... but one asking why, or whether it is one, may be told about the grades
        (["my hamstring aches but im not injured. why do sprinters tear theirs so badly?"], False),
        (["is it safe to run again if walking still hurts?"], False),
        # a severe injury named in the message is asked about, unless it is denied
        (["physio said its a grade 1 strain", "ok so what would a grade 3 actually feel like? how would i even know"], False),
        (["grade 1, can walk fine, definitely not a rupture. what should i do?"], True),
        # low-grade words: an ache the morning after a session that felt fine
        (["did 8k at MP. felt grand during and right after but sunday morning the hammy was achy. does that count?"], True),
        (["hamstring feels a bit achy after intervals, what should i change?"], True),
    ],
)
def test_a_runner_who_says_the_injury_is_mild_is_noticed(turns, mild):
    assert read(turns[-1], *turns[:-1]).mild is mild


def test_a_runner_slowing_after_the_line_is_read_as_deceleration():
    for text in ("hurt it as i eased up past the finish line", "strained it shutting down after the line", "i hit stop on my watch after each rep"):
        assert "deceleration" in read(text).expansion, text


def test_too_much_too_soon_is_read_as_the_articles_load_changes():
    assert "too many changes in the same week" in read("went to 5 runs a week and added speed. too much too soon??").expansion


@pytest.mark.parametrize(
    "message, read_as",
    [
        # a substitute for a foam roller: what to use instead (a tennis ball)
        ("no room for my foam roller, any substitute?", "instead"),
        # keeping it totally still, against the articles' gentle movement
        ("do i just keep resting it totally still?", "gentle movement"),
        # going back early: continuing to run on the injury prevents healing
        ("whats the risk if i go back early?", "prevent healing"),
        # not losing fitness while it settles: maintaining fitness
        ("dont want to lose my fitness, what can i do instead?", "maintain fitness"),
        # speeding up healing: the articles say there is no quick fix
        ("any way to speed it up?", "quick fix"),
        # what to do instead of running: cross-training
        ("what can i do instead of running?", "cross-training"),
        # the turns of a shuttle run: sharp changes of direction and heavy deceleration
        ("my hamstring only ever hurts at the turns of the bleep test", "changes of direction"),
        # "stretching isnt the answer": what the articles say is "best addressed" "rather than" stretching
        ("so if stretching isnt the answer what do i do?", "rather than best addressed"),
        # "won't it seize up?": the articles' "complete stiffness" against "gentle movement"
        ("surely doing nothing will make it seize up?", "complete stiffness"),
        # where a muscle is "fixed on the bone" is where it attaches
        ("where is it fixed on the bone?", "attach"),
        # sessions "winding it up" aggravate it
        ("which sessions are winding it up?", "aggravate"),
        # a bridge's words are not a typo's target: "saying" stays "saying"
        ("every1 keeps saying RICE", "saying"),
        # "jump on it" is acting early, not jumping
        ("first twinge this week. if i jump on it now, what does that look like?", "caught early"),
        # keeping an eye on something is monitoring it
        ("what do i keep an eye on long term?", "monitor"),
        # mileage "all over the place" is the articles' erratic training
        ("travel for work so my mileage is all over the place", "dramatic variations in mileage"),
    ],
)
def test_runners_everyday_phrases_are_read_as_the_articles_words(message, read_as):
    assert read_as in READER.normalise(message, VOCABULARY)


def test_runners_shorthand_and_asides_are_read_plainly():
    # runners' shorthand for the hamstring
    assert READER.normalise("strained HS", VOCABULARY) == "strained hamstring"
    # "go straight in heavy" says when, not which drill ("straight leg kicks")
    assert "straight" not in READER.normalise("can i go straight in heavy on the single leg ones?", VOCABULARY)


def test_keeping_it_that_way_is_prevention():
    assert read("all good now. what mobility should i do to keep it that way?").prevention
    assert not read("what mobility should i do?").prevention
    assert read("once im fully back, what do i keep an eye on so it doesnt come back?").prevention


@pytest.mark.parametrize(
    "text, pain_gone",
    [
        ("hamstring pain has finally gone after a month off hills. can i go back to my hilly loop?", True),
        ("running pain free again after 4 weeks off, when can I do intervals?", True),
        ("FINALLY pain free after 3 months rehabbing my hammy, back to my normal plan next week", True),
        ("do i have to keep doing the strength stuff now its healed?", True),
        ("the pain is almost gone but it still twinges on hills", False),
        ("it hasn't healed yet, can I jog?", False),
        ("the pain has gone up since the long run", False),
        ("hamstring hurts on hills, what should i change?", False),
    ],
)
def test_a_runner_who_says_the_pain_has_gone_is_noticed(text, pain_gone):
    assert read(text).pain_gone is pain_gone

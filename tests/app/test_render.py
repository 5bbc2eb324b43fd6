"""How answers render in the chat: HTML drawn from the answer's fields, escaped, in reading order.

Checked as HTML text over the canned answers; the browser tests show the same blocks in a real page.
"""

import re

from core.markdown import REMINDER
from core.types import Answer, Article, Citation, Part
from web.articles import Shelf
from web.render import SHORT_REMINDER, render_answer, render_user, reveal


def test_user_text_is_escaped_never_markup():
    html = render_user('<img src=x onerror=alert(1)>\n<script>alert("x")</script>')
    assert "<img" not in html and "<script" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;<br>&lt;script&gt;" in html


def test_citations_open_to_the_exact_quote_title_and_section(answers):
    html = render_answer(answers.cited)
    assert html.count('<details class="hb-citation"') == 2
    assert (
        '<details class="hb-citation" id="hb-a-c1"><summary>[1] The Complete Guide to Managing Hamstring Pain and '
        "Injuries in Runners — Strength Train Your Hamstrings</summary><blockquote>Strong hamstrings are less likely to "
        "get injured.</blockquote>"
    ) in html
    assert "<blockquote>Add weight gradually &amp; keep &lt;good&gt; form.</blockquote>" in html  # corpus text escaped too


def test_markers_are_links_to_their_citations_in_the_same_answer(answers):
    html = render_answer(answers.cited, key="t3")
    targets = re.findall(r'<a class="hb-marker" href="#([^"]+)">\[(\d)\]</a>', html)
    assert targets == [("hb-t3-c1", "1"), ("hb-t3-c2", "2")]
    assert all(f'id="{anchor}"' in html for anchor, _ in targets)
    assert "[1]" not in html.replace(">[1]</a>", "").replace("<summary>[1]", "")  # every [1] is a link or the citation's own


def test_a_citation_opens_its_article_at_the_quote():
    body = "# T\n\nRest first. Then walk.\n"
    shelf = Shelf.of([Article("walking", "T", body, "seed")])
    cited = Citation(n=1, source_id="walking", title="T", quote="Then walk.")
    html = render_answer(Answer(text="", lead=Part(text="Then walk.", citations=[1]), citations=[cited]), link=shelf.link)
    assert ('<a class="hb-open-article" href="articles/walking?start=17&amp;end=27#quote" target="_blank" '
            'rel="noopener">Read it in the article</a>') in html
    assert body[17:27] == "Then walk."


def test_one_supporting_item_is_a_sentence_several_are_a_list(answers):
    one = render_answer(answers.cited)
    assert '<p class="hb-items">Start with two sets of eight and add load slowly' in one and "<ul class=\"hb-items\">" not in one
    two = answers.cited.model_copy(update={"items": [*answers.cited.items, Part(text="Rest between sets", citations=[1])]})
    html = render_answer(two)
    assert re.search(r'<ul class="hb-items"><li>Start with two sets.*?</li><li>Rest between sets.*?</li></ul>', html)


def test_the_reminder_is_in_full_on_the_first_answer_and_one_line_after(answers):
    first, later = render_answer(answers.cited, first=True), render_answer(answers.cited, first=False)
    assert REMINDER.strip("_") in first and SHORT_REMINDER not in first
    assert SHORT_REMINDER in later and REMINDER.strip("_") not in later
    assert len(SHORT_REMINDER) < 60  # one line on a phone
    assert "not a diagnosis" not in render_answer(answers.out_of_scope).lower()  # a decline carries no reminder


def test_escalation_is_a_warning_block_above_the_answer(answers):
    html = render_answer(answers.escalated)
    assert html.startswith('<div class="hb-answer"><div class="hb-escalation" role="alert">')
    assert html.count("Please get this assessed") == 1
    assert html.index("What the articles say:") > html.index("</div>")  # the evidence follows the warning block
    assert '<p class="hb-evidence">A popping sensation and bruising can mean a tear.' in html  # one quote: a sentence


def test_disagreement_comes_right_after_the_lead(answers):
    html = render_answer(answers.disagreeing)
    lead, block = html.index('<p class="hb-lead">'), html.index('<div class="hb-conflict" role="note">')
    assert lead < block and html[lead:block].count("</p>") == 1  # nothing between the lead and the block
    section = html[block:]
    assert "The sources disagree — Static stretching." in section
    assert "<cite>How Runners Can Relieve Tight Hamstrings</cite> — against: “Do not stretch an injured hamstring.”" in section
    assert html.count("The sources disagree") == 1


def test_the_page_draws_from_the_fields_never_from_the_text(answers):
    bare = answers.disagreeing.model_copy(update={"text": "whatever the text says"})
    html = render_answer(bare)
    assert "whatever the text says" not in html and '<div class="hb-conflict"' in html


def test_no_blank_line_ever_ends_the_html_block(answers):
    listed = answers.cited.citations[0].model_copy(update={"quote": "Ideal exercises include:\n\n- Deadlifts\n- Bridges"})
    html = render_answer(answers.cited.model_copy(update={"citations": [listed]}))
    assert "<blockquote>Ideal exercises include:<br><br>- Deadlifts<br>- Bridges</blockquote>" in html
    for answer in (answers.cited, answers.escalated, answers.disagreeing, answers.out_of_scope):
        assert "\n" not in render_answer(answer)


def test_streaming_shows_the_warning_first_then_grows_to_the_whole_answer(answers):
    frames = list(reveal(answers.escalated))
    assert len(frames) > 2
    assert all(f.startswith('<div class="hb-answer"><div class="hb-escalation"') for f in frames)
    assert "Sources" not in frames[0] and frames[-1] == render_answer(answers.escalated)
    assert [len(f) for f in frames] == sorted(len(f) for f in frames)

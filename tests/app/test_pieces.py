"""The chat page's parts on their own: how answers render, the rate limiter (feedback: test_feedback.py).

Rendering is checked as HTML text; the browser test shows the same blocks in a real page.
"""

from core.questions import check_history
from web.limits import RateLimiter
from web.render import render_answer, render_user, reveal



def test_user_text_is_escaped_never_markup():
    html = render_user('<img src=x onerror=alert(1)>\n<script>alert("x")</script>')
    assert "<img" not in html and "<script" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;<br>&lt;script&gt;" in html


def test_citations_open_to_the_exact_quote_title_and_section(answers):
    html = render_answer(answers.cited)
    assert html.count('<details class="hb-citation">') == 2
    assert (
        "<summary>[1] The Complete Guide to Managing Hamstring Pain and Injuries in Runners — "
        "Strength Train Your Hamstrings</summary><blockquote>Strong hamstrings are less likely to get injured.</blockquote>"
    ) in html
    assert "<blockquote>Add weight gradually &amp; keep &lt;good&gt; form.</blockquote>" in html  # corpus text escaped too


def test_escalation_is_a_warning_block_above_the_answer(answers):
    html = render_answer(answers.escalated)
    warning = html.index('<div class="hb-escalation" role="alert">')
    assert warning == 0
    assert html.index("Please get this assessed") > warning
    assert html.index("General information from the cited articles") > html.index("</div>")
    assert html.count("Please get this assessed") == 1  # the text's own warning is styled, not repeated


def test_disagreement_is_its_own_block_with_each_side_and_source(answers):
    html = render_answer(answers.disagreeing)
    block = html[html.index('<div class="hb-conflict">') :]
    assert block.index("The sources disagree — Static stretching") < block.index("</div>")
    assert "How Runners Can Relieve Tight Hamstrings* — against" in block
    assert html.count("The sources disagree") == 1


def test_the_page_draws_from_the_fields_never_from_the_text(answers):
    bare = answers.disagreeing.model_copy(update={"text": "whatever the text says"})
    html = render_answer(bare)
    assert "whatever the text says" not in html and '<div class="hb-conflict">' in html
    assert "*How Runners Can Relieve Tight Hamstrings* — against: “Do not stretch an injured hamstring.” [2]" in html


def test_streaming_shows_the_warning_first_then_grows_to_the_whole_answer(answers):
    frames = list(reveal(answers.escalated, step=3))
    assert len(frames) > 2
    assert all(f.startswith('<div class="hb-escalation"') for f in frames)
    assert "Sources" not in frames[0] and frames[-1] == render_answer(answers.escalated)
    assert [len(f) for f in frames[:-1]] == sorted(len(f) for f in frames[:-1])


def test_rate_limiter_is_a_sliding_window_per_client():
    now = [0.0]
    limiter = RateLimiter(limit=2, window=60, clock=lambda: now[0])
    assert limiter.retry_after("a") == 0 and limiter.retry_after("a") == 0
    assert limiter.retry_after("a") == 60
    assert limiter.retry_after("b") == 0  # another client is not affected
    now[0] = 30
    assert limiter.retry_after("a") == 30
    now[0] = 60.5
    assert limiter.retry_after("a") == 0


def test_history_is_cleaned_and_trimmed(settings):
    history = [{"role": "user", "content": "\x00"}] + [{"role": "user", "content": f"q{i}"} for i in range(6)]
    assert [m.model_dump() for m in check_history(history, settings)] == [{"role": "user", "content": f"q{i}"} for i in range(2, 6)]


def test_multi_line_quotes_stay_inside_their_citation(answers):
    listed = answers.cited.citations[0].model_copy(update={"quote": "Ideal exercises include:\n\n- Deadlifts\n- Bridges"})
    html = render_answer(answers.cited.model_copy(update={"citations": [listed]}))
    assert "<blockquote>Ideal exercises include:<br><br>- Deadlifts<br>- Bridges</blockquote>" in html
    assert "\n" not in html[html.index('<div class="hb-citations">') :]

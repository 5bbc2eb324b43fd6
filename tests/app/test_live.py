"""The running app with the real bot: `python app.py` on a free port, called by gradio_client and over HTTP.

Marked integration: it uses the real model and index (built once per run by the shared fixture).
"""

import re

import httpx
import pytest
from gradio_client import Client

from core.corpus import load_articles

pytestmark = pytest.mark.integration


def text_of(message: dict) -> str:
    """A chat message's text, whether its content is a string or Gradio's list of parts."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


@pytest.fixture(scope="module")
def client(live_bot) -> Client:
    return Client(live_bot.url + "/", verbose=False)


def test_chat_endpoint_is_named_and_the_rest_is_private(client):
    api = client.view_api(print_info=False, return_format="dict")
    assert list(api["named_endpoints"]) == ["/chat"]
    assert api["unnamed_endpoints"] == {}


def test_chat_answers_with_citations_and_keeps_the_conversation(client):
    messages, textbox, notice = client.predict("How do I strengthen my hamstrings?", api_name="/chat")
    assert [m["role"] for m in messages] == ["user", "assistant"]
    reply = text_of(messages[-1])
    assert re.search(r"\[1\]", reply)
    assert '<details class="hb-citation" id="hb-t0-c1"><summary>[1] ' in reply
    assert re.search(r'href="articles/[a-z0-9-]+\?start=\d+&amp;end=\d+#quote"', reply)  # opens the article at the quote
    assert (textbox, notice) == ("", "")

    messages, _, _ = client.predict("How often should I do them?", api_name="/chat")
    assert [m["role"] for m in messages] == ["user", "assistant"] * 2  # same session, same conversation


def test_chat_shows_the_red_flag_warning_and_escapes_markup(client):
    messages, _, _ = client.predict("I felt a pop in my hamstring and now it's bruised", api_name="/chat")
    assert text_of(messages[-1]).startswith('<div class="hb-answer"><div class="hb-escalation" role="alert">')
    messages, _, _ = client.predict("<img src=x onerror=alert(1)>", api_name="/chat")
    assert text_of(messages[-2]) == '<div class="hb-user">&lt;img src=x onerror=alert(1)&gt;</div>'


def test_chat_prompts_for_an_empty_message(client):
    *_, notice = client.predict("  \n ", api_name="/chat")
    assert notice.startswith("Type a question")


def test_http_api_and_health_with_the_real_index(live_bot):
    health = httpx.get(f"{live_bot.url}/api/health").json()
    assert health["status"] == "ok" and health["index_fresh"] is True
    assert health["corpus_version"] and health["model"]
    answer = httpx.post(f"{live_bot.url}/api/ask", json={"question": "What is high hamstring tendinopathy?"}, timeout=30).json()
    bodies = {a.id: a.body for a in load_articles(live_bot.settings.articles_dir)}
    assert answer["citations"] and all(c["quote"] in bodies[c["source_id"]] for c in answer["citations"])
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer["text"])}
    assert markers == {c["n"] for c in answer["citations"]}

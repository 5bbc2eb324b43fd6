"""The corpus: built word for word from the raw pages, and validated one clear line per problem."""

import pytest

from core.errors import CorpusError
from core.settings import PROJECT_ROOT
from core.corpus import load_articles, parse_article, sections
from ingest.clean import build_articles
from tests.conftest import write_article

EXPECTED_IDS = {
    "dack-complete-guide", "fitzgerald-tight-hamstrings", "pt-top-3-questions",
    "common-hamstring-injuries", "garrick-treatment-options",
}
FURNITURE = [
    "Published :", "Written by :", "Photo of author", "Rear view of young woman", "Recommended :",
    "About the Author", "Never Miss a Post", "Allow", "cookies", "Your PT for life", "vertigo",
    "herniated disc", "Achilles", "Freepik", "Top image", "Shutterstock", "Lorra Garrick is a former",
    "Dr. Rue specializes", "Share it:", "Blog Posts You May Be Interested In",
]


def test_committed_articles_are_exactly_what_the_build_rules_produce():
    built = build_articles(PROJECT_ROOT / "corpus")
    assert {name.removesuffix(".md") for name in built} == EXPECTED_IDS
    for name, text in built.items():
        assert (PROJECT_ROOT / "corpus" / "articles" / name).read_text(encoding="utf-8") == text


def test_articles_keep_the_text_and_lose_the_page_furniture():
    articles = {a.id: a for a in load_articles(PROJECT_ROOT / "corpus" / "articles")}
    assert set(articles) == EXPECTED_IDS
    everything = "\n".join(a.body for a in articles.values())
    for furniture in FURNITURE:
        assert furniture not in everything, furniture
    # Word for word, including a sentence the capture had broken across two lines.
    assert "If symptoms are sharp, worsening, affecting walking, causing bruising or not improving, get advice from a healthcare practitioner." in articles["common-hamstring-injuries"].body
    assert "When your hamstrings are sore and over-stretched, static stretching makes them worse." in articles["fitzgerald-tight-hamstrings"].body
    assert articles["dack-complete-guide"].author == "David Dack"
    assert articles["garrick-treatment-options"].author == "Lorra Garrick"


def test_section_headings_are_recovered_with_their_parents():
    article = {a.id: a for a in load_articles(PROJECT_ROOT / "corpus" / "articles")}["common-hamstring-injuries"]
    headings = [s.heading for s in sections(article.body)]
    assert "Proximal Hamstring Tendinopathy › Prevention" in headings
    assert "Hamstring Strains › Recognising a Grade III Tear" in headings


def test_a_changed_page_that_breaks_a_rule_is_refused(corpus_copy):
    raw = corpus_copy / "raw" / "000_7cd2d4ec36a7d704.txt"
    raw.write_text(raw.read_text(encoding="utf-8").replace("Strength Train Your Hamstrings", "Strength"), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"000_7cd2d4ec36a7d704.txt: rules match no line: \['Strength Train Your Hamstrings'\]"):
        build_articles(corpus_copy)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01binary", "binary file"),
        (b"---\nid: x\ntitle: X\nseed: s\n---\n\n\xff\xfe bad", "not UTF-8"),
        (b"# No front matter\n\nText here.\n", "no front matter"),
        (b"---\nid: x\ntitle: X\nseed: s\n", "front matter is not closed"),
        (b"---\nid: x\nseed: s\n---\n\nSome text here.\n", "missing front-matter title"),
        (b"---\nid: x\ntitle: X\nseed: s\ncolour: red\n---\n\nText.\n", "unknown front-matter keys \\['colour'\\]"),
        (b"---\nid: x\ntitle: X\nseed: s\n---\n\n# X\n\n", "empty body"),
        (b"---\nid: Not An Id\ntitle: X\nseed: s\n---\n\nText.\n", "must be lowercase words joined by hyphens"),
    ],
)
def test_malformed_articles_name_the_file_and_the_problem(tmp_path, content, message):
    path = tmp_path / "bad.md"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message) as err:
        parse_article(path)
    assert str(path) in str(err.value)


def test_oversized_article_is_refused(tmp_path):
    path = write_article(tmp_path, "big", body="Words. " * 200)
    with pytest.raises(CorpusError, match="over the 100-byte limit"):
        parse_article(path, max_bytes=100)


def test_every_problem_is_reported_at_once_including_duplicate_ids(tmp_path):
    write_article(tmp_path, "same")
    (tmp_path / "other.md").write_text((tmp_path / "same.md").read_text(), encoding="utf-8")
    (tmp_path / "broken.md").write_bytes(b"\x00")
    with pytest.raises(CorpusError) as err:
        load_articles(tmp_path)
    lines = str(err.value).splitlines()
    assert len(lines) == 2
    assert any("broken.md: binary file" in line for line in lines)
    assert any("duplicate id 'same'" in line for line in lines)


def test_missing_or_empty_corpus_folder(tmp_path):
    with pytest.raises(CorpusError, match="corpus folder not found"):
        load_articles(tmp_path / "nope")
    with pytest.raises(CorpusError, match="no articles"):
        load_articles(tmp_path)

"""Reading a reviewed rules file (corpus/red_flags.yaml, conflicts.yaml, …): YAML in, a validated pydantic model out.

Anything wrong becomes one RulesError, a line per problem naming the file and the field as a reviewer finds
it in the YAML: `red_flags.yaml: rules[4] (cannot-bear-weight).urgent: Input should be a valid boolean`.
"""

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from core.corpus import quote_problem
from core.errors import CorpusError, RulesError
from core.types import Article

M = TypeVar("M", bound=BaseModel)


class RuleModel(BaseModel):
    """Base of every rules-file model: a misspelt key ("informational_onyl") is an error, never ignored."""

    model_config = ConfigDict(extra="forbid")

Location = tuple[str | int, ...]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "expected non-empty text")
    return value


# Ids, names and prose, trimmed; blank is as good as missing.
Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]
# A phrase or regular expression, kept as written: its spaces can matter to what it matches.
Expression = Annotated[str, StringConstraints(strict=True), AfterValidator(_not_blank)]


def _word_list(value: object) -> frozenset[str]:
    if not isinstance(value, str) or not value.strip():
        raise PydanticCustomError("blank", "expected words separated by spaces")
    words = [word for line in value.splitlines() if not line.lstrip().startswith("#") for word in line.split()]
    if any(word.startswith("#") for word in words):
        raise problem('a "#" note inside a list folded with ">-" would be read as words: write the list as a literal block ("|-"), each note on a line of its own.')
    return frozenset(words)


# A list of words separated by spaces, over as many lines as it takes; a line starting with "#" is a note for the
# reviewer, not words (in a literal block, "|-": folded with ">-", the note would run into the words around it).
Words = Annotated[frozenset[str], BeforeValidator(_word_list)]

# What to do about the commonest problems; the others say it themselves.
_REMEDIES = {
    "missing": "add it.",
    "extra_forbidden": "remove it, or check its spelling.",
}


def load_rule_file(path: Path, model: type[M]) -> M:
    """Read the YAML at `path` and validate it as `model`; RulesError naming the file and every bad field,
    e.g. `corpus/conflicts.yaml: topics[2] (injury-cause).positions[0].quote: Field required; add it.`"""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError(f"{path}: cannot read the rules file ({exc.strerror}); restore the file.") from exc
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML ({exc}); fix the syntax.") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [f"{path}: {_location(error['loc'], data)}: {_problem(error)}" for error in exc.errors()]
        raise RulesError("\n".join(problems)) from exc


def problem(message: str) -> PydanticCustomError:
    """A problem in the file's own words, what to do included; raise it from a validator."""
    # the message goes in as context: a template would read a {word} placeholder it quotes as its own
    return PydanticCustomError("rules", "{problem}", {"problem": message})


def field_errors(title: str, problems: Iterable[tuple[Location, str]]) -> ValidationError:
    """A ValidationError placing each problem at its own location, for checks across fields (an id defined in
    one place and used in another). Raised from a model validator, its locations nest under the model's."""
    return ValidationError.from_exception_data(
        title, [InitErrorDetails(type=problem(message), loc=loc, input=None) for loc, message in problems]
    )


def repeated_ids(field: str, entries: list) -> list[tuple[Location, str]]:
    """Where an entry of the list `field` reuses an id an earlier entry has, for `field_errors`."""
    seen, problems = set(), []
    for n, entry in enumerate(entries):
        if entry.id in seen:
            problems.append(((field, n, "id"), "duplicate id; give each entry its own."))
        seen.add(entry.id)
    return problems


def _location(loc: Location, data: object) -> str:
    """`rules.4.urgent` as `rules[4] (cannot-bear-weight).urgent`: an entry with an id is named by it too,
    so a reviewer need not count entries to find it."""
    if not loc:
        return "(top level)"
    written, node = "", data
    for part in loc:
        if isinstance(part, int):
            written += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str) and node["id"].strip():
                written += f" ({node['id'].strip()})"
        else:
            written += f".{part}" if written else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return written


def _problem(error: dict) -> str:
    if error["type"] == "rules":
        return error["msg"]  # written for this file by a model validator, remedy included
    if error["type"] in ("model_type", "dict_type"):
        message = "expected a mapping of names to values"
    else:
        message = error["msg"]
    if error["type"] in _REMEDIES:
        return f"{message}; {_REMEDIES[error['type']]}"
    found = error["input"]
    if isinstance(found, str | int | float | bool | None):
        return f"{message}, found {found!r}."
    return f"{message}."


# ---- quotes of the articles inside rule files -------------------------------------------------------


def quoted_passages(data: object, where: str = "") -> list[tuple[str, str, str]]:
    """Every mapping holding both `source_id` and `quote`, wherever it sits in a rules file, as
    (location, source_id, quote): the article sentences a reviewer copied into the file.

    >>> quoted_passages({"topics": [{"id": "t", "positions": [{"source_id": "a", "quote": "Rest."}]}]})
    [('topics[0] (t).positions[0]', 'a', 'Rest.')]
    """
    found = []
    if isinstance(data, dict):
        if isinstance(data.get("source_id"), str) and isinstance(data.get("quote"), str):
            found.append((where, data["source_id"], data["quote"]))
        for key, value in data.items():
            found += quoted_passages(value, f"{where}.{key}" if where else str(key))
    elif isinstance(data, list):
        for n, item in enumerate(data):
            named = f" ({item['id']})" if isinstance(item, dict) and isinstance(item.get("id"), str) else ""
            found += quoted_passages(item, f"{where}[{n}]{named}")
    return found


def verify_quotes(paths: Iterable[Path], articles: Iterable[Article]) -> None:
    """CorpusError naming every quote in these rule files that is no longer verbatim in its article."""
    bodies = {article.id: article.body for article in articles}
    problems = []
    for path in paths:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise RulesError(f"{path}: cannot read the rules file ({exc}); restore or fix it.") from exc
        for where, source_id, quote in quoted_passages(data):
            problem = quote_problem(bodies, source_id, quote)
            if problem:
                problems.append(f"{path}: {where}: {problem}")
    if problems:
        raise CorpusError("\n".join(problems) + "\nCopy each quote again from its article, word for word.")

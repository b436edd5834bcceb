"""A time-sharded archive: several indexes ("archive-2022", "archive-2023", ...) searched as one.

``Assistant.open(["archive-2022", "archive-2023"])`` returns an ``Archive``: every question is
searched across the shards and fused as one ranking (``store.Shards``), with filters and the
question's dates applied per shard (a shard whose dates lie outside the window is skipped).
Updates go to the shard that owns each article's date; each shard stays an ordinary index
(crash-safe writes, its own lock), so an archive grows shard by shard past one index and, with
the shards on several disks or machines, past one machine (docs/scale.md).

Shards are listed oldest first. Shard ``i`` owns the dates from its first article's date (an
empty shard: from the day after the previous shard's last date) up to the next shard's start;
the first shard also owns anything older, the last anything newer and every undated article.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from .api import Assistant, PathLike
from .config import Settings
from .embedding import Embedder
from .errors import ArticleNotFoundError, ConfigError
from .indexing import Progress, UpdateReport
from .ingest import IngestReport, load_paths
from .ingest.worker import load_isolated
from .store import Shards
from .types import Article


class Archive(Assistant):
    """Several indexes as one assistant (see the module docstring); writes routed by date."""

    def __init__(
        self,
        index_dirs: Sequence[PathLike],
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        llm_model: object | None = None,
    ) -> None:
        if not index_dirs:
            raise ConfigError("an archive needs at least one index folder")
        super().__init__(settings, embedder=embedder, llm_model=llm_model)
        self.shards = [
            Assistant(self.settings.replace(index_dir=Path(d)), embedder=embedder)
            for d in index_dirs
        ]
        self._view: Shards | None = None
        self._view_lock = threading.Lock()

    @classmethod
    def open_all(
        cls,
        index_dirs: Sequence[PathLike],
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
    ) -> Archive:
        """Open every shard (each raises with the fix when it can't be opened)."""
        archive = cls(index_dirs, settings, embedder=embedder)
        for shard in archive.shards:
            shard._embedder = archive.embedder  # one model for every shard
            shard._open_snapshot()
        archive.version_notes = [n for s in archive.shards for n in s.version_notes]
        return archive

    @property
    def index_dirs(self) -> list[Path]:
        return [s.index_dir for s in self.shards]

    # -- reading ------------------------------------------------------------------------------
    @property
    def snapshot(self) -> Shards:  # type: ignore[override]
        """Return one view over every shard's current snapshot (reopened when one changed)."""
        snapshots = [s.snapshot for s in self.shards]
        with self._view_lock:
            if self._view is None or any(
                a is not b for a, b in zip(self._view.snapshots, snapshots, strict=True)
            ):
                self._view = Shards(snapshots)
            return self._view

    def _open_snapshot(self) -> Shards:  # type: ignore[override]
        for shard in self.shards:
            shard._open_snapshot()
        return self.snapshot

    def info(self) -> dict[str, object]:
        """Return the archive as one index's info (model, summed counts, every segment, the
        latest update) plus each shard's own under "shards", with its folder and dates."""
        shards = []
        for shard, (first, last) in zip(self.shards, self.snapshot.ranges, strict=True):
            entry = shard.info()
            entry["index_dir"] = str(shard.index_dir)
            entry["first_date"] = first.isoformat() if first else None
            entry["last_date"] = last.isoformat() if last else None
            shards.append(entry)
        counts: dict[str, int] = {}
        for entry in shards:
            for key, value in dict(entry.get("counts") or {}).items():  # type: ignore[call-overload]
                counts[key] = counts.get(key, 0) + int(value)
        return {
            **shards[0],
            "index_dir": [e["index_dir"] for e in shards],
            "counts": counts,
            "segments": [seg for e in shards for seg in e.get("segments", [])],  # type: ignore[attr-defined]
            "updated": max(str(e.get("updated", "")) for e in shards),
            "version_notes": [n for e in shards for n in e.get("version_notes", [])],  # type: ignore[attr-defined]
            "shards": shards,
        }

    # -- writing ------------------------------------------------------------------------------
    def owner(self, published: dt.date | None) -> int:
        """Return the number of the shard that owns a publication date (see the docstring)."""
        ranges = self.snapshot.ranges
        if published is None:
            return len(self.shards) - 1
        chosen = 0
        previous_last: dt.date | None = None
        for number, (first, last) in enumerate(ranges):
            start = first or (previous_last + dt.timedelta(days=1) if previous_last else None)
            if number and start is not None and start <= published:
                chosen = number
            previous_last = last or previous_last
        return chosen

    def _route(self, loaded: IngestReport, progress: Progress | None) -> UpdateReport:
        """Give each shard the articles it owns, with their files and source ids (so a
        shard keeps knowing which file holds which of its articles); failures once."""
        shares: dict[int, IngestReport] = {}
        home: dict[str, int] = {}
        for article in loaded.articles:
            home[article.id] = number = self.owner(article.published)
            shares.setdefault(number, IngestReport(files=list(loaded.files)))
            shares[number].articles.append(article)
        for file, aid in loaded.sources:
            if aid in home:
                shares[home[aid]].sources.append((file, aid))
        for source_id, aid in loaded.aliases:
            if aid in home:
                shares[home[aid]].aliases.append((source_id, aid))
        total = UpdateReport(failures=list(loaded.failures))
        for number, share in sorted(shares.items()):
            shard = self.shards[number]
            shard.last_report = shard._apply(loaded=share, progress=progress)
            _merge(total, shard.last_report)
        return total

    def update(  # type: ignore[override]
        self,
        paths: Iterable[PathLike],
        *,
        sync: bool = False,
        progress: Progress | None = None,
        isolate: bool = False,
        engine: str = "local",
        address: str | None = None,
    ) -> UpdateReport:
        """Add new or changed articles from files, each to the shard owning its date; a file
        that fails is named and the rest are added. ``sync`` runs per shard: use
        ``shard.update(..., sync=True)`` on the shard that holds those files."""
        if sync:
            raise ConfigError(
                "sync is per index: run `assistant index update --sync` on the shard that holds "
                "those files (an archive routes articles by date, not by file)"
            )
        if engine != "local":
            raise ConfigError("an archive update embeds locally; build shards with --engine ray")
        loaded = (load_isolated if isolate else load_paths)(list(paths))
        self.last_report = self._route(loaded, progress)
        return self.last_report

    def add_articles(
        self, articles: Iterable[Article], progress: Progress | None = None
    ) -> UpdateReport:
        """Add articles made in code, each to the shard owning its date."""
        self.last_report = self._route(IngestReport(articles=list(articles)), progress)
        return self.last_report

    def remove(self, article_ids: Sequence[str]) -> UpdateReport:
        """Remove articles by id from the shards holding them; an id no shard holds raises
        ArticleNotFoundError and nothing is removed."""
        holders: dict[int, list[str]] = {}
        missing = []
        view = self.snapshot
        for aid in article_ids:
            number = view.holder(aid)
            if number is None:
                missing.append(aid)
            else:
                holders.setdefault(number, []).append(aid)
        if missing:
            raise ArticleNotFoundError(
                f"no article with id {', '.join(missing)} in the archive "
                f"({', '.join(map(str, self.index_dirs))}); nothing was removed"
            )
        total = UpdateReport()
        for number, ids in sorted(holders.items()):
            _merge(total, self.shards[number].remove(ids))
        self.last_report = total
        return total

    def optimize(self) -> UpdateReport:
        total = UpdateReport()
        for shard in self.shards:
            _merge(total, shard.optimize())
        self.last_report = total
        return total

    def verify(self) -> None:
        for shard in self.shards:
            shard.verify()


def _merge(total: UpdateReport, part: UpdateReport) -> None:
    total.added += part.added
    total.unchanged += part.unchanged
    total.removed += part.removed
    total.failures += part.failures
    total.chunks_embedded += part.chunks_embedded
    total.chunks_reused += part.chunks_reused
    total.seconds += part.seconds
    total.duplicates += part.duplicates

"""`assistant index build|update|watch|info|list|remove|optimize|verify`, `assistant search`, `assistant ask`: thin over the API.

Errors the assistant raises on purpose print one line that says what to do, and exit 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from .api import Assistant
from .config import Settings
from .errors import AssistantError, ConfigError
from .render import (
    answer_to_dict,
    answer_to_text,
    passage_to_dict,
    passage_to_text,
    report_to_dict,
)
from .types import Filters


def _progress_bar():  # returns an indexing.Progress
    """Return a progress callback drawing a tqdm bar per stage on stderr."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(
                total=total,
                desc=stage,
                unit="chunk" if stage == "embedding" else "article",
                file=sys.stderr,
                mininterval=1.0,
            )
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from exc


def _filters(args: argparse.Namespace) -> Filters:
    try:
        return Filters(since=args.since, until=args.until, outlets=tuple(args.outlet or ()))
    except ValueError as exc:  # since after until
        raise ConfigError(f"{exc}; swap --since and --until") from exc


def _settings(args: argparse.Namespace, *, one: bool = False) -> Settings:
    """Return the settings; ``one``: the command writes or reads a single index (``--index``
    given at most once)."""
    shards = args.index or []
    if one and len(shards) > 1:
        raise ConfigError(
            f"this command works on one index at a time; run it once per --index ({len(shards)} "
            f"given)"
        )
    settings = Settings.load(
        index_dir=shards[0] if shards else None, log_level="INFO" if args.verbose else None
    )
    settings.configure_logging()
    return settings


def _open(args: argparse.Namespace) -> Assistant:
    """Open the index, or with ``--index`` repeated the shards as one archive (oldest first)."""
    settings = _settings(args)
    shards = args.index or []
    return Assistant.open(shards if len(shards) > 1 else None, settings=settings)


def _print_report(report, as_json: bool) -> None:  # indexing.UpdateReport
    for failure in report.failures:
        print(f"failed: {failure}", file=sys.stderr)
    if as_json:
        print(json.dumps(report_to_dict(report), indent=2))
    else:
        print(report.summary())


def cmd_build(args: argparse.Namespace) -> int:
    assistant = Assistant.build(
        args.paths,
        settings=_settings(args, one=True),
        progress=_progress_bar(),
        overwrite=args.force,
        engine=args.engine,
        address=args.address,
    )
    _print_report(assistant.last_report, args.json)
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    assistant = _open(args)
    report = assistant.update(
        args.paths,
        sync=args.sync,
        progress=_progress_bar(),
        engine=args.engine,
        address=args.address,
    )
    _print_report(report, args.json)
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    assistant = _open(args)
    _print_report(assistant.remove(args.ids), args.json)
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from .watch import watch

    assistant = Assistant.open(settings=_settings(args, one=True))

    def show(report) -> None:  # indexing.UpdateReport
        for failure in report.failures:
            print(f"failed: {failure}", file=sys.stderr, flush=True)
        if report.added or report.removed or report.failures:
            stamp = dt.datetime.now().strftime("%H:%M:%S")
            print(f"{stamp} {report.summary()}", flush=True)

    watched = [*map(str, args.folders), *args.feed]
    if not watched:
        raise ConfigError("name a folder to watch or a --feed URL")
    print(f"watching {', '.join(watched)} (Ctrl-C stops)", flush=True)
    stop = threading.Event()

    def finish(signum, frame) -> None:  # the update under way completes (it is one commit)
        print("stopping after the update under way (Ctrl-C again interrupts it)", file=sys.stderr)
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, finish)
    signal.signal(signal.SIGTERM, finish)
    watch(
        assistant,
        args.folders,
        debounce=args.interval,
        on_report=show,
        feeds=args.feed,
        poll=args.poll * 60,
        stop=stop,
    )
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    from .mcp_tools import serve

    serve(_open(args))
    return 0


def cmd_upgrade(args: argparse.Namespace) -> int:
    assistant = Assistant.upgrade(settings=_settings(args, one=True))
    report = assistant.last_report
    if report is None:
        print(f"the index at {assistant.index_dir} is already in the current format")
    else:
        print(f"upgraded: {report.summary()}")
    return 0


def cmd_optimize(args: argparse.Namespace) -> int:
    assistant = Assistant.open(settings=_settings(args, one=True))
    before = len(assistant.info()["segments"])
    report = assistant.optimize()
    after = len(assistant.info()["segments"])
    if args.json:
        print(
            json.dumps(
                {
                    "segments_before": before,
                    "segments_after": after,
                    "seconds": round(report.seconds, 3),
                }
            )
        )
    else:
        print(f"{before} segment(s) merged into {after} in {report.seconds:.1f} s")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    assistant = Assistant.open(settings=_settings(args, one=True))
    assistant.verify()
    print(f"every file of the index at {assistant.index_dir} matches its checksum")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    assistant = _open(args)
    info = assistant.info()
    held = assistant.holdings()
    info["outlets"] = {name or "(unknown outlet)": n for name, n in held["outlets"].items()}
    info["published"] = {"first": held["first"], "last": held["last"]} if held["first"] else None
    info["undated"] = held["undated"]
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        counts = info.get("counts", {})
        where = info.get("index_dir", assistant.index_dir)
        print(f"index:     {', '.join(map(str, where)) if isinstance(where, list) else where}")
        print(f"model:     {info['embedding_model']} ({info['dim']}-d)")
        print(f"chunking:  {info['chunking']}")
        print(f"articles:  {counts.get('articles')}")
        print(f"chunks:    {counts.get('chunks')}")
        segments = info.get("segments", [])
        stored = sum(int(e.get("chunks", 0)) for e in segments)  # type: ignore[union-attr]
        dead = stored - int(counts.get("chunks", 0))
        print(
            f"segments:  {len(segments)}"
            + (f" ({dead} deleted chunks until `assistant index optimize`)" if dead else "")
        )
        span = f"{held['first']} to {held['last']}" if held["first"] else "none dated"
        print(f"published: {span} ({info['undated']} undated)")
        listed = ", ".join(f"{name} ({n})" for name, n in info["outlets"].items())
        print(f"outlets:   {listed or 'none'}")
        print(f"updated:   {info.get('updated')}")
        for note in info.get("version_notes", []):
            print(f"note:      {note}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    assistant = _open(args)
    rows = assistant.library(_filters(args))
    if args.json:
        print(json.dumps([asdict(row) for row in rows], indent=2, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row.id}  {row.published or 'undated':<10}  {row.outlet or '-'}  {row.title}")
        print(f"{len(rows)} of {len(assistant.library())} articles", file=sys.stderr)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    assistant = _open(args)
    passages = assistant.search(args.question, k=args.k, filters=_filters(args))
    if args.json:
        print(json.dumps([passage_to_dict(p) for p in passages], indent=2, ensure_ascii=False))
    else:
        for p in passages:
            print(passage_to_text(p))
            print()
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    assistant = _open(args)
    answer = assistant.ask(
        args.question, k=args.k, filters=_filters(args), mode=args.mode, as_of=args.as_of
    )
    if args.json:
        print(json.dumps(answer_to_dict(answer), indent=2, ensure_ascii=False))
    else:
        print(answer_to_text(answer))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .evaluation import evaluate, format_table, load_queries

    assistant = _open(args)
    queries = [q for path in args.queries for q in load_queries(path)]
    result = evaluate(assistant, queries, answers=not args.no_answers)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        names = ", ".join(str(p) for p in args.queries)
        print(
            f"== {names}: {result['answerable']} answerable, {result['unanswerable']} unanswerable"
        )
        print(format_table(result))
    return 0


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--index",
        type=Path,
        action="append",
        default=None,
        help="index folder (default: index/ or ASSISTANT_INDEX_DIR); repeated, time shards "
        "(oldest first) searched as one archive, updates routed by date",
    )
    common.add_argument("--json", action="store_true", help="print JSON instead of text")
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log updates, refusals and slow questions to stderr (ASSISTANT_LOG_LEVEL)",
    )

    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument(
        "--since", type=_date, help="only articles published on or after YYYY-MM-DD"
    )
    filters.add_argument(
        "--until", type=_date, help="only articles published on or before YYYY-MM-DD"
    )
    filters.add_argument("--outlet", action="append", help="only this outlet (repeatable)")
    filters.add_argument("-k", type=int, default=None, help="passages to retrieve")

    top = argparse.ArgumentParser(prog="assistant", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)
    index = sub.add_parser("index", help="build, update or inspect the index")
    isub = index.add_subparsers(dest="action", required=True)
    engine = argparse.ArgumentParser(add_help=False)
    engine.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="where texts are embedded: here, or on a Ray cluster (the cluster extra)",
    )
    engine.add_argument(
        "--address", default=None, help="the Ray cluster (ray://host:10001); a local Ray without"
    )
    b = isub.add_parser(
        "build", parents=[common, engine], help="build a new index from files and folders"
    )
    b.add_argument("paths", nargs="+")
    b.add_argument(
        "--force", action="store_true", help="replace an index that already exists at --index"
    )
    b.set_defaults(func=cmd_build)

    u = isub.add_parser(
        "update",
        parents=[common, engine],
        help="add new or changed articles (files, folders, feed or page URLs)",
    )
    u.add_argument("paths", nargs="+")
    u.add_argument("--sync", action="store_true", help="also remove articles whose files are gone")
    u.set_defaults(func=cmd_update)
    r = isub.add_parser("remove", parents=[common], help="remove articles by id")
    r.add_argument("ids", nargs="+")
    r.set_defaults(func=cmd_remove)
    i = isub.add_parser(
        "info", parents=[common], help="show the index: model, counts, outlets, date range"
    )
    i.set_defaults(func=cmd_info)
    w = isub.add_parser(
        "watch", parents=[common], help="apply new, changed and removed files as they happen"
    )
    w.add_argument("folders", nargs="*")
    w.add_argument(
        "--feed", action="append", default=[], metavar="URL", help="an RSS/Atom feed to read"
    )
    w.add_argument(
        "--poll", type=float, default=15.0, help="minutes between feed reads (default 15)"
    )
    w.add_argument(
        "--interval",
        type=float,
        default=1.0,
        help="seconds to gather file events into one update (default 1)",
    )
    w.set_defaults(func=cmd_watch)
    o = isub.add_parser("optimize", parents=[common], help="merge the index's segments into one")
    o.set_defaults(func=cmd_optimize)
    v = isub.add_parser(
        "verify", parents=[common], help="re-read every index file against its checksum"
    )
    v.set_defaults(func=cmd_verify)
    li = isub.add_parser(
        "list", parents=[common, filters], help="list article ids, dates, outlets and titles"
    )
    li.set_defaults(func=cmd_list)
    m = sub.add_parser(
        "mcp", parents=[common], help="serve the search and ask tools over MCP (stdio)"
    )
    m.set_defaults(func=cmd_mcp)
    s = sub.add_parser("search", parents=[common, filters], help="show the best passages")
    s.add_argument("question")
    s.set_defaults(func=cmd_search)
    a = sub.add_parser("ask", parents=[common, filters], help="answer with cited quotes")
    a.add_argument("question")
    a.add_argument(
        "--mode",
        choices=["extractive", "llm", "timeline"],
        default=None,
        help="answer mode (default: ASSISTANT_ANSWER_MODE or extractive)",
    )
    a.add_argument(
        "--as-of",
        type=_date,
        default=None,
        help="read 'this week' etc. relative to this YYYY-MM-DD (default today)",
    )
    a.set_defaults(func=cmd_ask)
    e = sub.add_parser(
        "eval", parents=[common], help="score retrieval and answers on RTQA-format queries"
    )
    e.add_argument("--queries", nargs="+", required=True, type=Path, help="JSONL query files")
    e.add_argument("--no-answers", action="store_true", help="retrieval metrics only")
    e.set_defaults(func=cmd_eval)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the index is unchanged", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

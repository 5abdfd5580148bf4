"""Model manager tests against a real HTTP server on 127.0.0.1, with small generated files.

No real weights are involved: a temp manifest (GHOSTSWAP_MANIFEST) points at the local server
and a temp cache (GHOSTSWAP_HOME) receives the files.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ghost_core.cli import main
from ghost_core.errors import DownloadError, InputError, ModelError, UsageError
from ghost_core.models_store import (
    ModelStore,
    cache_root,
    file_sha256,
    install,
    list_models,
    load_manifest,
    resolve,
    verify,
)
from ghost_core.models_store import download as download_mod
from tests.models_http import FileServer, closed_port_url

PACK_MEMBERS = ["scrfd_10g_bnkps.onnx", "2d106det.onnx", "glintr100.onnx"]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def payload(size: int, seed: int) -> bytes:
    """Deterministic pseudo-random bytes (random content catches offset mistakes)."""
    out = bytearray()
    block = seed.to_bytes(8, "little")
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:size])


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in members.items():
            bundle.writestr(f"antelopev2/{name}", data)  # upstream wraps members in a folder
    return buffer.getvalue()


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)  # ASCII JSON strings and string lists are valid TOML


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("GHOSTSWAP_HOME", str(root))
    monkeypatch.delenv("GHOSTSWAP_MODEL_MIRROR", raising=False)
    monkeypatch.setattr(download_mod, "RETRY_DELAYS", (0.0, 0.0))
    return root


@pytest.fixture
def server() -> Any:
    srv = FileServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Call with {name: fields}; writes a temp manifest and points GHOSTSWAP_MANIFEST at it."""

    def write(assets: dict[str, dict[str, Any]]) -> Path:
        lines = ["version = 1", ""]
        for name, fields in assets.items():
            lines.append(f"[models.{name}]")
            lines += [f"{key} = {toml_value(value)}" for key, value in fields.items()]
            lines.append("")
        path = tmp_path / "manifest.toml"
        path.write_text("\n".join(lines), encoding="utf-8")
        monkeypatch.setenv("GHOSTSWAP_MANIFEST", str(path))
        return path

    return write


def gen(url: str, file: str = "G_test.pth", **extra: Any) -> dict[str, Any]:
    fields = {
        "kind": "generator",
        "file": file,
        "url": url,
        "num_blocks": 2,
        "licence": "test only",
        "description": "test generator",
    }
    return fields | extra


def pack(url: str, **extra: Any) -> dict[str, Any]:
    fields = {
        "kind": "detector_pack",
        "file": "antelopev2.zip",
        "url": url,
        "archive": "zip",
        "members": PACK_MEMBERS,
        "licence": "test only",
        "description": "test pack",
    }
    return fields | extra


def lock_models(root: Path) -> dict[str, Any]:
    data = json.loads((root / "models.lock.json").read_text())
    assert data["version"] == 1
    return data["models"]


# ---- download ------------------------------------------------------------------------------------


def test_download_verifies_records_and_resolves(home: Path, server: FileServer, manifest: Any) -> None:
    data = payload(300_000, 1)
    server.files["G_test.pth"] = data
    manifest({"gen": gen(server.url("G_test.pth"), sha256=sha(data), size=len(data))})

    result = install("gen")

    target = home / "models" / "gen" / "G_test.pth"
    assert result["action"] == "downloaded" and result["path"] == str(target)
    assert target.read_bytes() == data
    assert not (home / "models" / "gen" / "G_test.pth.part").exists()
    assert [(r.range, r.status, r.sent) for r in server.requests] == [(None, 200, len(data))]
    entry = lock_models(home)["gen"]
    assert entry["sha256"] == sha(data)
    record = entry["files"]["G_test.pth"]
    assert record["size"] == len(data) and record["sha256"] == sha(data)
    assert record["mtime_ns"] == target.stat().st_mtime_ns
    assert resolve("gen") == target
    assert file_sha256("gen") == sha(data)
    assert install("gen")["action"] == "already installed"
    assert len(server.requests) == 1


def test_interrupted_transfer_keeps_part_then_resumes_with_range(
    home: Path, server: FileServer, manifest: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = payload(500_000, 2)
    cut = 123_457
    server.files["G_test.pth"] = data
    server.cut_after["G_test.pth"] = cut
    manifest({"gen": gen(server.url("G_test.pth"), sha256=sha(data))})
    monkeypatch.setattr(download_mod, "ATTEMPTS", 1)

    with pytest.raises(DownloadError, match=r"interrupted.*rerun the same command to resume"):
        install("gen")
    folder = home / "models" / "gen"
    assert not (folder / "G_test.pth").exists()
    assert (folder / "G_test.pth.part").stat().st_size == cut
    assert "gen" not in (lock_models(home) if (home / "models.lock.json").exists() else {})
    with pytest.raises(ModelError, match="not installed"):
        resolve("gen")

    bars: list[Any] = []
    real_progress = download_mod.progress
    monkeypatch.setattr(download_mod, "progress", lambda **kw: bars.append(real_progress(**kw)) or bars[-1])
    install("gen")

    assert (folder / "G_test.pth").read_bytes() == data
    assert not (folder / "G_test.pth.part").exists()
    second = server.requests[1]
    assert (second.range, second.status, second.sent) == (f"bytes={cut}-", 206, len(data) - cut)
    assert bars[0].total == len(data) and bars[0].initial == cut and bars[0].n == len(data)


def test_dropped_connection_is_resumed_within_one_install(
    home: Path, server: FileServer, manifest: Any
) -> None:
    data = payload(400_000, 3)
    server.files["G_test.pth"] = data
    server.cut_after["G_test.pth"] = 99_999
    manifest({"gen": gen(server.url("G_test.pth"))})

    install("gen")

    assert (home / "models" / "gen" / "G_test.pth").read_bytes() == data
    assert [(r.range, r.sent) for r in server.requests] == [
        (None, 99_999),
        ("bytes=99999-", 400_000 - 99_999),
    ]


def test_resume_follows_redirects_with_the_range_header(
    home: Path, server: FileServer, manifest: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = payload(300_000, 15)
    server.files["blob/G_test.pth"] = data
    server.redirects["release/G_test.pth"] = "blob/G_test.pth"
    server.cut_after["blob/G_test.pth"] = 70_000
    manifest({"gen": gen(server.url("release/G_test.pth"))})

    install("gen")

    assert resolve("gen").read_bytes() == data
    assert [(r.path, r.range, r.status, r.sent) for r in server.requests] == [
        ("release/G_test.pth", None, 302, 0),
        ("blob/G_test.pth", None, 200, 70_000),
        ("release/G_test.pth", "bytes=70000-", 302, 0),
        ("blob/G_test.pth", "bytes=70000-", 206, 230_000),
    ]


def test_stalled_transfer_times_out_and_keeps_the_part(
    home: Path, server: FileServer, manifest: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = payload(100_000, 16)
    server.files["G_test.pth"] = data
    server.stall_after["G_test.pth"] = 10_000
    server.stall_seconds = 1.0
    manifest({"gen": gen(server.url("G_test.pth"))})
    monkeypatch.setattr(download_mod, "DEFAULT_TIMEOUT", 0.2)
    monkeypatch.setattr(download_mod, "ATTEMPTS", 1)

    with pytest.raises(DownloadError, match=r"interrupted \(TimeoutError"):
        install("gen")
    assert (home / "models" / "gen" / "G_test.pth.part").stat().st_size == 10_000

    install("gen")
    assert resolve("gen").read_bytes() == data


def test_server_ignoring_range_restarts_from_zero(home: Path, server: FileServer, manifest: Any) -> None:
    data = payload(200_000, 4)
    server.files["G_test.pth"] = data
    server.ignore_range = True
    manifest({"gen": gen(server.url("G_test.pth"), sha256=sha(data))})
    folder = home / "models" / "gen"
    folder.mkdir(parents=True)
    (folder / "G_test.pth.part").write_bytes(b"\xff" * 50_000)  # bytes that must not be kept

    install("gen")

    assert (folder / "G_test.pth").read_bytes() == data
    assert [(r.range, r.status, r.sent) for r in server.requests] == [("bytes=50000-", 200, len(data))]


def test_complete_part_file_is_finished_after_416(home: Path, server: FileServer, manifest: Any) -> None:
    data = payload(64_000, 5)
    server.files["G_test.pth"] = data
    manifest({"gen": gen(server.url("G_test.pth"), sha256=sha(data))})
    folder = home / "models" / "gen"
    folder.mkdir(parents=True)
    (folder / "G_test.pth.part").write_bytes(data)

    install("gen")

    assert (folder / "G_test.pth").read_bytes() == data
    assert [(r.status, r.sent) for r in server.requests] == [(416, 0)]


def test_checksum_mismatch_is_refused_and_nothing_is_left(
    home: Path, server: FileServer, manifest: Any
) -> None:
    data = payload(100_000, 6)
    server.files["G_test.pth"] = data
    wrong = "0" * 64
    manifest({"gen": gen(server.url("G_test.pth"), sha256=wrong)})

    with pytest.raises(DownloadError) as caught:
        install("gen")

    message = str(caught.value)
    assert "G_test.pth" in message and wrong in message and sha(data) in message
    folder = home / "models" / "gen"
    assert not (folder / "G_test.pth").exists()
    assert not (folder / "G_test.pth.part").exists()
    assert not (home / "models.lock.json").exists()


def test_http_error_is_a_download_error(home: Path, server: FileServer, manifest: Any) -> None:
    manifest({"gen": gen(server.url("missing.pth"))})
    with pytest.raises(DownloadError, match="HTTP 404"):
        install("gen")


def test_offline_error_names_url_and_fixes(home: Path, manifest: Any) -> None:
    url = closed_port_url("G_test.pth")
    manifest({"gen": gen(url)})

    with pytest.raises(DownloadError) as caught:
        install("gen")

    message = str(caught.value)
    assert message.startswith(f"cannot reach {url} (")
    assert "GHOSTSWAP_MODEL_MIRROR" in message and "ghostswap models install --from DIR" in message
    assert not list((home / "models" / "gen").glob("G_test.pth*"))


def test_mirror_replaces_the_url(
    home: Path, server: FileServer, manifest: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = payload(10_000, 7)
    server.files["G_test.pth"] = data
    manifest({"gen": gen(closed_port_url("G_test.pth"))})
    monkeypatch.setenv("GHOSTSWAP_MODEL_MIRROR", server.base + "/")

    assert install("gen")["source"] == server.url("G_test.pth")
    assert resolve("gen").read_bytes() == data


# ---- lock pinning and tamper detection ----------------------------------------------------------


def test_first_install_pins_hash_and_tampering_is_caught(
    home: Path, server: FileServer, manifest: Any
) -> None:
    data = payload(80_000, 8)
    server.files["G_test.pth"] = data
    manifest({"gen": gen(server.url("G_test.pth"))})  # no sha256 in the manifest

    install("gen")
    assert lock_models(home)["gen"]["sha256"] == sha(data)
    target = resolve("gen")
    assert verify() == [
        {
            "name": "gen",
            "status": "ok",
            "ok": True,
            "path": str(target),
            "detail": "",
            "sha256": {"G_test.pth": sha(data)},
        }
    ]

    # Same size, different bytes, mtime put back: resolve stays cheap, verify re-hashes and catches it.
    stat = target.stat()
    tampered = bytes([data[0] ^ 1]) + data[1:]
    target.write_bytes(tampered)
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert resolve("gen") == target
    [result] = verify(["gen"])
    assert result["status"] == "mismatch" and not result["ok"]
    assert str(target) in result["detail"] and sha(tampered) in result["detail"]

    # With a new mtime, resolve re-hashes and refuses.
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    with pytest.raises(ModelError, match="does not match its pinned sha256") as caught:
        resolve("gen")
    assert str(target) in str(caught.value) and "delete it and reinstall" in str(caught.value)
    with pytest.raises(ModelError, match="does not match its pinned sha256"):
        install("gen")

    # The pin also holds for a fresh download: the server now serves other bytes.
    target.unlink()
    server.files["G_test.pth"] = payload(80_000, 99)
    with pytest.raises(DownloadError, match=sha(data)):
        install("gen")
    assert not target.exists()


def test_touched_but_unchanged_file_is_rehashed_once(home: Path, server: FileServer, manifest: Any) -> None:
    data = payload(50_000, 9)
    server.files["G_test.pth"] = data
    manifest({"gen": gen(server.url("G_test.pth"))})
    target = Path(install("gen")["path"])
    os.utime(target, ns=(0, 1_000_000_000))

    assert resolve("gen") == target
    assert lock_models(home)["gen"]["files"]["G_test.pth"]["mtime_ns"] == 1_000_000_000


def test_size_change_is_reported(home: Path, server: FileServer, manifest: Any) -> None:
    server.files["G_test.pth"] = payload(50_000, 10)
    manifest({"gen": gen(server.url("G_test.pth"))})
    target = Path(install("gen")["path"])
    with open(target, "ab") as handle:
        handle.write(b"x")
    with pytest.raises(ModelError, match=r"changed since it was installed \(50001 bytes, 50000 recorded\)"):
        resolve("gen")


# ---- packs and --from ---------------------------------------------------------------------------


def _pack_members() -> dict[str, bytes]:
    members = {name: payload(20_000 + i, 20 + i) for i, name in enumerate(PACK_MEMBERS)}
    return members | {"genderage.onnx": payload(5_000, 40)}  # present in the zip, not kept


def test_pack_is_downloaded_unpacked_and_resolved_to_its_folder(
    home: Path, server: FileServer, manifest: Any
) -> None:
    members = _pack_members()
    archive = make_zip(members)
    server.files["antelopev2.zip"] = archive
    manifest({"antelopev2": pack(server.url("antelopev2.zip"))})

    install("antelopev2")

    folder = home / "models" / "antelopev2"
    assert resolve("antelopev2") == folder
    assert sorted(p.name for p in folder.iterdir()) == sorted(PACK_MEMBERS)
    for name in PACK_MEMBERS:
        assert (folder / name).read_bytes() == members[name]
        assert file_sha256("antelopev2", member=name) == sha(members[name])
    assert lock_models(home)["antelopev2"]["sha256"] == sha(archive)
    with pytest.raises(UsageError, match="pass member="):
        file_sha256("antelopev2")


def test_install_from_dir_single_file_archive_and_members(home: Path, tmp_path: Path, manifest: Any) -> None:
    data = payload(70_000, 11)
    members = _pack_members()
    offline = closed_port_url("x")
    manifest({"gen": gen(offline, sha256=sha(data)), "antelopev2": pack(offline)})
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "G_test.pth").write_bytes(data)
    (flat / "antelopev2.zip").write_bytes(make_zip(members))

    assert ModelStore().available_in(flat) == ["gen", "antelopev2"]
    assert install("gen", from_dir=flat)["action"] == "copied"
    assert install("antelopev2", from_dir=flat)["source"] == str(flat / "antelopev2.zip")
    assert resolve("gen").read_bytes() == data
    assert (flat / "antelopev2.zip").exists()  # the source is never consumed

    # Loose members laid out like another machine's cache: <dir>/antelopev2/<member>.
    (home / "models" / "antelopev2" / "glintr100.onnx").unlink()
    copied = tmp_path / "copied_cache"
    (copied / "antelopev2").mkdir(parents=True)
    for name in PACK_MEMBERS:
        (copied / "antelopev2" / name).write_bytes(members[name])
    assert install("antelopev2", from_dir=copied)["action"] == "copied"
    assert (resolve("antelopev2") / "glintr100.onnx").read_bytes() == members["glintr100.onnx"]

    # A wrong copy is refused and leaves nothing under the final name.
    resolve("gen").unlink()
    (flat / "G_test.pth").write_bytes(payload(70_000, 12))
    with pytest.raises(DownloadError, match="sha256 mismatch"):
        install("gen", from_dir=flat)
    assert not list((home / "models" / "gen").glob("G_test.pth*"))


def test_install_from_missing_file_and_unknown_name(home: Path, tmp_path: Path, manifest: Any) -> None:
    manifest({"gen": gen(closed_port_url("x"))})
    with pytest.raises(InputError, match=r"G_test.pth not found in .*: copy it there"):
        install("gen", from_dir=tmp_path)
    with pytest.raises(UsageError, match="unknown model 'nope': choose one of gen"):
        install("nope")


# ---- the shipped manifest -----------------------------------------------------------------------

SHIPPED = {
    "ghost_unet_1block": ("generator", "G_unet_1block.pth", "sber-swap-v2.0"),
    "ghost_unet_2blocks": ("generator", "G_unet_2blocks.pth", "sber-swap-v2.0"),
    "ghost_unet_3blocks": ("generator", "G_unet_3blocks.pth", "sber-swap-v2.0"),
    "ghost_discriminator_1block": ("discriminator", "D_unet_1block.pth", "sber-swap-v2.0"),
    "ghost_discriminator_2blocks": ("discriminator", "D_unet_2blocks.pth", "sber-swap-v2.0"),
    "ghost_discriminator_3blocks": ("discriminator", "D_unet_3blocks.pth", "sber-swap-v2.0"),
    "arcface_backbone": ("arcface", "backbone.pth", "arcface"),
    "ghost_enhancer": ("enhancer", "10_net_G.pth", "super-res"),
    "wflw_4hg": ("eye_landmarks", "WFLW_4HG.pth", "awl_detector"),
}


def test_shipped_manifest_lists_every_official_asset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GHOSTSWAP_MANIFEST", raising=False)
    shipped = load_manifest()
    assert set(shipped.assets) == {*SHIPPED, "antelopev2", "face_parser_bisenet"}
    parser = shipped.get("face_parser_bisenet")
    assert (parser.kind, parser.file) == ("face_parser", "face-parsing-bisenet.onnx")
    assert parser.url.startswith("https://github.com/clibdev/face-parsing.PyTorch/releases/")
    assert "CelebAMask-HQ" in parser.licence and parser.sha256 is None  # pinned by the first install
    for name, (kind, file, tag) in SHIPPED.items():
        asset = shipped.get(name)
        assert (asset.kind, asset.file) == (kind, file)
        assert asset.url == f"https://github.com/ai-forever/ghost/releases/download/{tag}/{file}"
        assert asset.licence and asset.description
    for blocks, word in ((1, "1block"), (2, "2blocks"), (3, "3blocks")):
        assert shipped.get(f"ghost_unet_{word}").num_blocks == blocks
        assert shipped.get(f"ghost_discriminator_{word}").num_blocks == blocks
    assert shipped.default("generator").name == "ghost_unet_2blocks"
    antelope = shipped.get("antelopev2")
    assert antelope.url == "https://github.com/deepinsight/insightface/releases/download/v0.7/antelopev2.zip"
    assert antelope.archive == "zip" and "scrfd_10g_bnkps.onnx" in antelope.members
    assert "non-commercial" in antelope.licence and "CC BY-NC-SA" in shipped.get("ghost_enhancer").licence


def test_manifest_found_in_package_or_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GHOSTSWAP_MANIFEST", raising=False)
    checkout = Path(__file__).resolve().parent.parent / "models" / "manifest.toml"
    # A bare checkout falls back to models/; an editable install maps the package onto it too.
    assert Path(load_manifest().source).resolve() == checkout

    # An installed package: ghost_core.manifests is a real package holding manifest.toml.
    package = tmp_path / "manifests"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "manifest.toml").write_text(
        checkout.read_text().replace("ghost_unet_1block]", "only_here]", 1)
    )
    spec = importlib.util.spec_from_file_location(
        "ghost_core.manifests", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "ghost_core.manifests", module)
    found = load_manifest()
    assert found.source == str(package / "manifest.toml") and "only_here" in found.assets


def test_bad_manifest_names_the_file_and_field(manifest: Any) -> None:
    path = manifest({"gen": gen("http://x/y") | {"kind": "vocoder"}})
    with pytest.raises(ModelError, match=rf"\[models.gen\] in {path}: kind 'vocoder' is not one of"):
        load_manifest()
    manifest({"gen": {k: v for k, v in gen("http://x/y").items() if k != "num_blocks"}})
    with pytest.raises(ModelError, match="need num_blocks"):
        load_manifest()


def test_cache_root_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GHOSTSWAP_HOME", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert cache_root() == tmp_path / "a"
    monkeypatch.delenv("GHOSTSWAP_HOME")
    assert cache_root() == tmp_path / "x" / "ghostswap"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_root() == Path.home() / ".cache" / "ghostswap"


# ---- the CLI end to end -------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_cli_end_to_end(
    home: Path, server: FileServer, manifest: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = payload(60_000, 13)
    server.files["G_test.pth"] = data
    manifest(
        {
            "gen": gen(server.url("G_test.pth"), default=True),
            "offline": gen(closed_port_url("D.pth"), file="D.pth", kind="discriminator"),
        }
    )

    code, out = run_cli(capsys, "--json", "models", "list")
    listed = json.loads(out)
    assert code == 0 and listed["ok"] and listed["command"] == "models"
    assert [(m["name"], m["installed"]) for m in listed["models"]] == [("gen", False), ("offline", False)]

    assert run_cli(capsys, "models", "path", "gen")[0] == 4  # ModelError: not installed
    assert run_cli(capsys, "models", "path", "nope")[0] == 2  # UsageError: unknown name
    assert run_cli(capsys, "models", "install")[0] == 2  # neither names nor --from

    code, out = run_cli(capsys, "--json", "models", "install", "gen")
    assert code == 0 and json.loads(out)["installed"][0]["sha256"] == sha(data)

    code, out = run_cli(capsys, "--json", "models", "path", "gen")
    assert code == 0 and json.loads(out)["path"] == str(home / "models" / "gen" / "G_test.pth")
    code, out = run_cli(capsys, "models", "path", "gen")
    assert (code, out) == (0, f"{home / 'models' / 'gen' / 'G_test.pth'}\n")

    code, out = run_cli(capsys, "models", "list")
    assert code == 0 and "gen (default)" in out and "58.6 KB" in out and f"cache: {home}" in out

    code, out = run_cli(capsys, "--json", "models", "install", "offline")
    failure = json.loads(out)
    assert code == 5 and failure["ok"] is False and failure["error"] == "DownloadError"
    assert "cannot reach" in failure["message"]

    # Air-gapped: --from with no names installs every manifest file found there.
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "D.pth").write_bytes(b"discriminator bytes")
    code, out = run_cli(capsys, "--json", "models", "install", "--from", str(drop))
    assert code == 0 and [r["name"] for r in json.loads(out)["installed"]] == ["offline"]
    assert run_cli(capsys, "models", "install", "--from", str(tmp_path / "empty-missing"))[0] == 3

    code, out = run_cli(capsys, "--json", "models", "verify")
    assert code == 0 and [r["status"] for r in json.loads(out)["results"]] == ["ok", "ok"]

    (home / "models" / "offline" / "D.pth").write_bytes(b"Discriminator bytes")
    code, out = run_cli(capsys, "--json", "models", "verify")
    failure = json.loads(out)
    assert code == 4 and failure["error"] == "ModelError"
    assert "1 of 2 models failed verification: offline: mismatch" in failure["message"]
    code, out = run_cli(capsys, "models", "verify", "gen")
    assert (code, out) == (0, "gen: ok\n")


def test_list_models_reports_state(home: Path, server: FileServer, manifest: Any) -> None:
    server.files["G_test.pth"] = payload(1_000, 14)
    manifest({"gen": gen(server.url("G_test.pth"), size=1_000)})
    [before] = list_models()
    assert (before["installed"], before["size"], before["licence"]) == (False, 1_000, "test only")
    install("gen")
    [after] = list_models()
    assert after["installed"] and after["path"] == str(home / "models" / "gen" / "G_test.pth")

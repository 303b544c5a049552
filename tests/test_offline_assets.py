"""The book's pinned web assets: integrity checks and unpacking."""

import base64
import hashlib
import importlib.util
import io
import json
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "offline_assets", ROOT / "chapters" / "_ext" / "offline_assets.py"
)
offline_assets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(offline_assets)


def _tarball(files):
    """An npm-style .tgz (everything under ``package/``) from {path: bytes}."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _integrity(data):
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _entry(data, files=("lib/",), into="pkg"):
    return {
        "name": "@scope/pkg",
        "version": "1.0.0",
        "tarball": "https://registry.invalid/pkg-1.0.0.tgz",
        "integrity": _integrity(data),
        "files": list(files),
        "into": into,
    }


TARBALL = _tarball(
    {
        "package/lib/a.js": b"a",
        "package/lib/sub/b.js": b"b",
        "package/README.md": b"readme",
    }
)


def test_the_lock_file_pins_every_package_by_sha512():
    packages = offline_assets.read_lock()
    names = {p["name"] for p in packages}
    assert {"mathjax", "requirejs", "@jupyter-widgets/html-manager"} <= names
    for package in packages:
        assert package["tarball"].startswith("https://registry.npmjs.org/")
        digest = base64.b64decode(package["integrity"].removeprefix("sha512-"))
        assert len(digest) == 64


def test_unpack_takes_only_the_listed_files(tmp_path):
    offline_assets.unpack(_entry(TARBALL), TARBALL, tmp_path)
    found = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.*"))
    assert found == ["pkg/lib/a.js", "pkg/lib/sub/b.js"]


def test_unpack_reports_a_listed_file_the_package_lacks(tmp_path):
    with pytest.raises(offline_assets.AssetError, match=r"has no \['LICENSE'\]"):
        offline_assets.unpack(
            _entry(TARBALL, files=("lib/", "LICENSE")), TARBALL, tmp_path
        )


def test_unpack_refuses_paths_outside_its_folder(tmp_path):
    evil = _tarball({"package/lib/../../../escape.js": b"x"})
    with pytest.raises(offline_assets.AssetError, match="outside"):
        offline_assets.unpack(_entry(evil), evil, tmp_path / "out")
    assert not (tmp_path / "escape.js").exists()


def test_a_tampered_download_is_refused(tmp_path, monkeypatch):
    entry = _entry(TARBALL)
    monkeypatch.setattr(offline_assets, "_download", lambda url: TARBALL + b"!")
    with pytest.raises(offline_assets.AssetError, match="does not match"):
        offline_assets.fetch_tarball(entry, tmp_path)
    assert not list(tmp_path.rglob("*.tgz"))  # nothing bad is cached


def test_a_corrupt_cached_tarball_is_fetched_again(tmp_path, monkeypatch):
    entry = _entry(TARBALL)
    calls = []
    monkeypatch.setattr(
        offline_assets, "_download", lambda url: calls.append(url) or TARBALL
    )
    assert offline_assets.fetch_tarball(entry, tmp_path) == TARBALL
    assert offline_assets.fetch_tarball(entry, tmp_path) == TARBALL
    assert len(calls) == 1  # the second call used the cache
    cached = next(tmp_path.rglob("*.tgz"))
    cached.write_bytes(b"corrupt")
    assert offline_assets.fetch_tarball(entry, tmp_path) == TARBALL
    assert len(calls) == 2


def test_no_network_and_no_cache_says_what_is_needed(tmp_path, monkeypatch):
    def offline(url):
        raise OSError("network is unreachable")

    monkeypatch.setattr(offline_assets, "_download", offline)
    with pytest.raises(offline_assets.AssetError, match="cannot download @scope/pkg"):
        offline_assets.fetch_tarball(_entry(TARBALL), tmp_path)


def test_prepare_unpacks_once_per_lock_file(tmp_path, monkeypatch):
    lock = tmp_path / "lock.json"
    lock.write_text(json.dumps({"packages": [_entry(TARBALL)]}))
    monkeypatch.setattr(offline_assets, "_download", lambda url: TARBALL)
    root = offline_assets.prepare(lock, tmp_path / "cache")
    assert (root / "vendor" / "pkg" / "lib" / "a.js").read_bytes() == b"a"
    assert offline_assets.prepare(lock, tmp_path / "cache") == root


@pytest.mark.parametrize(
    "packages, message",
    [
        ([], "non-empty list"),
        ([{"name": "x", "version": "1"}], "lacks"),
        (
            [{**_entry(TARBALL), "integrity": "sha1-abc"}],
            "must be an npm 'sha512-",
        ),
    ],
)
def test_a_malformed_lock_file_is_refused(tmp_path, packages, message):
    lock = tmp_path / "lock.json"
    lock.write_text(json.dumps({"packages": packages}))
    with pytest.raises(offline_assets.AssetError, match=message):
        offline_assets.read_lock(lock)


def test_unpack_leaves_out_excluded_paths(tmp_path):
    entry = {**_entry(TARBALL), "exclude": ["lib/sub/*"]}
    offline_assets.unpack(entry, TARBALL, tmp_path)
    found = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.*"))
    assert found == ["pkg/lib/a.js"]

"""Serve the book's JavaScript libraries from the site itself.

By default a Jupyter Book page loads MathJax, RequireJS and the Jupyter
widget manager from public CDNs, so a reader without network sees raw TeX
and no widgets. This Sphinx extension puts pinned copies of these libraries
in ``_static/vendor/`` of every HTML build instead; ``_config.yml`` points
``mathjax_path`` and ``nb_ipywidgets_js`` at them. ``static/`` holds the
book's own glue, ``widgets-setup.js``: it tells RequireJS where the widget
manager lives, so that the manager fetches its icon fonts from the site,
and gives MathJax 3 the one MathJax 2 call the widgets make.

The copies come from the npm registry, as described by ``web-assets.lock.json``
next to this file: for each package its version, tarball address, the
registry's ``sha512`` integrity string and the files to take from it. A
tarball is downloaded once, checked against its integrity string, and kept
in a cache directory (``$LAZYRICH_ASSETS_CACHE``, else
``$XDG_CACHE_HOME/lazyrich-book``, else ``~/.cache/lazyrich-book``), so a
machine that has built the book once builds it again without network.

To move to other versions, edit the versions in the lock file and run::

    python chapters/_ext/offline_assets.py --relock

which asks the registry for each version's tarball and integrity string and
rewrites the lock file.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import urllib.request
from pathlib import Path

LOCK_FILE = Path(__file__).with_name("web-assets.lock.json")
REGISTRY = "https://registry.npmjs.org"


class AssetError(RuntimeError):
    """A locked web asset could not be fetched, verified or unpacked."""


def cache_dir():
    """Directory that keeps downloaded tarballs and unpacked files."""
    if os.environ.get("LAZYRICH_ASSETS_CACHE"):
        return Path(os.environ["LAZYRICH_ASSETS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lazyrich-book"


def read_lock(path=LOCK_FILE):
    """The locked packages, as a list of dicts (see the lock file)."""
    with open(path, encoding="utf-8") as stream:
        lock = json.load(stream)
    packages = lock.get("packages")
    if not isinstance(packages, list) or not packages:
        raise AssetError(f"{path}: expected a non-empty list under 'packages'")
    required = {"name", "version", "tarball", "integrity", "files", "into"}
    for entry in packages:
        missing = required - set(entry)
        if missing:
            raise AssetError(
                f"{path}: package {entry.get('name', '?')!r} lacks {sorted(missing)}"
            )
        if not entry["integrity"].startswith("sha512-"):
            raise AssetError(
                f"{path}: integrity of {entry['name']} must be an npm 'sha512-…' "
                f"string, got {entry['integrity'][:20]!r}"
            )
    return packages


def _sha512(data):
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _download(url):
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def fetch_tarball(entry, cache=None):
    """Bytes of a locked tarball, from the cache or the registry, verified.

    Raises
    ------
    AssetError
        If the tarball cannot be downloaded or its digest differs from the
        lock file's integrity string.
    """
    cache = Path(cache or cache_dir()) / "tarballs"
    name = entry["name"].replace("/", "__")
    path = cache / f"{name}-{entry['version']}.tgz"
    if path.exists():
        data = path.read_bytes()
        if _sha512(data) == entry["integrity"]:
            return data
        path.unlink()  # a corrupt or stale download: fetch it again
    try:
        data = _download(entry["tarball"])
    except OSError as error:
        raise AssetError(
            f"cannot download {entry['name']}@{entry['version']} from "
            f"{entry['tarball']} ({error}); the book's HTML build needs it once, "
            f"then it is cached in {cache}"
        ) from error
    if _sha512(data) != entry["integrity"]:
        raise AssetError(
            f"{entry['tarball']} does not match the integrity string in "
            f"{LOCK_FILE.name}; refusing to use it"
        )
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
    tmp.write_bytes(data)
    tmp.replace(path)
    return data


def unpack(entry, data, target):
    """Extract the entry's ``files`` from the tarball into ``target/into``.

    ``files`` lists paths inside the package (a trailing ``/`` takes a whole
    directory); they keep their relative layout below ``into``. The optional
    ``exclude`` lists glob patterns of paths to leave out of those.
    """
    into = Path(target) / entry["into"]
    wanted = [f.rstrip("/") for f in entry["files"]]
    excluded = entry.get("exclude", [])
    found = set()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            # npm tarballs put everything under one top directory ("package/").
            relative = member.name.split("/", 1)[-1]
            match = next(
                (w for w in wanted if relative == w or relative.startswith(w + "/")),
                None,
            )
            if match is None or any(fnmatch.fnmatch(relative, p) for p in excluded):
                continue
            destination = (into / relative).resolve()
            if into.resolve() not in destination.parents:
                raise AssetError(f"{member.name} would unpack outside {into}")
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.extractfile(member) as source, open(destination, "wb") as out:
                shutil.copyfileobj(source, out)
            found.add(match)
    missing = set(wanted) - found
    if missing:
        raise AssetError(
            f"{entry['name']}@{entry['version']} has no {sorted(missing)}; "
            f"check 'files' in {LOCK_FILE.name}"
        )


def prepare(lock_path=LOCK_FILE, cache=None):
    """Directory whose ``vendor/`` holds every locked package, unpacked.

    The directory is keyed by the lock file's digest, so a changed lock
    file unpacks afresh and an unchanged one is reused. It is unpacked
    into a temporary sibling and renamed into place, so builds running at
    the same time never see a half-unpacked copy. Copies left by older
    lock files stay in the cache until deleted by hand.
    """
    cache = Path(cache or cache_dir())
    digest = hashlib.sha256(Path(lock_path).read_bytes()).hexdigest()[:16]
    root = cache / f"static-{digest}"
    if root.exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{root.name}-", dir=cache))
    try:
        for entry in read_lock(lock_path):
            unpack(entry, fetch_tarball(entry, cache), staging / "vendor")
        try:
            staging.rename(root)
        except OSError:
            if not root.exists():  # not another build that got there first
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root


def _add_static_path(app):
    if app.builder.format != "html":
        return
    root = prepare(app.config.offline_assets_lock)
    # Sphinx copies every html_static_path entry into _static/ after writing
    # the pages, so vendor/… ends up at _static/vendor/…, next to this
    # extension's own scripts (static/).
    app.config.html_static_path.append(str(root))
    app.config.html_static_path.append(str(Path(__file__).with_name("static")))


def relock(path=LOCK_FILE):
    """Rewrite the lock file with the registry's tarball and integrity."""
    with open(path, encoding="utf-8") as stream:
        lock = json.load(stream)
    for entry in lock["packages"]:
        name = entry["name"].replace("/", "%2f")
        meta = json.loads(_download(f"{REGISTRY}/{name}/{entry['version']}"))
        entry["tarball"] = meta["dist"]["tarball"]
        entry["integrity"] = meta["dist"]["integrity"]
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(lock, stream, indent=2)
        stream.write("\n")


def setup(app):
    app.add_config_value("offline_assets_lock", str(LOCK_FILE), "env")
    app.connect("builder-inited", _add_static_path)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--relock", action="store_true", help="refresh tarballs and integrity"
    )
    parser.add_argument(
        "--fetch", action="store_true", help="download and unpack into the cache"
    )
    args = parser.parse_args()
    if args.relock:
        relock()
    if args.fetch or not args.relock:
        print(prepare())

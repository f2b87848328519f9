"""Install the pinned npm parsers the tests use (packages.json) into .cache/node/node_modules, without npm.

Run by `make test` before pytest (the tests themselves never touch the network). Each tarball is checked against
its registry integrity hash before it is unpacked; an installed package whose version matches is left alone.
Offline, it says so and exits 0: the tests that need the parser then skip locally and fail under CI=true.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE.parents[1] / ".cache" / "node" / "node_modules"


def installed_version(name: str) -> str:
    manifest = TARGET / name / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.is_file() else ""


def install(name: str, version: str, tarball: str, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    with urllib.request.urlopen(tarball, timeout=60) as response:
        data = response.read()
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"{name}@{version}: {tarball} does not match its pinned {algorithm} integrity")
    destination = TARGET / name
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile() or not member.name.startswith("package/"):
                continue
            path = destination / member.name.removeprefix("package/")
            if destination.resolve() not in path.resolve().parents:
                raise SystemExit(f"{name}@{version}: refusing {member.name}, outside the package")
            path.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            path.write_bytes(source.read())


def main() -> int:
    packages = json.loads((HERE / "packages.json").read_text())["packages"]
    for name, spec in packages.items():
        if installed_version(name) == spec["version"]:
            continue
        try:
            install(name, spec["version"], spec["tarball"], spec["integrity"])
        except OSError as error:
            print(f"could not fetch {name}@{spec['version']} ({error}); the TraceQL grammar tests will skip")
            return 0
        print(f"installed {name}@{spec['version']} into {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

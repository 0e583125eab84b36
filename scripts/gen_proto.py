"""Generate the Python code for every contract under ``proto/`` into ``libs/proto/``.

``python -m scripts.gen_proto`` regenerates in place; ``--check`` generates into a
temporary folder and exits 1 when the committed code differs (stale or edited).
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROTO = ROOT / "proto"
OUT = ROOT / "libs" / "proto"
BIN = Path(sys.executable).parent


def generate(out: Path) -> None:
    """Run protoc (grpcio-tools) over every .proto, writing code, stubs and package markers."""
    sources = sorted(str(p.relative_to(PROTO)) for p in PROTO.rglob("*.proto"))
    out.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{PROTO}",
        f"--plugin=protoc-gen-mypy={BIN / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={BIN / 'protoc-gen-mypy_grpc'}",
        f"--python_out={out}",
        f"--mypy_out={out}",
        f"--grpc_python_out={out}",
        f"--mypy_grpc_out={out}",
        *sources,
    ]
    subprocess.run(cmd, check=True, cwd=PROTO)  # noqa: S603  (fixed argv, our own tools)
    for package in {p.parent for p in out.rglob("*_pb2.py")}:
        node = package
        while node != out:
            (node / "__init__.py").touch()
            (node / "py.typed").touch()
            node = node.parent


def _tree(root: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(root)): p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }


def diff(a: Path, b: Path) -> list[str]:
    """Relative paths that differ between two generated trees."""
    ta, tb = _tree(a), _tree(b)
    changed = sorted(set(ta) ^ set(tb))
    changed += [k for k in sorted(set(ta) & set(tb)) if not filecmp.cmp(ta[k], tb[k], shallow=False)]
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if libs/proto is stale")
    args = parser.parse_args()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp)
            generate(fresh)
            changed = diff(fresh, OUT)
            if changed:
                print("generated code is stale; run `make proto`:", *changed, sep="\n  ")
                return 1
        print("generated code is up to date")
        return 0
    if (OUT / "vaxel").exists():
        shutil.rmtree(OUT / "vaxel")
    generate(OUT)
    print(f"generated into {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

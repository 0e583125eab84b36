"""``python -m tests.soak`` (``make soak``): one soak run; exit 1 when the history check finds a defect."""

from __future__ import annotations

import argparse
import secrets
import tempfile
from dataclasses import replace
from pathlib import Path

from tests.soak.faults import KINDS
from tests.soak.report import markdown, write
from tests.soak.run import SoakSettings, run_soak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, help="reproduce a run (default: a new random seed, printed)")
    parser.add_argument("--seconds", type=float, help="length of the load (faults spread over it)")
    parser.add_argument("--rate", type=float, help="chats submitted per second")
    parser.add_argument("--faults", help=f"comma-separated subset of: {', '.join(KINDS)}")
    parser.add_argument("--out", type=Path, default=Path("results/soak"))
    args = parser.parse_args()
    settings = SoakSettings(seed=args.seed if args.seed is not None else secrets.randbelow(10**6))
    if args.faults:
        unknown = set(args.faults.split(",")) - set(KINDS)
        if unknown:
            parser.error(f"unknown faults: {', '.join(sorted(unknown))}")
        settings = replace(settings, kinds=tuple(args.faults.split(",")))
    for name, value in (("seconds", args.seconds), ("rate", args.rate)):
        if value is not None:
            settings = replace(settings, **{name: value})
    with tempfile.TemporaryDirectory() as tmp:
        report = run_soak(settings, Path(tmp))
    path = write(report, args.out)
    print(markdown(report))
    print(f"written: {path} and {path.with_suffix('.json')}")
    if report["history"]["defects"]:
        print(f"DEFECTS found (seed {report['seed']}): see the history check above")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The committed generated code equals a fresh generation from proto/ (``make proto``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from scripts.gen_proto import OUT, diff, generate


def test_generated_code_is_fresh() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        stale = diff(Path(tmp), OUT)
    assert stale == [], f"run `make proto`; stale: {stale}"

"""The documentation states what the code does."""

from __future__ import annotations

import re
from pathlib import Path

from vaxel_common.topics import ALL_TOPICS

ROOT = Path(__file__).resolve().parents[2]


def test_topic_table_matches_the_registry() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z0-9.\-]+)` \| (\d+) \|", text, flags=re.MULTILINE))
    assert rows == {t.name: str(t.partitions) for t in ALL_TOPICS}


def test_readme_leads_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text()[:800]
    assert "make run" in head
    assert "make test" in head

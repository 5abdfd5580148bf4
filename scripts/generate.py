"""Rewrite the files derived from the knob table: the docs/jobs.md table (run after adding a knob).

Tests compare each generated file with what the code gives now, so a stale one fails CI.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ghost_core.knobs import knob_markdown  # noqa: E402

BEGIN, END = "<!-- knobs:begin -->", "<!-- knobs:end -->"


def with_knob_table(text: str) -> str:
    """`text` (docs/jobs.md) with the table between the markers replaced by the current one."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"docs/jobs.md lacks the {BEGIN} ... {END} markers")
    return pattern.sub(lambda _: f"{BEGIN}\n{knob_markdown()}{END}", text)


def main() -> int:
    docs = REPO / "docs" / "jobs.md"
    text = docs.read_text(encoding="utf-8")
    new = with_knob_table(text)
    if new != text:
        docs.write_text(new, encoding="utf-8")
        print(f"updated {docs.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

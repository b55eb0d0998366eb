"""Build screening/data/char_freq.txt: CJK characters by corpus frequency.

Source: the word-frequency dictionary shipped with jieba (MIT licence), where each
character is credited with the frequency of every word it occurs in.  The matcher
uses the order only (frequent characters are tried first in the automaton's root),
so the exact numbers do not matter.  Re-run after upgrading jieba:
    .venv/bin/python scripts/build_char_freq.py
"""

from collections import Counter
from pathlib import Path

import jieba

src = Path(jieba.__file__).parent / "dict.txt"
freq: Counter[str] = Counter()
for line in src.read_text(encoding="utf-8").splitlines():
    parts = line.split()
    if len(parts) >= 2:
        for ch in parts[0]:
            freq[ch] += int(parts[1])
out = Path(__file__).resolve().parent.parent / "screening" / "data" / "char_freq.txt"
chars = [c for c, _ in freq.most_common(8000)]
out.write_text(
    "# top 8000 characters by frequency in jieba's dict.txt (MIT); one line, most frequent first\n" + "".join(chars) + "\n",
    encoding="utf-8",
)
print(f"wrote {len(chars)} characters to {out}")

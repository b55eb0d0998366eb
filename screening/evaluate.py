"""Accuracy of script review on labelled cases.

    python -m screening.evaluate [CASES.jsonl|golden dir ...]

Prints, per case set, for the screener and for a naive substring baseline over the same
terms (what a plain 极限词 checker does), measured in the same run: term recall (a labelled offending term is recalled when a
finding overlaps it), the share of lawful lines passed (no finding at all, and no
``violation``), and the cases that went wrong.  Defaults: the development set
``tests/data/script_cases_dev.jsonl`` and the golden cases in ``tests/golden``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from screening.findings import Severity
from screening.screener import Screener

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Case:
    id: str
    text: str
    category: str
    terms: list[dict]  # {term, area?, severity?}
    lawful: bool


@dataclass
class Score:
    name: str
    terms: int = 0
    recalled: int = 0
    strict: int = 0  # recalled with the labelled area/severity (when labelled)
    lawful: int = 0
    lawful_clean: int = 0
    lawful_no_violation: int = 0
    misses: list[str] = field(default_factory=list)

    def row(self) -> str:
        r = self.recalled / self.terms if self.terms else float("nan")
        s = self.strict / self.terms if self.terms else float("nan")
        c = self.lawful_clean / self.lawful if self.lawful else float("nan")
        v = self.lawful_no_violation / self.lawful if self.lawful else float("nan")
        return (f"{self.name:<28} terms {self.recalled:>3}/{self.terms:<3} recall {r:6.3f} (area+severity {s:5.3f})   "
                f"lawful {self.lawful_clean:>3}/{self.lawful:<3} passed {c:6.3f} (no violation {v:5.3f})")


def load_jsonl(path: Path) -> list[Case]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            out.append(Case(d["id"], d["text"], "general", [{"term": t} for t in d["terms"]], not d["violation"]))
    return out


def load_golden(directory: Path) -> list[Case]:
    out = []
    for p in sorted(directory.glob("*.yaml")):
        for d in yaml.safe_load(p.read_text(encoding="utf-8")) or []:
            exp = d.get("expect") or []
            out.append(Case(d["id"], d["text"], d.get("category", "general"), exp, not exp))
    return out


class NaiveBaseline:
    """What a plain 极限词 checker does: substring search of the same terms, no normalization,
    no lawful look-alikes, no context, every hit a violation.  Same interface as Screener."""

    def __init__(self, screener: Screener):
        import ahocorasick

        self.auto = ahocorasick.Automaton()
        for r in screener.lexicon.rules:
            if "script" in r.inputs:
                for t in r.terms:
                    self.auto.add_word(t, (len(t), r.area))
        self.auto.make_automaton()

    def review(self, text: str, category: str = "general"):
        from types import SimpleNamespace

        from screening.findings import Finding

        fs = [Finding("naive", area, Severity.VIOLATION, end - n + 1, end + 1, text[end - n + 1 : end + 1], "", "", ())
              for end, (n, area) in self.auto.iter(text)]
        return SimpleNamespace(findings=fs)


def score(name: str, cases: list[Case], screener) -> Score:
    sc = Score(name)
    for c in cases:
        fs = screener.review(c.text, c.category).findings
        if c.lawful:
            sc.lawful += 1
            sc.lawful_clean += not fs
            sc.lawful_no_violation += not any(f.severity is Severity.VIOLATION for f in fs)
            if fs:
                sc.misses.append(f"{c.id} lawful but flagged: " + ", ".join(f"{f.text}[{f.rule_id},{f.severity.value}]" for f in fs))
            continue
        for t in c.terms:
            sc.terms += 1
            i = c.text.find(t["term"])
            j = i + len(t["term"])
            hits = [f for f in fs if i >= 0 and f.start < j and i < f.end]
            if hits:
                sc.recalled += 1
                ok = [f for f in hits if (not t.get("area") or f.category == t["area"])
                      and (not t.get("severity") or f.severity.value == t["severity"])]
                sc.strict += bool(ok)
                if not ok:
                    sc.misses.append(f"{c.id} {t['term']}: wrong area/severity " + ", ".join(
                        f"{f.rule_id},{f.severity.value}" for f in hits))
            else:
                sc.misses.append(f"{c.id} missed {t['term']!r} in {c.text[:40]!r}")
    return sc


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    verbose = "-v" in argv
    targets = [Path(a) for a in argv if a != "-v"] or [ROOT / "tests/data/script_cases_dev.jsonl", ROOT / "tests/golden"]
    screener = Screener.load()
    naive = NaiveBaseline(screener)
    for t in targets:
        if not t.exists():
            print(f"{t}: not found, skipped")
            continue
        cases = load_golden(t) if t.is_dir() else load_jsonl(t)
        sc = score(t.name, cases, screener)
        print(sc.row())
        for m in sc.misses[: None if verbose else 15]:
            print("    " + m)
        print(score(f"  baseline: naive substring", cases, naive).row())
    return 0


if __name__ == "__main__":
    sys.exit(main())

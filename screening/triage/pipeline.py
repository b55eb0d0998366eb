"""Comment triage: classify, screen, decide an action, pick a reply.

    tri = Triage.load()
    [r] = tri.triage([{"id": "c1", "text": "收到的杯子碎了", "product": "保温杯"}])
    r.intent, r.action, r.reply   # after_sales, route_after_sales, 优先补发 template

Actions: ``reply`` (questions, price, praise), ``route_after_sales`` (quality and
after-sales complaints), ``route_ops`` (logistics: synced to 运营), ``hide`` (only abuse,
spam/引流, illegal content) and ``none``.  A comment that carries a complaint is never
hidden, even when it also insults (regulations.md §8): it is routed, and flagged toxic.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml

from screening.findings import Finding
from screening.lexicon import DEFAULT_DIR
from screening.triage.labels import COMMENT_AREAS, COMPLAINT_INTENTS, HIDE_RULES, HIDEABLE_INTENTS, INTENTS, hides
from screening.triage.model import Scores, TriageModel, load_model

HIDE_CONFIDENCE = 0.6  # a hide suggested by the model alone needs this probability
SUBSTANTIVE_CHARS = 20  # a longer negative comment that reads like a review is not hidden for rude words
REVIEW_GUARD = 0.2  # ...where "reads like a review" = this much probability on the goods/service intents
MODEL_ONLY_ABUSE_CHARS = 30  # longer texts read as abuse by the model alone are usually reviews: a person decides
COMPLAINT_HIDE_GUARD = 0.15  # complaint mass which, with a complaint word, routes a toxic comment instead of hiding it


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Templates:
    replies: dict[str, list[str]]
    product_fallback: str
    damaged_terms: tuple[str, ...]
    crisis: dict
    topics: dict[str, list[str]]
    version: str
    complaint_cues: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path | str | None = None) -> "Templates":
        path = Path(path) if path else DEFAULT_DIR / "templates.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise TemplateError(f"回复模板文件无法读取: {path}: {exc}") from exc
        replies = data.get("replies") or {}
        for key, lines in replies.items():
            if not isinstance(lines, list) or not all(isinstance(x, str) and x.strip() for x in lines):
                raise TemplateError(f"回复模板 {path.name}: {key} 必须是非空字符串列表")
        for key in ("question", "price", "quality", "after_sales", "after_sales_damaged", "logistics"):
            if key not in replies:
                raise TemplateError(f"回复模板 {path.name} 缺少 {key}")
        crisis = data.get("crisis") or {}
        if "statement" not in crisis:
            raise TemplateError(f"回复模板 {path.name} 缺少 crisis.statement（重大舆情声明）")
        return cls(replies, data.get("product_fallback", "这款商品"), tuple(data.get("damaged_terms") or ()),
                   crisis, data.get("topics") or {}, str(data.get("version", "")),
                   tuple(data.get("complaint_cues") or ()))

    def reply(self, key: str, product: str | None, seed: str) -> str | None:
        lines = self.replies.get(key)
        if not lines:
            return None
        k = int(hashlib.sha1(seed.encode("utf-8")).hexdigest()[:8], 16) % len(lines)
        return lines[k].replace("{product}", (product or "").strip() or self.product_fallback)

    def statement(self, topic: str | None = None) -> str:
        fallback = self.crisis.get("topic_fallback", "商品")
        return " ".join(self.crisis["statement"].split()).replace("{topic}", topic or fallback)


@dataclass
class TriageResult:
    id: str
    text: str
    intent: str
    negative: float
    toxic: bool
    action: str
    reply: str | None
    findings: list[Finding]
    hideable: bool
    reasons: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    product: str | None = None

    def to_dict(self) -> dict:
        """The DESIGN.md shape: id, text, intent, negative, toxic, action, reply, findings."""
        return {"id": self.id, "text": self.text, "intent": self.intent, "negative": self.negative,
                "toxic": self.toxic, "action": self.action, "reply": self.reply,
                "findings": [f.to_dict() for f in self.findings]}

    def to_full_dict(self) -> dict:
        d = self.to_dict()
        d.update({"hideable": self.hideable, "reasons": self.reasons, "scores": self.scores, "product": self.product})
        return d


class Triage:
    def __init__(self, model: TriageModel, screener=None, templates: Templates | None = None):
        self.model = model
        self.screener = screener
        self.templates = templates or Templates.load()

    @classmethod
    def load(cls, model_dir: Path | str | None = None, *, screener=None, lexicon_dir: Path | str | None = None,
             templates: Path | str | None = None) -> "Triage":
        if screener is None:
            from screening.screener import Screener

            screener = Screener.load(lexicon_dir)
        tpath = Path(templates) if templates else Path(lexicon_dir or DEFAULT_DIR) / "templates.yaml"
        return cls(load_model(model_dir), screener, Templates.load(tpath))

    def triage(self, comments: Iterable[dict | str], *, category: str = "general",
               product: str | None = None) -> list[TriageResult]:
        items = []
        for n, c in enumerate(comments, 1):
            if isinstance(c, str):
                c = {"text": c}
            items.append((str(c.get("id") if c.get("id") not in (None, "") else n), str(c.get("text") or ""),
                          c.get("product") or product))
        scores = self.model.predict([t for _, t, _ in items])
        return [self._decide(i, cid, text, prod, scores, category) for i, (cid, text, prod) in enumerate(items)]

    def triage_one(self, text: str, *, id: str = "1", product: str | None = None,
                   category: str = "general") -> TriageResult:
        return self.triage([{"id": id, "text": text, "product": product}], category=category)[0]

    # ------------------------------------------------------------------ decision
    def _decide(self, i: int, cid: str, text: str, product: str | None, s: Scores, category: str) -> TriageResult:
        probs = {name: float(p) for name, p in zip(INTENTS, s.intents[i])}
        intent = max(probs, key=probs.get)
        negative = round(float(s.negative[i]), 3)
        toxic = bool(s.toxic[i] >= self.model.toxic_threshold)
        reasons: list[str] = []
        hits = s.hits[i]
        if hits.get("abuse"):
            reasons.append(f"命中辱骂词「{hits['abuse']}」")
        for key in ("phone", "link", "contact", "handle"):
            if hits.get(key):
                reasons.append(f"命中引流联系方式「{hits[key]}」")
                break
        findings = []
        if self.screener is not None and text:
            findings = [f for f in self.screener.scan(text, category, "comment") if f.category in COMMENT_AREAS]
        hide_findings = []
        for f in findings:
            if not hides(f):
                continue
            # curated entries (abuse words of 2+ characters, 引流 phrases, illegal goods) are trusted;
            # one-character abuse hits and the broad imported word lists need the model's support
            model_agrees = s.toxic[i] >= 0.5 or probs["abuse"] + probs["spam"] >= 0.4
            if f.category == "abuse" and len(f.text) < 2 and not model_agrees:
                reasons.append(f"词库命中「{f.text}」（{f.rule_id}），模型判断非辱骂，未自动隐藏")
                continue
            if f.category == "illegal_content" and (not model_agrees or len(text) > MODEL_ONLY_ABUSE_CHARS):
                reasons.append(f"词库命中「{f.text}」（{f.rule_id}），模型判断为正常评论，未自动隐藏，建议人工复核")
                continue
            hide_findings.append(f)
            reasons.append(f"审核规则 {f.rule_id} 命中「{f.text}」")
            if f.category == "diversion" and intent not in COMPLAINT_INTENTS:
                intent = "spam"
            elif f.category == "abuse":
                toxic = True
                if intent not in COMPLAINT_INTENTS:
                    intent = "abuse"
        raw = s.raw_intents[i] if s.raw_intents is not None else s.intents[i]
        raw_probs = {name: float(p) for name, p in zip(INTENTS, raw)}
        complaint_mass = sum(raw_probs[k] for k in COMPLAINT_INTENTS)
        top_complaint = max(raw_probs[k] for k in COMPLAINT_INTENTS)
        cue = next((c for c in self.templates.complaint_cues if c in text), None)
        complains = top_complaint >= 0.3 or (complaint_mass >= COMPLAINT_HIDE_GUARD and cue is not None)
        hideable = (intent in HIDEABLE_INTENTS or bool(hide_findings)) and intent not in COMPLAINT_INTENTS
        # grounds other than abuse (引流 contacts, illegal content) hide whatever else the text says;
        # abuse alone does not hide a substantive negative comment: that is a review with rude words
        diversion = any(k in hits for k in ("phone", "link", "contact", "handle")) or any(
            f.category == "diversion" or f.rule_id in HIDE_RULES for f in hide_findings) or intent == "spam"
        action_override: tuple[str, str] | None = None
        review_mass = complaint_mass + raw_probs["price"] + raw_probs["praise"] + raw_probs["question"]
        substantive = len(text) > SUBSTANTIVE_CHARS and not diversion and review_mass >= REVIEW_GUARD
        if hideable and complains and negative >= 0.5:
            # a complaint is never hidden, even with insults in it: the store refuses `hidden` for it
            hideable = False
            top = max(COMPLAINT_INTENTS, key=lambda k: raw_probs[k])
            reasons.append(f"含投诉内容（{top} {raw_probs[top]:.2f}），负面评论不得隐藏，转人工处理")
            intent = top
        elif hideable and substantive and negative >= 0.5:
            # reads like a review with rude words: routed to a person, who may still hide it (audited)
            top = max(COMPLAINT_INTENTS, key=lambda k: raw_probs[k])
            reasons.append("较长的负面评论（疑似差评夹带粗口），不自动隐藏，转人工判断")
            action_override = ("route_after_sales", top)
        model_only = hideable and action_override is None and not hide_findings and not any(
            k in hits for k in ("phone", "link", "contact", "handle", "abuse"))
        if model_only and (probs[intent] < HIDE_CONFIDENCE or (intent == "abuse" and len(text) > MODEL_ONLY_ABUSE_CHARS)):
            # the model alone, and unsure: a person decides (the comment stays hideable)
            reasons.append(f"疑似{'辱骂' if intent == 'abuse' else '广告引流'}（置信度 {probs[intent]:.2f}），未自动隐藏，请人工复核")
            action, key = "none", None
        elif action_override is not None:
            action, key = action_override[0], ("after_sales_damaged" if any(
                t in text for t in self.templates.damaged_terms) else action_override[1])
            if key == "logistics":
                action = "route_ops"
        else:
            action, key = self._action(intent, hideable, text)
        reply = self.templates.reply(key, product, cid + text) if key else None
        return TriageResult(cid, text, intent, negative, toxic, action, reply, findings, hideable, reasons,
                            {k: round(v, 4) for k, v in probs.items()}, product)

    def _action(self, intent: str, hideable: bool, text: str) -> tuple[str, str | None]:
        if hideable:
            return "hide", None
        if intent in ("quality", "after_sales"):
            if any(t in text for t in self.templates.damaged_terms):  # 破损：优先补发而非退款
                return "route_after_sales", "after_sales_damaged"
            return "route_after_sales", intent
        if intent == "logistics":
            return "route_ops", "logistics"
        if intent in ("question", "price", "praise"):
            return "reply", intent
        return "none", None

"""Intent labels, their Chinese names and what each one allows a moderator to do."""

from __future__ import annotations

INTENTS: tuple[str, ...] = (
    "quality", "logistics", "after_sales", "price", "question", "abuse", "spam", "praise", "other",
)
INTENT_INDEX = {name: i for i, name in enumerate(INTENTS)}

INTENT_LABELS_ZH = {
    "quality": "质量投诉",
    "logistics": "物流",
    "after_sales": "售后",
    "price": "价格",
    "question": "咨询",
    "abuse": "辱骂",
    "spam": "广告/引流",
    "praise": "好评",
    "other": "其他",
}

# Only these may be hidden (regulations.md §8): abuse, spam/diversion.  Illegal content and
# privacy leaks are recognised from screening findings, whatever the intent.
HIDEABLE_INTENTS = frozenset({"abuse", "spam"})
# Complaints: answered and routed, never hidden, never folded.
COMPLAINT_INTENTS = frozenset({"quality", "logistics", "after_sales"})

ACTIONS: tuple[str, ...] = ("reply", "route_after_sales", "route_ops", "hide", "none")
ACTION_LABELS_ZH = {
    "reply": "回复",
    "route_after_sales": "转售后",
    "route_ops": "同步运营",
    "hide": "隐藏",
    "none": "无需处理",
}

# Screening-core findings that make a comment hideable: abuse and 引流 (whole areas) and the
# illegal-content / privacy entries of other areas.  Ad-law areas (absolute terms, medical
# claims...) bind the seller's own claims, not what a viewer writes, so they are not shown.
HIDE_AREAS = frozenset({"abuse", "diversion", "illegal_content"})
HIDE_RULES = frozenset({
    "public_order.min_zu_zong_jiao", "public_order.yin_si", "public_order.di_su",
    "prohibited_goods.te_shu_yao_pin", "prohibited_goods.wei_jin_pin", "prohibited_goods.du_pin",
    "prohibited_goods.du_bo", "prohibited_goods.dai_yun", "prohibited_goods.jia_zheng",
})
COMMENT_AREAS = frozenset({"abuse", "diversion", "illegal_content", "public_order", "prohibited_goods"})


def hides(finding) -> bool:
    return finding.category in HIDE_AREAS or finding.rule_id in HIDE_RULES

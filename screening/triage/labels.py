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

# Screening-core rule areas that make a comment hideable (abuse, 引流, illegal content, privacy).
HIDE_AREAS = frozenset({
    "abuse", "diversion", "illegal", "politics", "porn", "pornography", "gambling", "drugs",
    "weapons", "violence", "terror", "fraud", "privacy", "spam",
})
# Areas worth showing on a viewer comment.  Ad-law areas (absolute terms, medical claims...)
# bind the seller's own claims, not what a viewer writes, so they are left out.
COMMENT_AREAS = HIDE_AREAS

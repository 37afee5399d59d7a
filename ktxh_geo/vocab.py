"""Shared vocabulary: names used across layers, with no dependency on any other module of the package.

Keep each group in its own section; every layer above (io, model, render, ui, views) imports from here.
"""

from __future__ import annotations

# ---- value statuses (data/values.csv ``status``; what kind of figure a value is) ----
# The one priority order, strongest first: when several rows give a value for one unit and year the first wins, and
# an aggregated value keeps the last (weakest) status of its inputs.
#   official      a figure the source states
#   computed      computed from published figures; the row's note gives the formula ("tính từ số liệu công bố")
#   estimate      a figure the source gives as an estimate ("ước thực hiện", "ước tính")
#   target        a target of the plan
#   inferred      read from the source by a rule stated in the row's note ("suy ra từ văn bản")
#   nghi_van      a figure a plausibility rule flags (ktxh_geo/model/plausibility.py): shown hatched, never as official
#   illustrative  made up for demonstration ("Số liệu minh họa")
STATUS_ORDER = ("official", "computed", "estimate", "target", "inferred", "nghi_van", "illustrative")
STATUSES = STATUS_ORDER  # allowed in data/values.csv (illustrative only in data/illustrative_commune_values.csv)
FLAGGED = "nghi_van"
STATUS_LABELS = {
    "official": "chính thức",
    "computed": "tính từ số liệu công bố",
    "estimate": "ước tính",
    "target": "chỉ tiêu kế hoạch",
    "inferred": "suy ra từ văn bản",
    FLAGGED: "cần kiểm tra",
    "illustrative": "Số liệu minh họa",
    "not_applicable": "không áp dụng",
    "missing": "chưa có",
}
# Statuses whose rows must say how they were obtained in their note (the formula, the rule, the plausibility rule).
NOTE_REQUIRED = {"computed": "công thức tính", "inferred": "quy tắc suy ra", FLAGGED: "quy tắc kiểm tra đã gắn cờ"}
FLAGGED_MARK = "Số liệu cần kiểm tra"
FLAGGED_LEGEND = "Cần kiểm tra (không phải số liệu chính thức)"

"""Shared vocabulary: names used across layers, with no dependency on any other module of the package but its
error vocabulary (``ktxh_geo.errors``).

Keep each group in its own section; every layer above (io, model, render, ui, views) imports from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ktxh_geo.errors import Forbidden

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


# ---- where an object of the register is known to be (projects.csv ``location_precision``) ----
PRECISION_LABELS = {
    "exact": "Vị trí chính xác",
    "approximate": "Vị trí gần đúng",
    "commune": "Vị trí gần đúng (chỉ biết xã; điểm đặt trong phạm vi xã)",
    "unknown": "Chưa rõ vị trí",
}


# ---- who writes: the signed-in editor ----
# ``Editor`` is the identity recorded with every write. It lives here so the store (``io``) can check it without
# importing ``model.auth`` (which uses the store for its sign-in counters): the password and OIDC checks stay in
# ``model.auth`` and ``ui.auth``; this section only makes and checks the signed proof.

_SIGNED = object()  # only ``signed_in`` sets it: a typed name can never pass as an editor


@dataclass(frozen=True)
class Editor:
    """A signed-in editor: the identity recorded with every write (never a typed name).

    Build one only with ``signed_in`` after the password or the OIDC provider has confirmed who it is;
    every function that writes calls ``require_editor`` first.
    """

    name: str
    method: str  # "password", "oidc" or "cli"
    _proof: object = field(default=None, repr=False, compare=False)
    # the communes (GSO codes) a commune's reporter may write; None: the planning office (every unit, reviews)
    scope: frozenset[str] | None = None

    @property
    def scoped(self) -> bool:
        return self.scope is not None


def signed_in(name: str, method: str, scope: frozenset[str] | None = None) -> Editor:
    """The identity of someone whose credentials were just checked (by ``model.auth`` or OIDC); ``scope``: the
    communes of a commune's reporter, from the configuration ([editor_scopes]), never from the user."""
    name = (name or "").strip()
    if not name or method not in ("password", "oidc", "cli"):
        raise Forbidden("Không xác định được người biên tập đã đăng nhập.")
    return Editor(name, method, _SIGNED, None if scope is None else frozenset(str(c) for c in scope))


def require_editor(editor: object) -> Editor:
    """Refuse a write unless ``editor`` is a signed-in Editor (raises ``Forbidden``; nothing is written)."""
    if not isinstance(editor, Editor) or editor._proof is not _SIGNED or not editor.name:
        raise Forbidden("Cần đăng nhập với quyền biên tập để lưu thay đổi; không có gì được ghi.")
    return editor


def require_scope(editor: object, codes) -> Editor:
    """Refuse a write touching a unit outside a scoped editor's communes (``Forbidden``, nothing written)."""
    editor = require_editor(editor)
    if editor.scope is None:
        return editor
    outside = sorted({str(c) for c in codes} - editor.scope)
    if outside:
        shown = ", ".join(outside[:5]) + (f" và {len(outside) - 5} đơn vị khác" if len(outside) > 5 else "")
        raise Forbidden(
            f"Tài khoản {editor.name} chỉ được nhập số liệu của xã được giao ({', '.join(sorted(editor.scope))}); "
            f"không được ghi số liệu của đơn vị {shown}. Không có gì được ghi."
        )
    return editor


def require_office(editor: object, what: str) -> Editor:
    """Refuse ``what`` (a review, a target import, a restore) to a commune's reporter: only the office does it."""
    editor = require_editor(editor)
    if editor.scope is not None:
        raise Forbidden(f"Chỉ văn phòng (tài khoản không giới hạn theo xã) được {what}. Không có gì được ghi.")
    return editor


# ---- following the plan: reporting periods, report states, what a reported value is ----
# A period is a year and a stage; the plan's section IV asks communes to report every 6 months and at year end.
STAGES = {"6_thang": "6 tháng", "9_thang": "9 tháng", "uoc_ca_nam": "Ước cả năm", "ca_nam": "Cả năm (thực hiện)"}
REPORT_STATES = {
    None: "Chưa gửi",
    "draft": "Nháp",
    "submitted": "Đã gửi",
    "accepted": "Đã duyệt",
    "returned": "Trả lại",
}
REPORT_ACTIONS = {"save": "lưu nháp", "submit": "gửi", "accept": "duyệt", "return": "trả lại"}
VALUE_STATUSES = {"estimate": "ước tính", "official": "thực hiện"}

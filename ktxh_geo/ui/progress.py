"""Streamlit sections of the page "Tiến độ kế hoạch": period picker, progress and reporting status with their maps,
a commune's report form, the office's review, periods and commune targets, and the compiled report.

Every write goes through ``io.reports`` (which checks who may write what, where the write happens); user text is
shown through ``md_text`` or in tables, never as HTML; forms state the version they were read at (``ui.conflicts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from ktxh_geo.errors import Conflict, KtxhError
from ktxh_geo.io import reports as rp
from ktxh_geo.model import estimate as est
from ktxh_geo.model import progress as pg
from ktxh_geo.model import target_import
from ktxh_geo.model import targets as tg
from ktxh_geo.render.escape import md_text
from ktxh_geo.render.maps import build_map
from ktxh_geo.ui import conflicts
from ktxh_geo.ui import data as ui
from ktxh_geo.vocab import REPORT_STATES, STAGES, VALUE_STATUSES, Editor
from ktxh_geo.vocab.profile import Profile

MAP_HEIGHT = 460
VN = timezone(timedelta(hours=7))
STATUS_WORDS = {"estimate": "Ước tính", "official": "Thực hiện"}


def today() -> date:
    return datetime.now(VN).date()


@dataclass
class Context:
    """What every section of the page needs, read once per run."""

    profile: Profile
    period: pg.Period
    units: pd.DataFrame  # code, name (the area's communes)
    communes: gpd.GeoDataFrame
    where: tuple[tuple[str, str], ...]
    locality_targets: list[tg.Target]
    commune_targets: pd.DataFrame
    reports: pd.DataFrame
    values: pd.DataFrame

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.profile.id, self.period.year, self.period.stage)


# ---------------------------------------------------------------- reading


def shipped_periods(profile: Profile) -> list[pg.Period]:
    """Periods of the plan's own figures: a year with locality targets and the plan's estimates of that year."""
    values = ui.values(False)
    years = sorted({t.year for t in tg.locality_targets(profile.data_dir)})
    est = values[values["status"].isin(["estimate", "official", "computed"]) & (values["level"] != "commune")]
    have = {int(y) for y in est["year"]}
    return [pg.Period(y, "uoc_ca_nam", None, shipped=True) for y in years if y in have]


def all_periods(profile: Profile) -> list[pg.Period]:
    """The store's periods (with their deadlines), then the plan's own ones not opened in the store."""
    return _all_periods(profile.id, ui.store_version())


@st.cache_data(show_spinner=False, max_entries=32)
def _all_periods(profile_id: str, version: str) -> list[pg.Period]:
    from ktxh_geo.vocab.profile import active

    stored = rp.periods(profile_id)
    out = [pg.Period(int(r["year"]), r["stage"], date.fromisoformat(r["deadline"])) for r in stored.to_dict("records")]
    taken = {(p.year, p.stage) for p in out}
    return out + [p for p in shipped_periods(active()) if (p.year, p.stage) not in taken]


def period_picker(profile: Profile) -> pg.Period | None:
    periods = all_periods(profile)
    if not periods:
        st.info(
            "Chưa có kỳ báo cáo nào. Văn phòng (tài khoản không giới hạn theo xã) mở kỳ báo cáo ở thẻ "
            "“Kỳ báo cáo và chỉ tiêu giao”."
        )
        return None
    labels = {f"{p.year}-{p.stage}": p for p in periods}
    key = st.selectbox(
        "Kỳ báo cáo",
        list(labels),
        format_func=lambda k: labels[k].label + (" — số liệu văn bản kế hoạch" if labels[k].shipped else ""),
        key="td_period",
    )
    return labels[key]


def locality_results(ctx: Context) -> dict[str, dict]:
    """The locality's results of the period: the plan's own figures (a shipped period) or the office's report for
    the whole area (code = the area's code)."""
    if ctx.period.shipped:
        v = ui.values(False)
        v = v[(v["year"].astype(int) == ctx.period.year) & (v["level"] != "commune") & (v["status"] != "target")]
        return {
            r["indicator_id"]: {
                "value": r["value"],
                "value_text": r.get("value_text", ""),
                "status": "estimate",
                "source": r["source"],
            }
            for r in v.to_dict("records")
        }
    mine = ctx.values[ctx.values["code"] == ctx.profile.area_code]
    return {r["indicator_id"]: r for r in mine.to_dict("records")}


@st.cache_data(show_spinner=False, max_entries=32)
def _stored(profile_id: str, year: int, stage: str, version: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Commune targets, reports and values of a period (``version``: the store's key; any write reads again)."""
    return (
        rp.commune_targets(profile_id, year),
        rp.reports(profile_id, year, stage),
        rp.report_values(profile_id, year, stage),
    )


def context(profile: Profile, period: pg.Period, province: str | None) -> Context:
    where = ((profile.drill_down["key"], province),) if profile.drill_down and province else ()
    edition = profile.drill_down["edition"] if profile.drill_down and province else profile.default_edition
    communes = ui.communes(edition, where)
    units = pd.DataFrame({"code": communes["code"], "name": communes["full_name"]})
    targets, reports, values = _stored(profile.id, period.year, period.stage, ui.store_version())
    return Context(
        profile=profile,
        period=period,
        units=units,
        communes=communes,
        where=where,
        locality_targets=tg.locality_targets(profile.data_dir, period.year),
        commune_targets=targets,
        reports=reports,
        values=values,
    )


def indicator_names(ctx: Context) -> dict[str, tuple[str, str]]:
    names = {k: (i.name, i.unit) for k, i in ui.indicators().items()}
    for r in ctx.commune_targets.drop_duplicates("indicator_id").to_dict("records"):
        names[r["indicator_id"]] = (r["name"], r["unit"])
    return names


def tables(ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(locality rows, commune rows, reporting status) of the period, computed once per store version and day."""
    p = ctx.period
    deadline = p.deadline.isoformat() if p.deadline else ""
    province = dict(ctx.where).get(ctx.profile.drill_down.get("key", "")) if ctx.where else None
    return _tables(ctx.profile.id, p.year, p.stage, deadline, p.shipped, province, ui.store_version(), today())


@st.cache_data(show_spinner=False, max_entries=32)
def _tables(profile_id, year, stage, deadline, shipped, province, version, day):
    from ktxh_geo.vocab.profile import active

    period = pg.Period(year, stage, date.fromisoformat(deadline) if deadline else None, shipped)
    ctx = context(active(), period, province)
    local = pg.locality_rows(ctx.locality_targets, locality_results(ctx), indicator_names(ctx))
    in_area = ctx.commune_targets[ctx.commune_targets["code"].isin(set(ctx.units["code"]))]
    names = dict(zip(ctx.units["code"], ctx.units["name"], strict=True))
    communes = pg.commune_rows(in_area, ctx.values, ctx.reports, names)
    status = pg.reporting_status(ctx.units, ctx.reports, ctx.period.deadline, day)
    return local, communes, status


# ---------------------------------------------------------------- the progress section


def _map(joined, classification, ctx: Context, title: str, key: str) -> None:
    m = build_map(
        joined,
        classification,
        ui.outline(dict(ctx.where).get(ctx.profile.drill_down.get("key", "")) if ctx.where else None),
        None,
        layers=(),
        title=title,
        geometry_url=ui.geometry_url(ctx.communes["edition"].iloc[0] if "edition" in ctx.communes else None, ctx.where),
        height="100%",
    )
    st_folium(m, height=MAP_HEIGHT, use_container_width=True, returned_objects=[], key=key)


def progress_section(ctx: Context) -> None:
    local, communes, status = tables(ctx)
    st.caption(md_text(pg.deadline_text(ctx.period, today())))
    if len(local):
        met, counted = pg.headline(local)
        st.subheader(pg.headline_text(met, counted))
        st.caption(
            f"Chỉ tiêu của toàn {md_text(ctx.profile.area_name)} theo kế hoạch năm {ctx.period.year}; "
            "chỉ tiêu chưa có số liệu vẫn được tính trong tổng số; chỉ tiêu “suy ra từ văn bản” có ghi chú cách suy ra."
        )
        shown = local.drop(columns=["indicator_id", "verdict"])
        ui.table(shown, "td_local", "Chỉ tiêu", hide_index=True, width="stretch")
    estimate = estimate_section(ctx) if len(local) and est.applies(ctx.period.stage) else None
    if len(communes):
        met, counted = pg.headline(communes)
        st.subheader(pg.headline_text(met, counted, "lượt chỉ tiêu giao cho xã"))
        st.caption("Chỉ tính báo cáo đã được văn phòng duyệt; báo cáo đã gửi đang chờ duyệt chưa được tính.")
    n_sent = int(status["status"].isin(["submitted", "accepted"]).sum())
    n_ok = int((status["status"] == "accepted").sum())
    n_late = int((status["Trễ hạn"] == "có").sum())
    if not ctx.period.shipped:
        st.markdown(f"**{n_sent}/{len(status)} đơn vị đã gửi báo cáo** · {n_ok} đã duyệt · {n_late} quá hạn")
    kinds = (["progress"] if len(communes) else []) + ([] if ctx.period.shipped else ["status"])
    words = {"progress": "Tiến độ theo chỉ tiêu", "status": "Tình trạng báo cáo"}
    kind = kinds[0] if len(kinds) == 1 else None
    if len(kinds) > 1:  # one map at a time: quicker to redraw, and one screen on a phone
        kind = st.radio("Bản đồ", kinds, format_func=lambda k: words.get(k, k), horizontal=True, key="td_map_kind")
    if kind == "progress":
        options = list(dict.fromkeys(communes["indicator_id"]))
        labels = dict(zip(communes["indicator_id"], communes["Chỉ tiêu"], strict=True))
        chosen = st.selectbox(
            "Chỉ tiêu trên bản đồ tiến độ", options, format_func=lambda i: labels.get(i, i), key="td_indicator"
        )
        joined, cls = pg.progress_layer(ctx.communes, communes, chosen, ctx.period.year, f"Tiến độ: {labels[chosen]}")
        with st.container(key="td_progress_map"):
            _map(joined, cls, ctx, f"{labels[chosen]} — {ctx.period.label}", "td_map_progress")
        table = communes[communes["indicator_id"] == chosen].drop(columns=["code", "indicator_id", "verdict"])
        ui.table(table, "td_communes", "Đơn vị", max_cards=30, hide_index=True, width="stretch")
    elif kind == "status":
        joined, cls = pg.status_layer(ctx.communes, status, ctx.period.year, "Tình trạng báo cáo")
        with st.container(key="td_status_map"):
            _map(joined, cls, ctx, f"Tình trạng báo cáo — {ctx.period.label}", "td_map_status")
    if not ctx.period.shipped:
        missing = pg.not_reported(status)
        st.subheader(f"Đơn vị chưa báo cáo: {len(missing)}")
        shown = status.drop(columns=["code", "status"])
        ui.table(shown, "td_status", "Đơn vị", max_cards=30, hide_index=True, width="stretch")
    compiled_section(ctx, local, communes, status, estimate)


def estimate_section(ctx: Context) -> pd.DataFrame | None:
    """The toggle "Ước cả năm từ số 6 tháng": the rule of each indicator (proposed only for rates and averages, the
    office chooses the others), the estimates with the rule beside each, marked "ước tính"; computed, never stored."""
    months = STAGES[ctx.period.stage]
    if not st.toggle(f"Ước cả năm từ số {months}", key="td_estimate"):
        return None
    catalogue = ui.indicators()
    names = indicator_names(ctx)
    options = est.rule_options(ctx.period.stage)
    ids = [t.indicator_id for t in ctx.locality_targets if t.rule != "milestone"]
    chosen = st.session_state.setdefault(f"td_estimate_rules-{ctx.profile.id}-{ctx.period.stage}", {})
    for i in ids:
        if i not in chosen:
            ind = catalogue.get(i)
            chosen[i] = est.default_rule(ind.aggregation, ind.unit) if ind else est.NONE
    with st.expander("Cách ước từng chỉ tiêu", expanded=False):
        st.caption(
            f"Chỉ tiêu cộng dồn theo thời gian (sản lượng, thu ngân sách…): {options[est.SCALE]}; tỷ lệ, mức bình "
            f"quân: {options[est.KEEP]}. Chỉ tỷ lệ và mức bình quân được chọn sẵn; chỉ tiêu khác văn phòng tự chọn."
        )
        frame = pd.DataFrame(
            {
                "indicator_id": ids,
                "Chỉ tiêu": [names.get(i, (i, ""))[0] for i in ids],
                "Cách ước": [options[chosen[i]] for i in ids],
            }
        )
        edited = st.data_editor(
            frame,
            key=f"td_estimate_editor-{ctx.period.stage}",
            hide_index=True,
            width="stretch",
            disabled=["indicator_id", "Chỉ tiêu"],
            column_config={
                "indicator_id": None,
                "Cách ước": st.column_config.SelectboxColumn(options=list(options.values()), required=True),
            },
        )
        back = {text: key for key, text in options.items()}
        picked = zip(edited["indicator_id"], edited["Cách ước"], strict=True)
        chosen.update({i: back.get(text, est.NONE) for i, text in picked})
    rows = est.rows(ctx.locality_targets, locality_results(ctx), names, ctx.period.stage, chosen)
    st.markdown(f"**{md_text(est.headline(rows))}**")
    st.caption("Số ước tính (không phải số thực hiện), tính từ số liệu của kỳ theo cách ước ghi bên cạnh; không lưu.")
    shown = rows.drop(columns=["indicator_id", "verdict"])
    ui.table(shown, "td_estimate_table", "Chỉ tiêu", hide_index=True, width="stretch")
    return rows


def compiled_section(ctx: Context, local, communes, status, estimate: pd.DataFrame | None = None) -> None:
    from ktxh_geo.render import progress_report

    st.subheader("Báo cáo tổng hợp")
    stem = f"tien-do-{ctx.profile.id}-{ctx.period.year}-{ctx.period.stage}" + ("-uoc" if estimate is not None else "")
    parts = progress_report.Parts(ctx.profile, ctx.period, local, communes, status, ctx.communes, today(), estimate)
    left, right = st.columns(2)
    if left.button("Tạo báo cáo Word và Excel", key="td_make"):
        st.session_state["td_files"] = (stem, progress_report.render_docx(parts), progress_report.render_xlsx(parts))
    files = st.session_state.get("td_files")
    if files and files[0] == stem:
        left.download_button("Tải báo cáo Word (.docx)", files[1], f"{stem}.docx", key="td_docx")
        right.download_button("Tải bảng Excel (.xlsx)", files[2], f"{stem}.xlsx", key="td_xlsx")


# ---------------------------------------------------------------- the commune's report


def _form_key(ctx: Context, code: str) -> str:
    return f"td-report-{ctx.period.year}-{ctx.period.stage}-{code}"


def report_section(ctx: Context, editor: Editor | None) -> None:
    if editor is None:
        st.info("Đăng nhập (tài khoản người báo cáo của xã hoặc của văn phòng) để nhập và gửi báo cáo.")
        return
    if ctx.period.shipped:
        st.info("Kỳ này là số liệu của văn bản kế hoạch: không nhận báo cáo.")
        return
    names = dict(zip(ctx.units["code"], ctx.units["name"], strict=True))
    if editor.scoped:
        codes = [c for c in ctx.units["code"] if c in (editor.scope or ())]
    else:
        codes = [ctx.profile.area_code, *ctx.units["code"]]
        names[ctx.profile.area_code] = f"Toàn {ctx.profile.area_name} (văn phòng)"
    if not codes:
        st.warning("Tài khoản này chưa được giao đơn vị nào của địa phương này.")
        return
    code = st.selectbox("Đơn vị báo cáo", codes, format_func=lambda c: names.get(c, c), key="td_code")
    if code == ctx.profile.area_code:
        items = [
            (t.indicator_id, *indicator_names(ctx).get(t.indicator_id, (t.indicator_id, "")), tg.rule_text(t))
            for t in ctx.locality_targets
        ]
    else:
        mine = ctx.commune_targets[ctx.commune_targets["code"] == code]
        items = [
            (r["indicator_id"], r["name"], r["unit"], tg.rule_text(pg.target_of(r), r["unit"]))
            for r in mine.to_dict("records")
        ]
    if not items:
        st.info("Chưa có chỉ tiêu nào giao cho đơn vị này trong năm của kỳ báo cáo.")
        return
    row = ctx.reports[ctx.reports["code"] == code]
    state = row["state"].iloc[0] if len(row) else None
    version = int(row["version"].iloc[0]) if len(row) else 0
    st.markdown(f"Trạng thái: **{REPORT_STATES[state]}** · {md_text(pg.deadline_text(ctx.period, today()))}")
    if state == "returned" and row["reason"].iloc[0]:
        st.warning("Văn phòng trả lại báo cáo. Lý do: " + md_text(row["reason"].iloc[0]))
    form = _form_key(ctx, code)
    expected = conflicts.basis(form, lambda: version, fresh=False)
    overwrite = conflicts.choice(form)
    old = ctx.values[ctx.values["code"] == code].set_index("indicator_id")
    locked = state == "accepted" or (state == "submitted" and editor.scoped)
    if locked:
        st.info("Báo cáo " + ("đã được duyệt." if state == "accepted" else "đã gửi, đang chờ văn phòng duyệt."))
    with st.form(f"{form}-f"):
        entered = {}
        for ind, name, unit, rule in items:
            prev = old["value"].get(ind) if ind in old.index else None
            entered[ind] = st.number_input(
                f"{name} ({unit}) — kế hoạch {rule}" if unit else f"{name} — kế hoạch {rule}",
                value=None if prev is None or pd.isna(prev) else float(prev),
                format="%.2f",
                key=f"{form}-{ind}",
                disabled=locked,
            )
        kind = st.radio(
            "Loại số liệu",
            list(VALUE_STATUSES),
            index=list(VALUE_STATUSES).index(old["status"].iloc[0]) if len(old) else 0,
            format_func=STATUS_WORDS.get,
            horizontal=True,
            key=f"{form}-status",
            disabled=locked,
        )
        prev_source = old["source"].iloc[0] if len(old) else ""
        source = st.text_input(
            "Nguồn số liệu (báo cáo, văn bản, ngày)", value=prev_source, key=f"{form}-source", disabled=locked
        )
        c1, c2 = st.columns(2)
        save = c1.form_submit_button("Lưu nháp", disabled=locked)
        send = c2.form_submit_button("Gửi báo cáo", type="primary", disabled=locked)
    if save or send or overwrite is not None:
        if overwrite is not None:
            send = st.session_state.get(f"{form}-send-wanted", False)
        st.session_state[f"{form}-send-wanted"] = bool(send)
        values = [rp.ReportValue(ind, entered[ind], status=kind, source=source) for ind in entered]
        try:
            rp.save_report(
                *ctx.key, code, values, editor=editor, expected_version=expected, submit=bool(send), overwrite=overwrite
            )
        except Conflict as err:
            conflicts.refused(form, err)
            st.rerun()
        except KtxhError as err:
            st.error(md_text(err))
            return
        conflicts.saved(form)
        st.session_state["td_flash"] = "Đã gửi báo cáo." if send else "Đã lưu nháp."
        st.rerun()


# ---------------------------------------------------------------- the office's review


def review_section(ctx: Context, editor: Editor | None) -> None:
    if editor is None or editor.scoped:
        st.info("Chỉ văn phòng (tài khoản không giới hạn theo xã) duyệt báo cáo.")
        return
    waiting = ctx.reports[ctx.reports["state"] == "submitted"]
    if waiting.empty:
        st.info("Không có báo cáo nào đang chờ duyệt.")
        return
    names = dict(zip(ctx.units["code"], ctx.units["name"], strict=True))
    names[ctx.profile.area_code] = f"Toàn {ctx.profile.area_name}"
    st.markdown(f"**{len(waiting)} báo cáo chờ duyệt**")
    code = st.selectbox("Báo cáo", list(waiting["code"]), format_func=lambda c: names.get(c, c), key="td_review_code")
    version = int(waiting.loc[waiting["code"] == code, "version"].iloc[0])
    mine = ctx.values[ctx.values["code"] == code].copy()
    targets = ctx.commune_targets[ctx.commune_targets["code"] == code]
    shown = pd.DataFrame(
        {
            "Chỉ tiêu": [
                dict(zip(targets["indicator_id"], targets["name"], strict=True)).get(i, i) for i in mine["indicator_id"]
            ],
            "Giá trị": [
                tg.number_text(v) if pd.notna(v) else t for v, t in zip(mine["value"], mine["value_text"], strict=True)
            ],
            "Loại số liệu": [VALUE_STATUSES.get(s, s) for s in mine["status"]],
            "Nguồn": mine["source"],
            "Người nhập": mine["entered_by"],
        }
    )
    ui.table(shown, "td_review", "Chỉ tiêu", hide_index=True, width="stretch")
    reason = st.text_area(
        "Lý do trả lại (người báo cáo sẽ thấy)", key=f"td_reason_{code}", max_chars=rp.MAX_REASON_CHARS
    )
    c1, c2 = st.columns(2)
    accept = c1.button("Duyệt báo cáo", type="primary", key=f"td_accept_{code}")
    back = c2.button("Trả lại báo cáo", key=f"td_return_{code}")
    if accept or back:
        try:
            rp.review_report(*ctx.key, code, editor=editor, accept=accept, reason=reason, expected_version=version)
        except KtxhError as err:
            st.error(md_text(err))
            return
        st.session_state["td_flash"] = f"Đã {'duyệt' if accept else 'trả lại'} báo cáo của {names.get(code, code)}."
        st.rerun()


# ---------------------------------------------------------------- periods and commune targets (the office)


def setup_section(profile: Profile, units: pd.DataFrame, editor: Editor | None) -> None:
    if editor is None or editor.scoped:
        st.info("Chỉ văn phòng (tài khoản không giới hạn theo xã) mở kỳ báo cáo và giao chỉ tiêu cho xã.")
        return
    st.markdown("**Mở kỳ báo cáo**")
    c1, c2, c3 = st.columns(3)
    year = c1.number_input("Năm", min_value=2000, max_value=2100, value=today().year, step=1, key="td_new_year")
    stage = c2.selectbox("Kỳ", list(STAGES), format_func=lambda s: STAGES.get(s, s), key="td_new_stage")
    deadline = c3.date_input(
        "Hạn gửi báo cáo", value=today() + timedelta(days=14), format="DD/MM/YYYY", key="td_new_deadline"
    )
    if st.button("Mở kỳ báo cáo", key="td_open") and stage is not None:
        try:
            rp.open_period(profile.id, int(year), stage, deadline, editor=editor)
        except KtxhError as err:
            st.error(md_text(err))
        else:
            st.session_state["td_flash"] = f"Đã mở kỳ {STAGES[stage]} năm {int(year)}."
            st.rerun()
    st.divider()
    st.markdown("**Giao chỉ tiêu cho xã (tệp Excel mẫu)**")
    t_year = st.number_input(
        "Năm kế hoạch", min_value=2000, max_value=2100, value=today().year, step=1, key="td_target_year"
    )
    st.download_button(
        "Tải mẫu giao chỉ tiêu (.xlsx)",
        target_import.build_template(units, int(t_year), profile.label),
        f"mau-giao-chi-tieu-{profile.id}-{int(t_year)}.xlsx",
        key="td_template",
    )
    upload = ui.file_uploader("Tệp chỉ tiêu đã điền", ["xlsx", "csv"], "td_upload", rp_max_bytes())
    if upload is None:
        history = rp.target_imports(profile.id)
        if len(history):
            st.caption("Các lần giao chỉ tiêu")
            st.dataframe(history, hide_index=True, width="stretch")
        return
    data = upload.getvalue()
    report = target_import.check(data, upload.name, int(t_year), units)
    (st.success if report.ok else st.error)(md_text(report.summary()))
    if report.issues:
        st.dataframe(
            pd.DataFrame(
                {
                    "Dòng": [i.row for i in report.issues],
                    "Cột": [i.column for i in report.issues],
                    "Lỗi": [i.message for i in report.issues],
                }
            ),
            hide_index=True,
            width="stretch",
            key="td_issues",
        )
    if not report.ok:
        return
    form = f"td-targets-{int(t_year)}"
    expected = conflicts.basis(form, rp.target_version, fresh=False)
    overwrite = conflicts.choice(form)
    source = st.text_input("Nguồn của chỉ tiêu giao (quyết định, ngày)", key="td_target_source")
    if st.button("Lưu chỉ tiêu giao", type="primary", key="td_save_targets") or overwrite is not None:
        try:
            rp.import_targets(
                profile.id,
                int(t_year),
                report.rows,
                editor=editor,
                source=source,
                file=report.file,
                expected_version=expected,
                overwrite=overwrite,
            )
        except Conflict as err:
            conflicts.refused(form, err)
            st.rerun()
        except KtxhError as err:
            st.error(md_text(err))
            return
        conflicts.saved(form)
        st.session_state["td_flash"] = f"Đã lưu {len(report.rows)} chỉ tiêu giao cho xã năm {int(t_year)}."
        st.rerun()


def rp_max_bytes() -> int:
    from ktxh_geo.io.uploads import MAX_BYTES

    return MAX_BYTES


def flash() -> None:
    """The last action's confirmation, in a slot that is always there (the elements below keep their place)."""
    slot = st.container(key="td_flash_slot")
    if text := st.session_state.pop("td_flash", None):
        slot.success(md_text(text))


def units_of(profile: Profile, province: str | None) -> pd.DataFrame:
    where = ((profile.drill_down["key"], province),) if profile.drill_down and province else ()
    edition = profile.drill_down["edition"] if profile.drill_down and province else profile.default_edition
    communes = ui.communes(edition, where)
    return pd.DataFrame({"code": communes["code"], "name": communes["full_name"]})

"""楼宇地图: every building as a column (height = staff on site, colour and symbol = grade) on the district
and street outlines. Works offline: with default settings the map asks nothing from outside the app."""

import pandas as pd
import streamlit as st

from pipelines.auth import accounts
from pipelines.situation import geo
from pipelines.core.errors import UserError
from pipelines.core import settings
from ui import session, data, maps, situation
from ui.widgets import building_label, building_link, cn_date, current_user, day_picker, guarded, md, page_header, pct, street_filter
from ui.feedback import show_error


@guarded
def page() -> None:
    as_of = data.latest_day()
    page_header("楼宇地图", as_of)
    if as_of is None:
        st.info("还没有返岗日报数据，地图上暂无楼宇。请先上传楼宇名录、企业名录和返岗日报。")
        return
    left, middle, right = st.columns([1, 1, 1])
    with left:
        street = street_filter(key="street")
    with middle:
        day = day_picker(as_of, key="day")
    with right:
        tiles_url = settings.get().map_style
        tiles = st.toggle("在线底图", value=False, disabled=tiles_url is None, key="map-tiles",
                          help="默认不加载任何外部底图（适用于政务外网/离线环境）。"
                               + ("已配置在线底图。" if tiles_url else "未配置：设置环境变量 FUGONG_MAP_STYLE 后可用。"))
    deck, points = situation.deck(day, street, tiles=tiles)
    if points.empty:
        st.info("所选范围内没有带坐标的楼宇。")
        return
    st.markdown("**图例**　:red[▲ 高风险]　:orange[◆ 中风险]　:green[● 低风险]　:gray[○ 未评级]　"
                "柱高 = 当日在岗人数　点击楼宇柱可查看详情")
    event = st.pydeck_chart(deck, height=560, on_select="rerun", selection_mode="single-object", key="map-deck")
    chosen = maps.selected_building(event)
    outlines = situation.street_outlines()
    if not outlines["features"]:
        st.caption("尚未上传街道边界：图中仅画出长宁区区界与楼宇（街道名称标在其楼宇上方）。分析员可在本页下方上传街道边界 GeoJSON。")

    names = building_label(points)
    ids = list(points["building_id"])
    pick = st.selectbox("选择楼宇查看详情", ids, index=None,
                        format_func=lambda b: names.get(b, b), placeholder="在地图上点击楼宇，或在此选择",
                        key="map-pick")
    building = chosen or pick
    if building in ids:
        row = points[points["building_id"] == building].iloc[0]
        st.markdown(f"**{md(row['building_name'])}**（{md(row['street'])}）　{row['grade_label']}"
                    f"　评分 {'—' if pd.isna(row['score']) else f'{row.score:.1f}'}"
                    f"　企业复工率 {pct(row['company_rate'])}　人员返岗率 {pct(row['staff_rate'])}"
                    f"　在岗 {int(row['on_site']):,} 人")
        building_link(building, f"打开 {row['building_name']} 的楼宇详情")

    with st.expander(f"楼宇列表（{cn_date(day)}）"):
        table = points[["building_id", "building_name", "street", "grade_label", "score", "on_site", "company_rate",
                        "staff_rate"]].rename(columns={
            "building_id": "编号", "building_name": "楼宇", "street": "街道", "grade_label": "风险等级",
            "score": "评分", "on_site": "在岗人数", "company_rate": "企业复工率", "staff_rate": "人员返岗率"})
        st.dataframe(table, hide_index=True, column_config={
            "企业复工率": st.column_config.NumberColumn(format="percent"),
            "人员返岗率": st.column_config.NumberColumn(format="percent"),
            "评分": st.column_config.NumberColumn(format="%.1f")})

    if not session.can(accounts.UPLOAD):
        return
    with st.expander("街道边界（GeoJSON 上传）"):
        if outlines["features"]:
            st.markdown("已上传：" + "、".join(md(f["properties"]["street"]) for f in outlines["features"]))
        st.caption("每个要素一个街道：Polygon 或 MultiPolygon，properties 中 street 或 name 填街道名称（如 江苏路街道）。"
                   "每次上传都会保存并记入审计日志，同一街道以最近一次为准。")
        crs = st.radio("坐标系", ["GCJ02", "WGS84"], horizontal=True, key="outline-crs",
                       help="高德/腾讯地图导出为 GCJ02；GPS 与国际地图为 WGS84")
        upload = st.file_uploader("街道边界文件", type=["geojson", "json"], key="outline-file")
        if upload is not None and st.button("保存街道边界", key="outline-save"):
            try:
                session.require(accounts.UPLOAD)
                saved = geo.save_street_outlines(data.store(), upload.name, upload.getvalue(), current_user(), crs)
            except UserError as exc:
                show_error(exc)
            else:
                st.success("已保存：" + "、".join(saved))
                st.rerun()


page()

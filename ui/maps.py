"""Map builders (pydeck) shared by the map page, the overview and the big screen. No Streamlit calls here.

With the default style the deck asks nothing from outside the app: the basemap is a blank style served
from static/ (server.enableStaticServing), the district and street outlines come from data/ and the store.
A tile basemap is a setting (FUGONG_MAP_STYLE: a MapLibre/Mapbox style URL reachable on the network).
"""

from __future__ import annotations

import math

import pandas as pd
import pydeck as pdk

from pipelines.grading import risk

BLANK_STYLE_URL = "/app/static/blank_style.json"
BLANK_DARK_STYLE_URL = "/app/static/blank_style_dark.json"  # the big screen
BUILDING_LAYER = "buildings"
KEY_POINT_LAYER = "key_points"
# pydeck passes a layer's string props to deck.gl as expressions unless quoted: backticks keep them literal.
FONT = '`"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif`'
AUTO = '"auto"'


def rgb(hex_colour: str, alpha: int = 255) -> list[int]:
    value = hex_colour.lstrip("#")
    return [int(value[i:i + 2], 16) for i in (0, 2, 4)] + [alpha]


def _pct(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{float(value) * 100:.1f}%"


def building_points(buildings: pd.DataFrame, grades: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per building that has a position: WGS-84 position, grade style, column height and tooltip text.

    `buildings` is metrics.building_day(...); `grades` is risk.grades_on(...) (may be empty).
    The tooltip is plain text (deck.gl shows it with innerText): a name like <img onerror=...> stays text.
    """
    frame = buildings.dropna(subset=["lon_wgs", "lat_wgs"]).copy()
    if grades is not None and not grades.empty:
        frame = frame.merge(grades[["building_id", "grade", "score", "main_reason"]], on="building_id", how="left")
    else:
        frame["grade"], frame["score"], frame["main_reason"] = None, None, None
    styles = [risk.style(g) for g in frame["grade"]]
    frame["grade_label"] = [s["label"] for s in styles]
    frame["shape"] = [s["shape"] for s in styles]
    frame["color"] = [rgb(s["color"], 230) for s in styles]
    frame["label"] = [f"{s['shape']}{g if isinstance(g, str) else ''}" for s, g in zip(styles, frame["grade"],
                                                                                        strict=True)]
    frame["position"] = [[float(x), float(y)] for x, y in zip(frame["lon_wgs"], frame["lat_wgs"], strict=True)]
    frame["height"] = frame["on_site"].astype(float)
    frame["tooltip"] = [_tooltip(row) for row in frame.itertuples(index=False)]
    keep = ["building_id", "building_name", "street", "position", "height", "color", "label", "grade",
            "grade_label", "score", "on_site", "company_rate", "staff_rate", "tooltip"]
    out = frame[keep].copy()
    out["score"] = [None if pd.isna(v) else round(float(v), 1) for v in out["score"]]
    out["company_rate"] = [None if pd.isna(v) else float(v) for v in out["company_rate"]]
    out["staff_rate"] = [None if pd.isna(v) else float(v) for v in out["staff_rate"]]
    out["on_site"] = out["on_site"].astype(int)
    return out.reset_index(drop=True)


def _tooltip(row) -> str:
    score = "—" if row.score is None or pd.isna(row.score) else f"{float(row.score):.1f}"
    style = risk.style(row.grade)
    lines = [
        f"{row.building_name}（{row.building_id}）",
        f"{style['shape']} {style['label']}　评分 {score}",
        f"企业复工率 {_pct(row.company_rate)}　人员返岗率 {_pct(row.staff_rate)}",
        f"在岗 {int(row.on_site):,} 人",
    ]
    if isinstance(row.main_reason, str) and row.main_reason:
        lines.append(f"主因：{row.main_reason}")
    return "\n".join(lines)


def view_for(points: pd.DataFrame, district: dict | None = None, pitch: float = 40.0, width: int = 800,
             height: int = 450) -> pdk.ViewState:
    """A view that shows every building (or the district when there are none) in about width × height px."""
    if len(points):
        lons = [p[0] for p in points["position"]]
        lats = [p[1] for p in points["position"]]
    elif district is not None:
        ring = district["features"][0]["geometry"]["coordinates"][0]
        lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    else:
        lons, lats = [121.42], [31.22]
    # Web Mercator: at zoom z the world is 256·2^z px wide. Fit the buildings into width × height with a margin.
    lon_span = max(max(lons) - min(lons), 0.003) * 1.6  # margin, and room for the pitch
    lat_span = max(max(lats) - min(lats), 0.003) * 1.8 / math.cos(math.radians(sum(lats) / len(lats)))
    zoom = min(math.log2(width * 360 / (256 * lon_span)), math.log2(height * 360 / (256 * lat_span)))
    zoom = max(10.5, min(16.5, zoom))
    return pdk.ViewState(longitude=(min(lons) + max(lons)) / 2, latitude=(min(lats) + max(lats)) / 2,
                         zoom=round(zoom, 2), pitch=pitch, bearing=0)


def building_deck(points: pd.DataFrame, district: dict | None = None, streets: dict | None = None,
                  map_style: str | None = None, pitch: float = 40.0, dark: bool = False,
                  elevation_scale: float = 0.45, labels: bool = True, width: int = 800, height: int = 450
                  ) -> pdk.Deck:
    """The buildings map: district and street outlines, one column per building (height = staff on site,
    colour = grade) with the grade's shape and letter on top, a plain-text tooltip."""
    line = [230, 236, 245, 255] if dark else [60, 72, 88, 255]
    layers: list[pdk.Layer] = []
    if district is not None:
        layers.append(pdk.Layer("GeoJsonLayer", district, id="district", stroked=True, filled=True,
                                get_fill_color=[255, 255, 255, 20] if dark else [255, 255, 255, 160],
                                get_line_color=line, line_width_min_pixels=2, pickable=False))
    if streets is not None and streets.get("features"):
        layers.append(pdk.Layer("GeoJsonLayer", streets, id="streets", stroked=True, filled=False,
                                get_line_color=[31, 95, 168, 255], line_width_min_pixels=1.5, pickable=False))
    street_labels = _street_labels(points, streets, elevation_scale)
    if labels and len(street_labels):
        layers.append(pdk.Layer("TextLayer", street_labels, id="street-labels", get_position="position",
                                get_text="street", get_size=16, get_color=[150, 190, 240, 255] if dark else [20, 60, 110, 255],
                                font_family=FONT, character_set=AUTO, font_weight=700,
                                outline_width=3, outline_color=[255, 255, 255, 255], font_settings={"sdf": True},
                                get_text_anchor='"middle"', get_alignment_baseline='"center"',
                                pickable=False))
    layers.append(pdk.Layer("ColumnLayer", points, id=BUILDING_LAYER, get_position="position",
                            get_elevation="height", elevation_scale=elevation_scale, radius=40, disk_resolution=12,
                            extruded=True, get_fill_color="color", get_line_color=[40, 40, 40, 200],
                            pickable=True, auto_highlight=True))
    if labels and len(points):
        tops = points.assign(top=[[p[0], p[1], h * elevation_scale + 8]
                                  for p, h in zip(points["position"], points["height"], strict=True)])
        layers.append(pdk.Layer("TextLayer", tops[["top", "label", "color"]], id="grade-labels",
                                get_position="top", get_text="label", get_size=13, get_color="color",
                                font_family=FONT, character_set=AUTO, font_weight=700,
                                outline_width=2, outline_color=[255, 255, 255, 255], font_settings={"sdf": True},
                                get_text_anchor='"middle"', get_alignment_baseline='"bottom"',
                                billboard=True, pickable=False))
    return pdk.Deck(
        layers=layers,
        initial_view_state=view_for(points, district, pitch, width, height),
        map_style=map_style or BLANK_STYLE_URL,
        map_provider=None,
        tooltip={"text": "{tooltip}",
                 "style": {"fontSize": "13px", "whiteSpace": "pre", "backgroundColor": "#1f2933",
                           "color": "#ffffff", "padding": "6px 8px"}},
    )


def _street_labels(points: pd.DataFrame, streets: dict | None, elevation_scale: float = 0.0) -> pd.DataFrame:
    """A label per street: at its uploaded outline's centre, else above the middle of its buildings
    (raised over the tallest column, so that no column hides it)."""
    rows = []
    outlined = set()
    for feature in (streets or {}).get("features", []):
        geometry = feature["geometry"]
        ring = geometry["coordinates"][0] if geometry["type"] == "Polygon" else geometry["coordinates"][0][0]
        rows.append({"street": feature["properties"]["street"],
                     "position": [sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)]})
        outlined.add(feature["properties"]["street"])
    for street, group in points.groupby("street"):
        if street in outlined:
            continue
        lons = [p[0] for p in group["position"]]
        lats = [p[1] for p in group["position"]]
        top = float(group["height"].max()) * elevation_scale + 60
        rows.append({"street": street, "position": [sum(lons) / len(lons), max(lats) + 0.001, top]})
    return pd.DataFrame(rows, columns=["street", "position"])


def key_point_points(points: pd.DataFrame, colours: dict[str, str], glyphs: dict[str, str]) -> pd.DataFrame:
    """One row per key point with a position (epidemic.key_points(...)): colour and glyph by type, plain-text
    tooltip (deck.gl shows it with innerText)."""
    frame = points.dropna(subset=["lon_wgs", "lat_wgs"]).copy()
    kinds = [t if t in colours else "其他" for t in frame["point_type"]]
    frame["position"] = [[float(x), float(y), 6.0] for x, y in zip(frame["lon_wgs"], frame["lat_wgs"], strict=True)]
    frame["color"] = [rgb(colours[t], 240) for t in kinds]
    frame["glyph"] = [glyphs[t] for t in kinds]
    frame["tooltip"] = [
        "\n".join(line for line in (f"{r.point_name}（{r.point_id}）", f"重要点位 · {r.point_type or '其他'}",
                                     str(r.street or ""), str(r.address or "")) if line)
        for r in frame.itertuples(index=False)]
    return frame[["point_id", "point_name", "point_type", "street", "position", "color", "glyph", "tooltip"]
                 ].reset_index(drop=True)


def key_point_layers(points: pd.DataFrame, dark: bool = False) -> list[pdk.Layer]:
    """Key points as a layer of their own above the buildings: a dot with a white rim and the type's glyph."""
    if points.empty:
        return []
    return [
        pdk.Layer("ScatterplotLayer", points, id=KEY_POINT_LAYER, get_position="position", get_fill_color="color",
                  get_line_color=[255, 255, 255, 255], stroked=True, line_width_min_pixels=2, radius_min_pixels=9,
                  radius_max_pixels=16, get_radius=30, pickable=True, auto_highlight=True),
        pdk.Layer("TextLayer", points[["position", "glyph"]], id="key-point-glyphs", get_position="position",
                  get_text="glyph", get_size=12, get_color=[255, 255, 255, 255], font_family=FONT, character_set=AUTO,
                  font_weight=700, get_text_anchor='"middle"', get_alignment_baseline='"center"', pickable=False),
    ]


def selected_building(event: object) -> str | None:
    """The building id chosen on the map (st.pydeck_chart with on_select), or None."""
    try:
        objects = event.selection["objects"].get(BUILDING_LAYER) or []  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError):
        return None
    return objects[0].get("building_id") if objects else None

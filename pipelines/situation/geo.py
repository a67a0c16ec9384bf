"""Geography: the district outline, reference building positions, and GCJ-02 <-> WGS-84.

Chinese map services give GCJ-02 coordinates; GPS and tile basemaps use WGS-84. Drawn unconverted,
a GCJ-02 point sits ~500 m off on a WGS-84 map.
"""

from __future__ import annotations

import csv
import json
import math

import pandas as pd

from pipelines.core import settings

# A copy of ../shared/geo kept in the repo so the console needs nothing outside it at run time.
GEO_DIR = settings.ROOT / "data" / "geo"


def load_outline(crs: str = "gcj02") -> list[tuple[float, float]]:
    data = json.loads((GEO_DIR / f"changning_{crs}.geojson").read_text(encoding="utf-8"))
    geometry = data["features"][0]["geometry"]
    ring = geometry["coordinates"][0] if geometry["type"] == "Polygon" else geometry["coordinates"][0][0]
    return [(float(x), float(y)) for x, y in ring]


def point_in_polygon(lon: float, lat: float, ring: list[tuple[float, float]]) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def load_reference() -> list[dict[str, str]]:
    with open(GEO_DIR / "buildings_reference.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


_A = 6378245.0
_EE = 0.00669342162296594323


def _delta(lon: float, lat: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
            + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
            + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    dlon, dlat = _delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Inverse by iteration: accurate to well under a metre in China."""
    wlon, wlat = lon, lat
    for _ in range(5):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (glon - lon), wlat - (glat - lat)
    return wlon, wlat


# -- the district outline and uploaded street outlines, for the map ------------------------------


def with_wgs84(frame: pd.DataFrame) -> pd.DataFrame:
    """Add lon_wgs, lat_wgs to a frame with lon, lat, crs (GCJ-02 unless crs says WGS84); None without a position."""
    lon_wgs: list[float | None] = []
    lat_wgs: list[float | None] = []
    for lon, lat, crs in zip(frame["lon"], frame["lat"], frame["crs"], strict=True):
        if pd.isna(lon) or pd.isna(lat):
            lon_wgs.append(None)
            lat_wgs.append(None)
            continue
        x, y = (float(lon), float(lat)) if str(crs).upper() == "WGS84" else gcj02_to_wgs84(float(lon), float(lat))
        lon_wgs.append(x)
        lat_wgs.append(y)
    frame["lon_wgs"] = lon_wgs
    frame["lat_wgs"] = lat_wgs
    return frame

def district_geojson() -> dict:
    """长宁区's outline in WGS-84 (the projection a map draws in), as shipped in data/geo."""
    return json.loads((GEO_DIR / "changning_wgs84.geojson").read_text(encoding="utf-8"))


NAME_KEYS = ("street", "name", "街道", "名称", "NAME", "Name", "街道名称", "jdmc")


def parse_street_outlines(content: bytes, known_streets: list[str], crs: str = "GCJ02"
                          ) -> list[tuple[str, dict, dict]]:
    """(street, geometry as given, geometry in WGS-84) for each feature of an uploaded GeoJSON file.

    Each feature must be a Polygon or MultiPolygon whose properties name a known street (keys: street, name,
    街道, 名称 …); names are matched with and without the suffix 街道. Raises UserError in Chinese otherwise.
    """
    from pipelines.core.errors import UserError

    if crs not in ("GCJ02", "WGS84"):
        raise UserError(f"坐标系 {crs} 不支持", "请选择 GCJ02 或 WGS84")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("gb18030")
        except UnicodeDecodeError:
            raise UserError("文件不是文本格式的 GeoJSON", "请上传 .geojson / .json 文件（UTF-8 编码）") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise UserError(f"GeoJSON 格式错误：第 {getattr(exc, 'lineno', '?')} 行附近无法解析",
                        "请用地图软件重新导出 GeoJSON") from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        features = [data]
    elif isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features") or []
    else:
        raise UserError("GeoJSON 须是 FeatureCollection 或 Feature", "请用地图软件重新导出 GeoJSON")
    if not features:
        raise UserError("GeoJSON 中没有任何街道边界")
    lookup = {s: s for s in known_streets} | {s.removesuffix("街道"): s for s in known_streets}
    result: list[tuple[str, dict, dict]] = []
    seen: set[str] = set()
    for n, feature in enumerate(features, start=1):
        props = feature.get("properties") or {} if isinstance(feature, dict) else {}
        name = next((str(props[k]).strip() for k in NAME_KEYS if props.get(k)), "")
        street = lookup.get(name) or lookup.get(name.removesuffix("街道"))
        if not name:
            raise UserError(f"第 {n} 个要素没有街道名称", f"请在 properties 中填写 street 或 name，如 {known_streets[:1]}")
        if street is None:
            raise UserError(f"第 {n} 个要素的街道“{name}”不在楼宇名录中",
                            "已知街道：" + "、".join(known_streets) if known_streets else "请先上传楼宇名录")
        if street in seen:
            raise UserError(f"街道“{street}”在文件中出现了不止一次", "每个街道只保留一个边界要素（可用 MultiPolygon）")
        geometry = feature.get("geometry") or {}
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise UserError(f"街道“{street}”的几何类型是 {geometry.get('type')}，须为 Polygon 或 MultiPolygon")
        converted = _convert_geometry(geometry, crs, street)
        seen.add(street)
        result.append((street, geometry, converted))
    return result


def _convert_geometry(geometry: dict, crs: str, street: str) -> dict:
    from pipelines.core.errors import UserError

    def ring(points: object) -> list[list[float]]:
        if not isinstance(points, list) or len(points) < 4:
            raise UserError(f"街道“{street}”的边界点数太少或格式错误")
        out = []
        for point in points:
            try:
                lon, lat = float(point[0]), float(point[1])
            except (TypeError, ValueError, IndexError):
                raise UserError(f"街道“{street}”的边界坐标格式错误：{point!r:.40}") from None
            if not (120.85 <= lon <= 122.20 and 30.66 <= lat <= 31.88):
                raise UserError(f"街道“{street}”的坐标 ({lon}, {lat}) 不在上海范围内",
                                "请确认经纬度顺序为 [经度, 纬度]")
            out.append(list(gcj02_to_wgs84(lon, lat)) if crs == "GCJ02" else [lon, lat])
        return out

    coords = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        if not isinstance(coords, list) or not coords:
            raise UserError(f"街道“{street}”的边界为空")
        return {"type": "Polygon", "coordinates": [ring(r) for r in coords]}
    if not isinstance(coords, list) or not coords:
        raise UserError(f"街道“{street}”的边界为空")
    return {"type": "MultiPolygon", "coordinates": [[ring(r) for r in poly] for poly in coords]}


def save_street_outlines(store, file_name: str, content: bytes, actor: str, crs: str = "GCJ02") -> list[str]:
    """Keep an uploaded street-outline GeoJSON (every upload stays; the latest per street is current), audited.
    Returns the streets it gave outlines for."""
    import hashlib

    with store.transaction() as cur:
        known = [s for (s,) in cur.execute("select distinct street from buildings order by 1").fetchall()]
        outlines = parse_street_outlines(content, known, crs)
        sha = hashlib.sha256(content).hexdigest()
        for street, geometry, converted in outlines:
            outline_id = store.next_id(cur, "street_outline_seq", "street_outlines", "outline_id")
            cur.execute(
                "insert into street_outlines (outline_id, street, file_name, sha256, source_crs, geometry, "
                "geometry_wgs84, uploaded_by) values (?, ?, ?, ?, ?, ?, ?, ?)",
                [outline_id, street, file_name, sha, crs, json.dumps(geometry, ensure_ascii=False),
                 json.dumps(converted), actor])
        streets = [s for s, _, _ in outlines]
        store.audit(cur, actor, "geo.street_outlines", file_name, None,
                    {"file": file_name, "sha256": sha, "crs": crs, "streets": streets})
    return streets


def street_outlines(cur) -> dict:
    """The current street outlines as a WGS-84 FeatureCollection (properties: street, uploaded_at)."""
    rows = cur.execute("select street, geometry_wgs84, cast(uploaded_at as varchar), file_name from current_street_outlines "
                       "order by street").fetchall()
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"street": street, "file": file_name, "uploaded_at": str(at)},
         "geometry": json.loads(geometry)}
        for street, geometry, at, file_name in rows]}

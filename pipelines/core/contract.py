"""The data contract: the sheets analysts upload, their columns, aliases and rules.

This is the one table that maps what people type in Excel headers to the store's column names.
Adding a sheet kind means adding a SheetSpec here, a migration for its raw table and a view.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["text", "int", "number", "date", "enum", "code", "floor", "phone"]


@dataclass(frozen=True)
class Field:
    name: str  # column in the store
    label: str  # canonical Chinese header
    kind: Kind = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    unit: str = ""
    doc: str = ""
    choices: tuple[str, ...] = ()  # for enum
    minimum: float | None = None
    maximum: float | None = None
    personal: bool = False  # personal data: masked for every role but admin
    default: str | None = None  # value used when the cell is empty (enum only)
    may_be_future: bool = False  # dates: a plan may lie ahead, a report may not
    suggestions: tuple[str, ...] = ()  # text: the template's drop-down offers these, other text is allowed
    vocabulary: str | None = None  # "industry" or "company_type": read through vocabulary.py's alias table
    text_column: str | None = None  # also store the cell as written in this column (floor -> floor_text)


@dataclass(frozen=True)
class SheetSpec:
    kind: str  # table suffix: raw_<kind>, stg_<kind>
    label: str  # Chinese sheet name
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    doc: str = ""
    field_by_name: dict[str, Field] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_by_name", {f.name: f for f in self.fields})

    @property
    def required(self) -> list[Field]:
        return [f for f in self.fields if f.required]

    @property
    def stored_columns(self) -> list[str]:
        """The raw table's data columns: every field, then the as-written copies (floor_text)."""
        return [f.name for f in self.fields] + [f.text_column for f in self.fields if f.text_column]


# Items checked in each area of 虹桥街道's checklist (6 areas, 22 items in the seeds); the total is derived.
CHECK_AREAS: dict[str, tuple[str, int]] = {
    "area_closed": ("封闭管理", 5),
    "area_registration": ("排摸登记", 4),
    "area_plan": ("应对预案", 3),
    "area_disinfection": ("卫生消毒", 4),
    "area_mobilisation": ("组织动员", 3),
    "area_service": ("企业服务", 3),
}
CHECK_ITEMS_TOTAL = sum(n for _, n in CHECK_AREAS.values())

COMPANY_TYPES = ("内资", "日资", "韩资", "其他外资", "港澳台")
REQUEST_CATEGORIES = ("融资", "租金减免", "法律", "用工", "物资", "其他")
REQUEST_STATUSES = ("待办", "办理中", "已办结")
CRS_CHOICES = ("GCJ02", "WGS84")
MAX_PEOPLE = 100_000  # no company in one building has more: a larger count is a typo (or 1e308)

_CREDIT = Field(
    "credit_code",
    "统一社会信用代码",
    "code",
    True,
    ("信用代码", "社会信用代码", "统一代码", "credit code", "uscc"),
    doc="18位，末位为校验码（GB 32100-2015）",
)

BUILDINGS = SheetSpec(
    "buildings",
    "楼宇名录",
    ("building_id",),
    (
        Field("building_id", "楼宇编号", "text", True, ("楼宇代码", "楼宇id", "building id", "building_id"),
              doc="街道内唯一，如 JSL-001"),
        Field("building_name", "楼宇名称", "text", True, ("楼宇", "楼宇名", "大厦名称", "building name")),
        Field("street", "所属街道", "text", True, ("街道", "街镇", "所在街道", "street")),
        Field("address", "地址", "text", False, ("楼宇地址", "详细地址", "address")),
        Field("lon", "经度", "number", True, ("longitude", "lng", "lon"), doc="上海范围内"),
        Field("lat", "纬度", "number", True, ("latitude", "lat"), doc="上海范围内"),
        Field("crs", "坐标系", "enum", False, ("坐标类型", "crs"), choices=CRS_CHOICES, default="GCJ02",
              doc="GCJ02（高德/腾讯地图，默认）或 WGS84（GPS）"),
        Field("floor_area", "建筑面积", "number", True, ("建筑面积(㎡)", "建筑面积(平方米)", "面积", "floor area"),
              unit="㎡", minimum=1, maximum=2_000_000),
        Field("floors", "楼层数", "int", False, ("层数", "总层数", "floors"), unit="层", minimum=1, maximum=200),
        Field("property_company", "物业公司", "text", False, ("物业", "物业管理公司", "物业服务企业")),
        Field("building_manager", "楼长", "text", False, ("楼长姓名",), personal=True),
    ),
    "每栋楼宇一行。",
)

COMPANIES = SheetSpec(
    "companies",
    "企业名录",
    ("credit_code",),
    (
        _CREDIT,
        Field("company_name", "企业名称", "text", True, ("企业", "公司名称", "单位名称", "company name")),
        Field("building_id", "楼宇编号", "text", True, ("楼宇代码", "所在楼宇编号", "building id", "building_id"),
              doc="须在楼宇名录中"),
        Field("floor", "楼层", "floor", False, ("所在楼层", "floor"), minimum=-10, maximum=200,
              text_column="floor_text", doc="照原样填写即可，如 18F、18层、十八层、B1、3-4F、1801室"),
        Field("industry", "行业", "text", True, ("所属行业", "行业类别", "行业分类", "industry"),
              vocabulary="industry", doc="国民经济行业分类（GB/T 4754-2017）门类，常用简称会自动对应"),
        Field("employees", "员工总数", "int", True, ("员工数", "职工人数", "员工人数", "职工总数", "从业人员数", "employees"),
              unit="人", minimum=0, maximum=100_000),
        Field("company_type", "企业类型", "enum", False, ("企业性质", "type"), choices=COMPANY_TYPES,
              vocabulary="company_type", doc="外商独资、中外合资、台资、民营等说法会自动对应"),
        Field("key_company", "重点企业", "enum", False, ("是否重点企业",), choices=("是", "否"), default="否"),
        Field("planned_date", "计划复工日期", "date", False, ("计划复工时间", "预计复工日期", "复工日期"),
              may_be_future=True),
        Field("contact_person", "防控联系人", "text", False, ("联系人", "疫情防控联系人"), personal=True),
        Field("contact_phone", "联系电话", "phone", False, ("电话", "手机", "联系方式", "手机号码"), personal=True),
    ),
    "每家入驻企业一行。",
)

DAILY_RETURNS = SheetSpec(
    "daily_returns",
    "返岗日报",
    ("report_date", "credit_code"),
    (
        Field("report_date", "日期", "date", True, ("填报日期", "统计日期", "报送日期", "date")),
        _CREDIT,
        Field("company_name", "企业名称", "text", False, ("企业", "公司名称", "单位名称"), doc="仅供核对，不参与计算"),
        Field("on_site", "在岗人数", "int", True, ("到岗人数", "返岗人数", "在岗", "on site"), unit="人", minimum=0,
              maximum=MAX_PEOPLE),
        Field("remote", "居家办公人数", "int", False, ("居家办公", "远程办公人数"), unit="人", minimum=0,
              maximum=MAX_PEOPLE),
        Field("from_key_areas", "重点地区返沪人数", "int", False,
              ("重点地区返沪", "重点地区来沪人数", "重点地区返沪人员", "重点地区来沪", "重点地区来沪人员"), unit="人",
              minimum=0, maximum=MAX_PEOPLE),
        Field("from_abroad", "境外返沪人数", "int", False,
              ("境外返沪", "境外来沪人数", "境外返沪人员", "境外来沪", "境外来沪人员"), unit="人", minimum=0,
              maximum=MAX_PEOPLE),
        Field("home_observation", "居家观察人数", "int", False, ("居家观察", "居家隔离人数"), unit="人", minimum=0,
              maximum=MAX_PEOPLE),
        Field("fever", "体温异常人数", "int", False, ("体温异常", "发热人数"), unit="人", minimum=0,
              maximum=MAX_PEOPLE),
    ),
    "每家企业每天一行。",
)

CHECKS = SheetSpec(
    "checks",
    "楼宇检查",
    ("check_date", "building_id"),
    (
        Field("check_date", "日期", "date", True, ("检查日期", "date")),
        Field("building_id", "楼宇编号", "text", True, ("楼宇代码", "building id", "building_id")),
        *(
            Field(name, label, "int", True, (f"{label}通过项",), unit="项", minimum=0, maximum=items,
                  doc=f"通过项数，共{items}项")
            for name, (label, items) in CHECK_AREAS.items()
        ),
        Field("duty_score", "物业履责评分", "number", False, ("物业评分", "物业履责"), unit="分", minimum=0,
              maximum=100),
        Field("issues_found", "发现问题", "text", False, ("存在问题", "问题")),
        Field("inspector", "检查人", "text", False, ("检查人员",), personal=True),
    ),
    "每次检查一行；六个方面共22项，填通过的项数。",
)

REQUESTS = SheetSpec(
    "requests",
    "企业诉求",
    ("request_id",),
    (
        Field("request_id", "诉求编号", "text", True, ("编号", "诉求单号")),
        Field("request_date", "日期", "date", True, ("提出日期", "登记日期", "受理日期")),
        _CREDIT,
        Field("category", "类别", "enum", True, ("诉求类别", "诉求类型"), choices=REQUEST_CATEGORIES),
        Field("content", "内容", "text", True, ("诉求内容", "具体诉求")),
        Field("status", "状态", "enum", True, ("办理状态", "处理状态"), choices=REQUEST_STATUSES),
        Field("closed_date", "办结日期", "date", False, ("完成日期", "办结时间")),
    ),
    "每条诉求一行；状态改变时以同一诉求编号重新上传。",
)

# -- 一网统管 防疫专项 (issue 18): case counts by scope, progress of the key work items, key points --------
SCOPES = ("全国", "全市", "全区")  # besides a street's name
WORK_ITEMS = ("地毯式人员排摸", "地毯式消毒", "口罩预约发放", "重点人员管控", "小区封闭式管理", "小型工地", "沿街商铺",
              "养老机构")
POINT_TYPES = ("发热门诊", "口罩发放点", "道口卡口", "集中隔离点", "社区卫生服务中心", "其他")

EPIDEMIC = SheetSpec(
    "epidemic",
    "疫情发展",
    ("report_date", "scope"),
    (
        Field("report_date", "日期", "date", True, ("统计日期", "填报日期", "报告日期", "date")),
        Field("scope", "范围", "text", True, ("统计范围", "地区", "区域", "scope"), suggestions=SCOPES,
              doc="全国、全市、全区，或街道名称（如 江苏路街道）"),
        Field("confirmed", "累计确诊", "int", True, ("确诊", "确诊病例", "累计确诊病例", "累计确诊人数", "confirmed"),
              unit="人", minimum=0, doc="累计数，不应比前一次报告减少"),
        Field("suspected", "现有疑似", "int", False, ("疑似", "疑似病例", "现有疑似病例", "suspected"), unit="人",
              minimum=0),
        Field("close_contacts", "现有密切接触", "int", False, ("密切接触", "密接", "密切接触者", "现有密接"), unit="人",
              minimum=0),
        Field("home_observation", "现有居家观察", "int", False, ("居家观察", "居家观察人数", "现有居家观察人数"),
              unit="人", minimum=0),
        Field("released", "累计解除观察", "int", False, ("解除观察", "解除观察人数", "累计解除观察人数"), unit="人",
              minimum=0, doc="累计数，不应比前一次报告减少"),
    ),
    "每个范围每天一行；新增由系统按相邻两次报告相减得出。",
)

WORK_PROGRESS = SheetSpec(
    "work_progress",
    "工作进度",
    ("report_date", "street", "work_item"),
    (
        Field("report_date", "日期", "date", True, ("统计日期", "填报日期", "date")),
        Field("street", "所属街道", "text", True, ("街道", "街镇", "所在街道", "street")),
        Field("work_item", "工作项", "text", True, ("工作项目", "工作模块", "重点工作", "work item"),
              suggestions=WORK_ITEMS, doc="可从下拉列表选择，也可填写其他工作项"),
        Field("target", "目标数", "int", False, ("目标", "计划数", "应完成数", "总数"), minimum=0),
        Field("done", "累计完成数", "int", True, ("累计完成", "完成数", "已完成数", "累计数"), minimum=0,
              doc="累计数；新增由系统按相邻两次报告相减得出"),
        Field("unit", "单位", "text", False, ("计量单位",), suggestions=("户", "人", "处", "只", "家", "个"),
              doc="户、人、处、只……"),
        Field("note", "备注", "text", False, ("说明", "情况说明")),
    ),
    "每个街道、每个工作项每天一行（只在有进展的日子填也可以）。",
)

KEY_POINTS = SheetSpec(
    "key_points",
    "重要点位",
    ("point_id",),
    (
        Field("point_id", "点位编号", "text", True, ("点位代码", "编号", "point id"), doc="唯一，如 JSL-D01"),
        Field("point_name", "点位名称", "text", True, ("点位", "名称", "point name")),
        Field("point_type", "类型", "enum", False, ("点位类型", "类别"), choices=POINT_TYPES, default="其他"),
        Field("street", "所属街道", "text", True, ("街道", "街镇", "所在街道", "street")),
        Field("address", "地址", "text", False, ("详细地址", "address")),
        Field("lon", "经度", "number", True, ("longitude", "lng", "lon"), doc="上海范围内"),
        Field("lat", "纬度", "number", True, ("latitude", "lat"), doc="上海范围内"),
        Field("crs", "坐标系", "enum", False, ("坐标类型", "crs"), choices=CRS_CHOICES, default="GCJ02",
              doc="GCJ02（高德/腾讯地图，默认）或 WGS84（GPS）"),
    ),
    "每个点位一行；位置改变时以同一点位编号重新上传。",
)

SHEETS: tuple[SheetSpec, ...] = (BUILDINGS, COMPANIES, DAILY_RETURNS, CHECKS, REQUESTS, EPIDEMIC, WORK_PROGRESS,
                                 KEY_POINTS)
SHEET_BY_KIND = {s.kind: s for s in SHEETS}

# Shanghai's extent, generous by a few km.
SHANGHAI_LON = (120.85, 122.20)
SHANGHAI_LAT = (30.66, 31.88)

_PAREN_UNIT = re.compile(r"[(（\[【].*?[)）\]】]$")


def normalise_header(text: object) -> str:
    """Fold a header cell to a comparable key: NFKC, no whitespace or line breaks, lower case."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text))
    folded = re.sub(r"\s+", "", folded).lower()
    return folded.replace("*", "").replace("：", "").replace(":", "")


def _alias_table() -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for spec in SHEETS:
        names: dict[str, str] = {}
        for f in spec.fields:
            for alias in (f.label, f.name, *f.aliases):
                names.setdefault(normalise_header(alias), f.name)
        table[spec.kind] = names
    return table


ALIASES = _alias_table()


def match_header(kind: str, header: object) -> str | None:
    """The store column a header cell means in a sheet of this kind, or None."""
    key = normalise_header(header)
    if not key:
        return None
    names = ALIASES[kind]
    if key in names:
        return names[key]
    stripped = _PAREN_UNIT.sub("", key)  # 建筑面积(平方米) -> 建筑面积
    return names.get(stripped)


# GB 32100-2015: 18 characters from this alphabet; the last is a check character.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_check_char(first17: str) -> str | None:
    try:
        total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    except ValueError:
        return None
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_valid(code: str) -> bool:
    return len(code) == 18 and all(c in CREDIT_ALPHABET for c in code) and credit_check_char(code[:17]) == code[17]


# -- the template's example rows ----------------------------------------------------------------
# One example row per sheet, valid under every rule, with identifiers no real record has. A sheet that
# still holds only its example row is an untouched template sheet and is skipped on upload; an example
# row left among real rows is an error (it would otherwise become a building or company in the data).
EXAMPLE_IDS: dict[str, str] = {
    "building_id": "示例-001",
    "credit_code": "91310105MA1FKT7W0W",
    "request_id": "示例-SQ0001",
    "scope": "示例街道",
    "work_item": "示例工作项",
    "point_id": "示例-D001",
}
EXAMPLES: dict[str, dict[str, object]] = {
    "buildings": {
        "building_id": EXAMPLE_IDS["building_id"], "building_name": "示例大厦", "street": "江苏路街道",
        "address": "长宁区示例路1号", "lon": 121.4305, "lat": 31.22, "crs": "GCJ02", "floor_area": 32000,
        "floors": 24, "property_company": "示例物业", "building_manager": "张三",
    },
    "companies": {
        "credit_code": EXAMPLE_IDS["credit_code"], "company_name": "示例科技有限公司",
        "building_id": EXAMPLE_IDS["building_id"], "floor": 12, "industry": "信息传输、软件和信息技术服务业", "employees": 80,
        "company_type": "内资", "key_company": "否", "planned_date": "2020-02-10", "contact_person": "李四",
        "contact_phone": "13800000000",
    },
    "daily_returns": {
        "report_date": "2020-02-17", "credit_code": EXAMPLE_IDS["credit_code"], "company_name": "示例科技有限公司",
        "on_site": 30, "remote": 40, "from_key_areas": 0, "from_abroad": 1, "home_observation": 1, "fever": 0,
    },
    "checks": {
        "check_date": "2020-02-17", "building_id": EXAMPLE_IDS["building_id"], "area_closed": 5,
        "area_registration": 4, "area_plan": 3, "area_disinfection": 4, "area_mobilisation": 2, "area_service": 3,
        "duty_score": 92, "issues_found": "访客登记表未按日归档", "inspector": "王五",
    },
    "requests": {
        "request_id": EXAMPLE_IDS["request_id"], "request_date": "2020-02-12", "credit_code": EXAMPLE_IDS["credit_code"],
        "category": "租金减免", "content": "申请减免2月房租", "status": "已办结", "closed_date": "2020-02-20",
    },
    "epidemic": {
        "report_date": "2020-02-17", "scope": EXAMPLE_IDS["scope"], "confirmed": 1, "suspected": 0,
        "close_contacts": 3, "home_observation": 120, "released": 80,
    },
    "work_progress": {
        "report_date": "2020-02-17", "street": "江苏路街道", "work_item": EXAMPLE_IDS["work_item"], "target": 100,
        "done": 40, "unit": "户", "note": "已完成一半以上",
    },
    "key_points": {
        "point_id": EXAMPLE_IDS["point_id"], "point_name": "示例口罩发放点", "point_type": "口罩发放点",
        "street": "江苏路街道", "address": "长宁区示例路2号", "lon": 121.4310, "lat": 31.2205, "crs": "GCJ02",
    },
}

# The first cell of the template's 说明 sheet: that sheet is skipped on upload without a finding
# (any other sheet that is no data table still gets its unknown_sheet warning).
INSTRUCTIONS_TITLE = "复工态势台 数据模板 · 填写说明"

"""What people call industries and company types, mapped to the names the store keeps.

Industries are the 20 sections (门类) of the national classification GB/T 4754-2017; company types are the
contract's five choices. One alias table each: ingest normalises through it (staging SQL), the template's
drop-down lists its names, the grading's risky trades are given as its names, and migration 0010 maps the
rows already stored. A value no alias knows is kept as written (a warning says so).
"""

from __future__ import annotations

import re
import unicodedata

# GB/T 4754-2017 国民经济行业分类, 门类 A-T.
INDUSTRIES: tuple[str, ...] = (
    "农、林、牧、渔业",
    "采矿业",
    "制造业",
    "电力、热力、燃气及水生产和供应业",
    "建筑业",
    "批发和零售业",
    "交通运输、仓储和邮政业",
    "住宿和餐饮业",
    "信息传输、软件和信息技术服务业",
    "金融业",
    "房地产业",
    "租赁和商务服务业",
    "科学研究和技术服务业",
    "水利、环境和公共设施管理业",
    "居民服务、修理和其他服务业",
    "教育",
    "卫生和社会工作",
    "文化、体育和娱乐业",
    "公共管理、社会保障和社会组织",
    "国际组织",
)
OTHER_INDUSTRY = "其他"  # how charts show an industry no alias knows

_INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "农、林、牧、渔业": ("农业", "林业", "牧业", "渔业", "农林牧渔", "农林牧渔业", "种植", "养殖"),
    "采矿业": ("采矿", "矿业", "开采"),
    "制造业": ("制造", "工业", "生产制造", "制造业总部", "加工", "工厂"),
    "电力、热力、燃气及水生产和供应业": ("电力", "热力", "燃气", "供水", "水务", "能源", "新能源", "电力燃气"),
    "建筑业": ("建筑", "建筑工程", "工程", "施工", "装修", "装饰", "建筑装饰"),
    "批发和零售业": ("批发零售", "批发", "零售", "批零", "商贸", "贸易", "商业", "零售业", "批发业", "商超", "超市",
                "进出口", "电商", "电子商务"),
    "交通运输、仓储和邮政业": ("交通运输", "运输", "物流", "仓储", "快递", "邮政", "交通", "航运", "货运", "客运",
                     "物流仓储"),
    "住宿和餐饮业": ("餐饮", "餐饮业", "住宿", "酒店", "宾馆", "饭店", "餐厅", "餐饮服务", "住宿餐饮", "食堂"),
    "信息传输、软件和信息技术服务业": ("it", "软件", "互联网", "信息技术", "软件和信息服务", "信息服务", "软件开发",
                            "计算机", "软件信息", "信息传输", "通信", "电信", "网络", "软件和信息技术服务业",
                            "信息技术服务", "互联网信息服务", "it服务", "数据服务"),
    "金融业": ("金融", "银行", "证券", "保险", "基金", "期货", "信托", "金融服务", "银行业", "保险业", "证券业",
            "融资租赁", "支付"),
    "房地产业": ("房地产", "地产", "物业", "物业管理", "房产", "房地产开发", "房产中介", "房屋中介"),
    "租赁和商务服务业": ("商务服务", "租赁", "咨询", "商务咨询", "企业管理", "企业管理咨询", "人力资源", "法律服务",
                  "律师", "会计", "会计师事务所", "广告", "会展", "中介", "中介服务", "旅行社", "投资管理",
                  "商务服务业", "管理咨询", "知识产权", "人力资源服务", "律师事务所"),
    "科学研究和技术服务业": ("科技研发", "研发", "科研", "技术服务", "科技服务", "科学研究", "设计", "工程设计",
                    "检验检测", "检测", "研究开发", "技术开发", "科技", "生物科技", "生物医药研发"),
    "水利、环境和公共设施管理业": ("水利", "环境", "环保", "公共设施", "园林", "绿化", "环境治理"),
    "居民服务、修理和其他服务业": ("居民服务", "修理", "维修", "家政", "美容", "美发", "美容美发", "洗浴", "洗衣",
                      "养生", "摄影", "生活服务", "其他服务", "其他服务业"),
    "教育": ("教育培训", "培训", "教育服务", "学校", "早教", "托育", "职业培训", "培训机构", "教育业", "课外辅导",
           "辅导"),
    "卫生和社会工作": ("卫生", "医疗", "医院", "诊所", "医疗卫生", "医疗服务", "社会工作", "养老", "养老服务",
                "健康", "口腔", "门诊"),
    "文化、体育和娱乐业": ("文化传媒", "传媒", "文化", "体育", "娱乐", "影视", "文创", "出版", "新闻", "演艺", "健身",
                   "游戏", "文化娱乐", "文化体育", "媒体", "广播电视", "文化创意", "艺术"),
    "公共管理、社会保障和社会组织": ("公共管理", "社会保障", "社会组织", "社会团体", "协会", "商会", "事业单位",
                       "机关", "政府机关", "基金会", "民非", "民办非企业"),
    "国际组织": ("国际机构",),
}

# Company types as people say them -> the contract's choices (内资, 日资, 韩资, 其他外资, 港澳台).
_COMPANY_TYPE_WORDS: dict[str, tuple[str, ...]] = {
    "内资": ("内资企业", "国有", "国企", "国有企业", "国有控股", "央企", "民营", "民营企业", "民企", "私营", "私营企业",
           "私企", "集体", "集体企业", "股份制", "股份制企业", "有限责任公司", "股份有限公司", "个体", "个体工商户",
           "内资（非国有）", "内资(非国有)", "国有独资", "中资"),
    "日资": ("日资企业", "日企", "日本独资", "日商独资", "日本"),
    "韩资": ("韩资企业", "韩企", "韩国独资", "韩商独资", "韩国"),
    "其他外资": ("外资", "外企", "外资企业", "外商独资", "外商投资", "外商投资企业", "中外合资", "中外合作", "合资",
             "合资企业", "独资", "美资", "欧资", "德资", "法资", "英资", "新加坡资", "外商独资企业"),
    "港澳台": ("港澳台资", "港澳台资企业", "港澳台投资", "台资", "港资", "澳资", "台资企业", "港资企业", "澳资企业",
            "港澳台商独资", "香港", "台湾", "澳门"),
}


def fold(text: object) -> str:
    """The key a value is looked up by: NFKC, no whitespace, lower case, no trailing 业/企业 noise kept."""
    if text is None:
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


def _table(words: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for name, aliases in words.items():
        for alias in (name, *aliases):
            key = fold(alias)
            if table.setdefault(key, name) != name:
                raise ValueError(f"alias {alias} means both {table[key]} and {name}")
    return table


INDUSTRY_ALIASES: dict[str, str] = _table(_INDUSTRY_WORDS)
COMPANY_TYPE_ALIASES: dict[str, str] = _table(_COMPANY_TYPE_WORDS)
assert set(_INDUSTRY_WORDS) == set(INDUSTRIES)


def industry_of(text: object) -> str | None:
    """The GB/T 4754-2017 section a written industry means, or None when no alias knows it."""
    return INDUSTRY_ALIASES.get(fold(text))


def company_type_of(text: object) -> str | None:
    return COMPANY_TYPE_ALIASES.get(fold(text))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def lookup_sql(table: dict[str, str], column: str) -> str:
    """SQL: the name `column` (a text expression) means under this alias table, or null.

    The table is code, never upload content; the map literal is built once per query.
    """
    keys = ", ".join(_quote(k) for k in table)
    values = ", ".join(_quote(v) for v in table.values())
    folded = f"lower(regexp_replace({column}, '\\s+', '', 'g'))"
    return f"map_extract_value(map([{keys}], [{values}]), {folded})"


def industry_sql(column: str) -> str:
    return lookup_sql(INDUSTRY_ALIASES, column)


def company_type_sql(column: str) -> str:
    return lookup_sql(COMPANY_TYPE_ALIASES, column)

"""The upload template: an xlsx made from the data contract, so that it can never disagree with it.

One sheet per sheet kind with the canonical Chinese headers, a drop-down list on every enumeration,
range checks on numbers and dates, one example row valid under every rule (skipped on upload while it is
the only row; an error once real rows sit beside it), and a 说明 sheet describing every column.
"""

from __future__ import annotations

import datetime as dt
import io

import xlsxwriter

from pipelines.core import settings
from pipelines.core.contract import CHECK_ITEMS_TOTAL, EXAMPLES, INSTRUCTIONS_TITLE, SHEETS, Field, SheetSpec
from pipelines.core.vocabulary import INDUSTRIES

FILE_NAME = "复工态势台_数据模板.xlsx"
INSTRUCTIONS = "说明"
LAST_ROW = 100_000  # drop-downs and checks reach this far down each sheet
FIXED_TIME = dt.datetime(2020, 4, 1, 9, 0, 0)  # the same bytes for the same contract

KIND_NAMES = {"text": "文字", "int": "整数", "number": "数字", "date": "日期", "enum": "选项", "code": "代码",
              "floor": "楼层", "phone": "电话"}
LISTS = "选项"  # a hidden sheet holding drop-down lists too long for Excel's inline list (255 characters)

GENERAL_NOTES = (
    "一个文件可以包含下列任意几张表，也可以只填其中一张；不需要的工作表可以整表删除。",
    "系统按表头识别每张表，而不是按工作表名称：表头可以不在第1行（上方可以有标题行、单位行），"
    "列的顺序可以调整，表头也可以写成“也可写作”一栏中的名称。",
    "每张表第2行是示例行（浅黄色）：只有示例行的表上传时会被忽略；填了真实数据后请删除示例行，否则无法入库。",
    "日期可以写成 2020-02-17、2020/2/17、2020年2月17日 或 20200217；只写月日（3月5日、3.5）时，年份取标题行"
    "（如“（2020年3月）”）或本表其他日期中的年份。数字可以是文本格式，全角数字、千位分隔（1,200）、单位（50人、"
    "52,000㎡）和“万”（3.5万）也可以。",
    "楼层照原样填写（18F、十八层、B1、3-4F、1801室）；行业、企业类型可用常用说法（餐饮、IT、外商独资、民营），"
    "系统按国民经济行业分类和可选值理解，并在检查结果中列出“已按…理解”。",
    "标 * 的列为必填。同一张表里每条记录（见“唯一键”）只能出现一次；再次上传同一记录时以最新上传的为准，旧数据保留可追溯。",
    "也可以上传 CSV 文件（UTF-8、带 BOM 的 UTF-8，或中文 Excel 默认的 GBK 编码），每个 CSV 只放一张表。",
    "上传后系统先逐格检查并列出全部问题，再预览入库后的变化；确认之前不会写入任何数据，入库后也可以整批撤销。",
)

CROSS_RULES = (
    "企业名录中的楼宇编号、楼宇检查中的楼宇编号，必须在楼宇名录中（已入库的或本次一起上传的）。",
    "返岗日报和企业诉求中的统一社会信用代码，必须在企业名录中（已入库的或本次一起上传的）。",
    "返岗日报：在岗人数 + 居家办公人数 不能超过该企业的员工总数。",
    "楼宇名录、重要点位：经纬度必须在上海范围内；经度约121、纬度约31，填反会被指出；坐标系默认 GCJ02（高德/腾讯地图）。",
    f"楼宇检查：六个方面共{CHECK_ITEMS_TOTAL}项，每个方面填通过的项数，不能超过该方面的项数。",
    "企业诉求：状态为“已办结”时须填办结日期；办结日期不能早于提出日期。",
    "疫情发展、工作进度：累计确诊、累计解除观察、累计完成数比前一次报告少时给出提醒；累计完成数超过目标数时给出提醒。"
    "新增由系统按相邻两次报告相减得出，不需要填写。",
    f"日期不能早于 {settings.get().period_start.isoformat()}（数据期起始日），除计划复工日期外也不能晚于今天。",
    "统一社会信用代码为18位，末位校验码须符合 GB 32100-2015；填错一位也能被发现。",
    "楼宇名录：同一街道中，一个楼宇名称只应对应一个楼宇编号；重名时会提示两个编号，请核对。",
)


def template_bytes() -> bytes:
    """The template workbook."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    wb.set_properties({"title": "复工态势台 数据模板", "author": "复工态势台", "created": FIXED_TIME})
    styles = _Styles(wb)
    _write_instructions(wb, styles)
    for spec in SHEETS:
        _write_sheet(wb, styles, spec)
    lists = wb.add_worksheet(LISTS)
    lists.write_column(0, 0, INDUSTRIES)
    lists.hide()
    wb.close()
    return buffer.getvalue()


class _Styles:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        base = {"font_name": "等线", "font_size": 11}
        self.header = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                     "valign": "vcenter"})
        self.required = wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                       "valign": "vcenter", "font_color": "#C00000"})
        self.example = {kind: wb.add_format({**base, "bg_color": "#FFF2CC", **extra}) for kind, extra in (
            ("text", {"num_format": "@"}), ("int", {}), ("number", {}), ("date", {"num_format": "yyyy-mm-dd"}),
        )}
        self.column = {"text": wb.add_format({**base, "num_format": "@"}),
                       "date": wb.add_format({**base, "num_format": "yyyy-mm-dd"}),
                       "plain": wb.add_format(base)}
        self.title = wb.add_format({**base, "bold": True, "font_size": 14})
        self.note = wb.add_format({**base, "text_wrap": True, "valign": "top"})
        self.cell = wb.add_format({**base, "text_wrap": True, "valign": "top", "border": 1})


def _column_style(f: Field) -> str:
    if f.kind == "date":
        return "date"
    if f.kind in ("text", "code", "enum"):
        return "text"  # kept as typed: leading zeros, 18-digit codes, phone numbers
    return "plain"


def header_text(f: Field) -> str:
    """The header as the template writes it: the canonical label, * when required (both are recognised)."""
    return f"{f.label}*" if f.required else f.label


def _write_sheet(wb: xlsxwriter.Workbook, styles: _Styles, spec: SheetSpec) -> None:
    ws = wb.add_worksheet(spec.label)
    ws.freeze_panes(1, 0)
    ws.set_row(0, 32)
    example = EXAMPLES[spec.kind]
    for col, f in enumerate(spec.fields):
        ws.set_column(col, col, max(10, 2.2 * len(f.label) + 2), styles.column[_column_style(f)])
        ws.write_string(0, col, header_text(f), styles.required if f.required else styles.header)
        ws.write_comment(0, col, _header_comment(spec, f), {"x_scale": 2, "y_scale": 1.6})
        _write_example(ws, styles, col, f, example.get(f.name))
        _validation(ws, col, f)
    ws.write_comment(1, 0, "示例行：只有示例行时本表在上传时被忽略；填写真实数据后请删除这一行。", {"x_scale": 2})


def _write_example(ws, styles: _Styles, col: int, f: Field, value: object) -> None:
    if value is None:
        ws.write_blank(1, col, None, styles.example["text"])
    elif f.kind == "date":
        ws.write_datetime(1, col, dt.datetime.fromisoformat(str(value)), styles.example["date"])
    elif f.kind in ("int", "number"):
        ws.write_number(1, col, float(value), styles.example[f.kind])  # type: ignore[arg-type]
    else:
        ws.write_string(1, col, str(value), styles.example["text"])


def _validation(ws, col: int, f: Field) -> None:
    """Excel's own checks while typing: drop-downs for enumerations, ranges for numbers and dates."""
    if f.vocabulary == "industry":  # a drop-down of the GB/T 4754-2017 sections; other words are accepted too
        rule = {"validate": "list", "source": f"='{LISTS}'!$A$1:$A${len(INDUSTRIES)}", "error_type": "information",
                "input_title": f.label[:32], "input_message": "请从下拉列表中选择行业门类；写常用说法（如 餐饮、IT）也能识别",
                "error_title": "不在行业门类中", "error_message": "不是行业门类名称：上传时会尝试按常用说法识别，识别不了的保留原文"}
    elif f.kind == "enum":
        rule = {"validate": "list", "source": list(f.choices), "error_type": "stop",
                "input_title": f.label[:32], "input_message": f"请从下拉列表中选择：{'、'.join(f.choices)}"[:255],
                "error_title": "不是可选值", "error_message": f"{f.label}只能填：{'、'.join(f.choices)}"[:255]}
    elif f.kind in ("int", "number") and (f.minimum is not None or f.maximum is not None):
        rule = {"validate": "integer" if f.kind == "int" else "decimal", "error_type": "warning",
                "error_title": "超出范围", "error_message": _range_text(f)[:255]}
        if f.minimum is not None and f.maximum is not None:
            rule.update(criteria="between", minimum=f.minimum, maximum=f.maximum)
        elif f.minimum is not None:
            rule.update(criteria=">=", value=f.minimum)
        else:
            rule.update(criteria="<=", value=f.maximum)
    elif f.kind == "date":
        rule = {"validate": "date", "criteria": ">=", "value": dt.datetime.combine(settings.get().period_start, dt.time()),
                "error_type": "warning", "error_title": "日期有误",
                "error_message": f"请填写 {settings.get().period_start.isoformat()} 以后的日期，如 2020-02-17"}
    elif f.suggestions:  # a drop-down that still accepts other text
        rule = {"validate": "list", "source": list(f.suggestions), "error_type": "information",
                "show_error": False, "input_title": f.label[:32],
                "input_message": f"可从下拉列表选择：{'、'.join(f.suggestions)}；也可填写其他内容"[:255]}
    else:
        return
    ws.data_validation(1, col, LAST_ROW, col, rule)


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _range_text(f: Field) -> str:
    unit = f.unit or ""
    if f.minimum is not None and f.maximum is not None:
        return f"{_number(f.minimum)}～{_number(f.maximum)}{unit}"
    if f.minimum is not None:
        return "不能为负数" if f.minimum == 0 else f"不小于{_number(f.minimum)}{unit}"
    if f.maximum is not None:
        return f"不大于{_number(f.maximum)}{unit}"
    return ""


def field_rules(f: Field) -> str:
    """What the validation checks for this column, in words."""
    rules: list[str] = []
    if f.kind == "int":
        rules.append("整数")
    elif f.kind == "number":
        rules.append("数字")
    elif f.kind == "date":
        rules.append("日期，如 2020-02-17")
        rules.append("可以是将来的日期" if f.may_be_future else "不能晚于今天")
    elif f.kind == "code":
        rules.append("18位，末位校验码须正确")
    elif f.kind == "enum":
        rules.append("只能填可选值之一" + (f"；空白时按“{f.default}”" if f.default else ""))
    if f.minimum is not None or f.maximum is not None:
        rules.append(_range_text(f))
    if f.doc:
        rules.append(f.doc)
    if f.personal:
        rules.append("个人信息：仅管理员可见完整内容")
    return "；".join(rules)


def _header_comment(spec: SheetSpec, f: Field) -> str:
    lines = [f"{f.label}（{'必填' if f.required else '选填'}{'，单位：' + f.unit if f.unit else ''}）", field_rules(f)]
    if f.kind == "enum":
        lines.append("可选值：" + "、".join(f.choices))
    elif f.suggestions:
        lines.append("常用值：" + "、".join(f.suggestions) + "（也可填写其他）")
    if f.aliases:
        lines.append("也可写作：" + "、".join(f.aliases))
    return "\n".join(line for line in lines if line)


def _key_text(spec: SheetSpec) -> str:
    return " + ".join(spec.field_by_name[k].label for k in spec.key)


def _write_instructions(wb: xlsxwriter.Workbook, styles: _Styles) -> None:
    ws = wb.add_worksheet(INSTRUCTIONS)
    widths = (12, 16, 6, 8, 8, 26, 44, 36)
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.write_string(0, 0, INSTRUCTIONS_TITLE, styles.title)
    row = 1
    for note in GENERAL_NOTES:
        ws.merge_range(row, 0, row, len(widths) - 1, f"· {note}", styles.note)
        ws.set_row(row, 30)
        row += 1
    row += 1
    ws.write_string(row, 0, "各表与唯一键", styles.title)
    row += 1
    for spec in SHEETS:
        ws.write_string(row, 0, spec.label, styles.cell)
        ws.merge_range(row, 1, row, len(widths) - 1, f"唯一键：{_key_text(spec)}。{spec.doc}", styles.cell)
        row += 1
    row += 1
    ws.write_string(row, 0, "各列说明", styles.title)
    row += 1
    ws.write_row(row, 0, ["工作表", "列名", "必填", "类型", "单位", "可选值", "规则与说明", "也可写作"], styles.header)
    row += 1
    for spec in SHEETS:
        for f in spec.fields:
            ws.write_row(row, 0, [
                spec.label, f.label, "是" if f.required else "", KIND_NAMES[f.kind], f.unit,
                "、".join(f.choices or f.suggestions), field_rules(f), "、".join(f.aliases),
            ], styles.cell)
            row += 1
    row += 1
    ws.write_string(row, 0, "跨列、跨表的规则", styles.title)
    row += 1
    for rule in CROSS_RULES:
        ws.merge_range(row, 0, row, len(widths) - 1, f"· {rule}", styles.note)
        row += 1
    ws.activate()

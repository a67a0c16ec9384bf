"""What the workbook reader does not tell: merged ranges and formulas without a computed value.

Both are found in a sheet's XML as it streams past the container check (read.py inflates every part once
to check its size): no second pass over the file, and nothing kept but a few cell references.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_MERGE = re.compile(rb'<mergeCell ref="([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})"')
# A formula cell whose formula is followed by no value, or an empty one: Excel never calculated it.
_EMPTY_FORMULA = re.compile(
    rb'<c r="([A-Z]{1,3}[0-9]{1,7})"[^>]*>\s*<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>')
_TAIL = 8192  # bytes carried over between chunks: a cell or merge split across two chunks is still seen
MAX_MERGES = 10_000


def letters_to_index(letters: str) -> int:
    """A -> 0, Z -> 25, AA -> 26."""
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


@dataclass(frozen=True)
class Merge:
    """A merged range, 1-based Excel rows, 0-based columns, inclusive."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int


@dataclass
class SheetXml:
    """Merged ranges and uncalculated formula cells of one sheet, collected chunk by chunk."""

    merges: set[Merge] = field(default_factory=set)
    empty_formulas: set[str] = field(default_factory=set)  # cell references such as B7
    _tail: bytes = b""

    def scan(self, chunk: bytes) -> None:
        text = self._tail + chunk
        if b"<mergeCell" in text and len(self.merges) < MAX_MERGES:
            for a, r1, b, r2 in _MERGE.findall(text):
                self.merges.add(Merge(int(r1), letters_to_index(a.decode()), int(r2), letters_to_index(b.decode())))
        if b"<f" in text:
            self.empty_formulas.update(ref.decode() for ref in _EMPTY_FORMULA.findall(text))
        self._tail = text[-_TAIL:]

    def formula_cells(self) -> list[tuple[int, int, str]]:
        """(1-based row, 0-based column, reference) of each uncalculated formula, in sheet order."""
        cells = []
        for ref in self.empty_formulas:
            letters = ref.rstrip("0123456789")
            cells.append((int(ref[len(letters):]), letters_to_index(letters), ref))
        return sorted(cells)

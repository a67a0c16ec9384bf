"""Text from users (uploads, names, reasons, file names, URLs) made inert before it reaches Markdown.

Every st.markdown / caption / subheader / warning / error / expander or page-link label that carries such text
passes it through md(). Error messages, which are written by code but quote what the user typed or uploaded,
pass through inert(): links, images, HTML and emphasis are escaped, plain punctuation is left alone.
"""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
_MD_ACTIVE = re.compile(r"([\\`*_\[\]<>!~$])")


def md(text: object) -> str:
    """Text from uploads (names, contents) made safe for st.markdown: no markup, links or images."""
    return _MD_SPECIAL.sub(r"\\\1", "" if text is None else str(text))


def inert(text: object) -> str:
    """A message that quotes user text: no link, image, HTML, emphasis or colour can come out of it."""
    return _MD_ACTIVE.sub(r"\\\1", "" if text is None else str(text))

"""TeX that Anki's MathJax would turn into links, styles, classes, ids or new macros.

Anki's reviewer loads MathJax 3.2.2 with every TeX package (including `html`, `action`,
`require`) and no safety filter, and the deck cannot change that configuration. So the deck
refuses such TeX at build time, in every field, wherever MathJax could find it.
"""

from __future__ import annotations

import re

# Each of these makes HTML that is not mathematics (a link, an attribute, CSS, a tooltip) or
# changes how other formulas read. Names as MathJax 3.2.2 defines them.
FORBIDDEN = {
    "href": "makes a link",
    "url": "makes a link",
    "style": "adds inline CSS",
    "class": "adds an HTML class",
    "cssId": "adds an HTML id",
    "data": "adds HTML data attributes",
    "attr": "adds HTML attributes",
    "mmlToken": "makes raw MathML with any attributes",
    "bbox": "can carry inline CSS",
    "unicode": "can choose fonts through CSS",
    "color": "adds inline CSS colours (text can vanish into the background)",
    "textcolor": "adds inline CSS colours (text can vanish into the background)",
    "colorbox": "adds inline CSS colours",
    "fcolorbox": "adds inline CSS colours",
    "texttip": "adds a tooltip action",
    "mathtip": "adds a tooltip action",
    "toggle": "adds an action",
    "require": "loads a TeX extension",
    "setOptions": "changes TeX options",
    "def": "defines a macro for every later formula",
    "gdef": "defines a macro for every later formula",
    "edef": "defines a macro for every later formula",
    "xdef": "defines a macro for every later formula",
    "global": "makes a definition global",
    "let": "redefines a macro for every later formula",
    "futurelet": "redefines a macro",
    "newcommand": "defines a macro for every later formula",
    "renewcommand": "redefines a macro for every later formula",
    "providecommand": "defines a macro for every later formula",
    "newenvironment": "defines an environment for every later formula",
    "renewenvironment": "redefines an environment for every later formula",
    "DeclareMathOperator": "defines a macro for every later formula",
    "Newextarrow": "defines a macro for every later formula",
    "newcolumntype": "defines a column type for every later formula",
    "definecolor": "defines a colour for every later formula",
}
# Spacing and rules: fine in moderation, a page-covering box when huge.
SIZED = frozenset(
    {"rule", "Rule", "hspace", "vspace", "kern", "mkern", "mskip", "hskip", "vskip", "mspace"}
    | {"raise", "lower", "moveleft", "moveright", "raisebox"}
)
MAX_EM = 10.0
EM_PER_UNIT = {"em": 1, "ex": 0.5, "pt": 0.1, "pc": 1.2, "px": 1 / 16, "mm": 0.28, "cm": 2.8, "in": 7.2, "mu": 1 / 18}
CONTROL_WORD = re.compile(r"\\([A-Za-z]+)")
DIMENSION = re.compile(r"\s*=?\s*([-+]?\s*(?:\d+(?:\.\d*)?|\.\d+))\s*(em|ex|pt|pc|px|mm|cm|in|mu)")


def forbidden_tex(tex: str) -> list[tuple[str, str]]:
    """(needle, message) for each macro that Anki's MathJax must never see in a card."""
    found: list[tuple[str, str]] = []
    for m in CONTROL_WORD.finditer(tex):
        name = m.group(1)
        if name in FORBIDDEN:
            found.append((m.group(0), f"'\\{name}' is not allowed in math: it {FORBIDDEN[name]} in the learner's Anki"))
        elif name in SIZED:
            found += _size_problems(name, tex[m.end() : m.end() + 200])
    return found


def _size_problems(name: str, after: str) -> list[tuple[str, str]]:
    sizes = []
    rest = after
    for _ in range(3):  # \rule[raise]{width}{height}: up to three dimensions
        rest = rest.lstrip()
        if rest[:1] in "{[":
            rest = rest[1:]
        m = DIMENSION.match(rest)
        if m is None:
            break
        sizes.append(abs(float(m.group(1).replace(" ", ""))) * EM_PER_UNIT[m.group(2)])
        rest = rest[m.end() :].lstrip()
        if rest[:1] in "}]":
            rest = rest[1:]
    if not sizes:
        return [(f"\\{name}", f"'\\{name}' needs an explicit size such as 1em in math")]
    if any(size > MAX_EM for size in sizes):
        return [(f"\\{name}", f"'\\{name}' is larger than {MAX_EM:g}em: a huge box can cover the card")]
    return []

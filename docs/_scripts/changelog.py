# SPDX-License-Identifier: BSD-3-Clause
"""Turn ``CHANGELOG.md`` into reStructuredText for the documentation.

The changelog is written in the Markdown subset of "Keep a Changelog":
headings, paragraphs, bullet lists (possibly nested), inline code, links,
emphasis, fenced code blocks and reference-style link definitions. This
converter handles exactly that subset, so that the changelog page is always
the file itself, without a Markdown parser among the documentation's
dependencies.

Run by hand: ``python docs/_scripts/changelog.py CHANGELOG.md out.rst``.
"""

import re
import sys
from pathlib import Path

# Adornment of each heading level (# to ####); level 1 is also overlined.
_ADORNMENTS = {1: "=", 2: "=", 3: "-", 4: "~", 5: "^", 6: '"'}
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_DEFINITION = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*(\S+)")
_FENCE = re.compile(r"^\s*(```|~~~)\s*([\w+-]*)\s*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_REFERENCE = re.compile(r"\[([^\]]+)\](?!\()")


def _escape(text):
    """Escape what reStructuredText would read as markup in plain text."""
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    # A word ending in "_" is a reference in reST (loss_curve_).
    return re.sub(r"(\w)_(?=\W|$)", r"\1\\_", text)


def _emphasis(text):
    """Markdown emphasis to reST: **strong** stays, _em_ and *em* become *em*."""
    text = re.sub(r"(?<![\w*])_(\S(?:.*?\S)?)_(?![\w*])", r"*\1*", text)
    return text


def _inline(text, definitions):
    """Convert the inline Markdown of one line of text."""
    # Split into plain text and finished markup (code spans, links).
    segments = []
    position = 0
    for match in _CODE_SPAN.finditer(text):
        segments += _links(text[position : match.start()], definitions)
        segments.append(("markup", f"``{match.group(2).strip()}``"))
        position = match.end()
    segments += _links(text[position:], definitions)

    out = ""
    previous = None
    for kind, piece in segments:
        if kind == "text":
            piece = _emphasis(_escape(piece))
        # Inline markup must not touch a word character on either side.
        if out and piece and "markup" in (kind, previous):
            if out[-1].isalnum() or piece[0].isalnum():
                out += "\\ "
        out += piece
        previous = kind
    return out


def _links(text, definitions):
    """Split plain text into text and reST link segments."""
    segments = []
    position = 0
    pattern = re.compile(_LINK.pattern + "|" + _REFERENCE.pattern)
    for match in pattern.finditer(text):
        if match.group(1) is not None:
            label, url = match.group(1), match.group(2)
        else:
            label = match.group(3)
            url = definitions.get(label.lower())
            if url is None:
                continue
        segments.append(("text", text[position : match.start()]))
        segments.append(("markup", f"`{_escape(label)} <{url}>`__"))
        position = match.end()
    segments.append(("text", text[position:]))
    return [(kind, piece) for kind, piece in segments if piece]


def convert_text(markdown):
    """Return the reStructuredText of a Keep-a-Changelog Markdown text."""
    lines = markdown.splitlines()
    definitions = {}
    kept = []
    for line in lines:
        match = _DEFINITION.match(line)
        if match:
            definitions[match.group(1).lower()] = match.group(2)
        else:
            kept.append(line)

    out = []
    list_indents = []  # indentation (in Markdown) of each open list level
    in_fence = False

    def blank():
        if out and out[-1] != "":
            out.append("")

    for line in kept:
        fence = _FENCE.match(line)
        if in_fence:
            if fence:
                in_fence = False
                out.append("")
            else:
                out.append("   " + line if line.strip() else "")
            continue
        if fence:
            blank()
            list_indents = []
            language = fence.group(2) or "text"
            out += [f".. code-block:: {language}", ""]
            in_fence = True
            continue
        if not line.strip():
            blank()
            continue
        heading = _HEADING.match(line)
        if heading:
            blank()
            list_indents = []
            level = len(heading.group(1))
            title = _inline(heading.group(2), definitions)
            rule = _ADORNMENTS[level] * max(len(title), 3)
            out += ([rule] if level == 1 else []) + [title, rule, ""]
            continue
        item = _ITEM.match(line)
        indent = len(line) - len(line.lstrip())
        if item:
            if not list_indents or indent > list_indents[-1]:
                blank()
                list_indents.append(indent)
            elif indent < list_indents[-1]:
                while len(list_indents) > 1 and indent < list_indents[-1]:
                    list_indents.pop()
                blank()
            depth = len(list_indents) - 1
            out.append("  " * depth + "- " + _inline(item.group(2), definitions))
            continue
        if list_indents and out[-1] == "" and indent == 0:
            list_indents = []  # a paragraph after the list
        text = _inline(line.strip(), definitions)
        if list_indents:
            out.append("  " * len(list_indents) + text)
        else:
            out.append(text)
    if in_fence:
        out.append("")
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def convert(source, target):
    """Convert the Markdown file ``source`` into ``target`` if it changed."""
    source, target = Path(source), Path(target)
    text = convert_text(source.read_text(encoding="utf-8"))
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


if __name__ == "__main__":
    if len(sys.argv) == 3:
        convert(sys.argv[1], sys.argv[2])
    else:
        sys.stdout.write(convert_text(Path(sys.argv[1]).read_text(encoding="utf-8")))

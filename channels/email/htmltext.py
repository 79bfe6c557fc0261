"""HTML mail bodies as safe plain text.

Customers writing from webmail often send HTML only. The bot must see the words, never
markup: scripts, styles and the document head are dropped, entities are decoded, block
elements become line breaks, links keep their target as text ("Help (https://…)"), and
``<blockquote>`` content comes out as ``>`` lines so the quoted history is stripped the same
way as in plain-text mail. Images and forms are dropped; nothing is fetched or executed.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Content that is never text for a reader.
_SKIPPED = frozenset(
    {
        "script",
        "style",
        "head",
        "title",
        "template",
        "noscript",
        "svg",
        "math",
        "object",
        "iframe",
        "frame",
        "frameset",
        "select",
        "textarea",
        "button",
        "canvas",
        "audio",
        "video",
    }
)
_PARAGRAPHS = frozenset(
    {
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "table",
        "ul",
        "ol",
        "pre",
        "dl",
    }
)
_LINES = frozenset(
    {
        "div",
        "br",
        "li",
        "tr",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "address",
        "center",
        "form",
        "fieldset",
        "dt",
        "dd",
        "figure",
        "figcaption",
        "main",
        "nav",
        "aside",
    }
)
_CELLS = frozenset({"td", "th"})
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES_RE = re.compile(r"[ \t\r\n\f\v\xa0\u3000]+")


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML document or fragment."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return parser.text()


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._lines: list[tuple[int, str]] = []  # (quote depth, text)
        self._current: list[str] = []
        self._skipping: list[str] = []
        self._quote_depth = 0
        self._pre = 0
        self._lists: list[int | None] = []  # None for <ul>, the next number for <ol>
        self._link: tuple[str, list[str]] | None = None

    # -- structure ---------------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # a head left open must not swallow the body
            self._skipping = [t for t in self._skipping if t != "head"]
            return
        if tag in _SKIPPED:
            self._skipping.append(tag)
            return
        if self._skipping:
            return
        if tag in _PARAGRAPHS:
            self._paragraph()
        elif tag in _LINES:
            self._line_break()
        elif tag in _CELLS and self._current:
            self._current.append(" ")
        if tag == "blockquote":
            self._quote_depth += 1
        elif tag == "pre":
            self._pre += 1
        elif tag == "ul":
            self._lists.append(None)
        elif tag == "ol":
            self._lists.append(1)
        elif tag == "li":
            self._current.append(self._bullet())
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            self._link = (href, [])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr") and not self._skipping:
            self._line_break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            if tag in self._skipping:
                while self._skipping and self._skipping.pop() != tag:
                    pass
            return
        if self._skipping:
            return
        if tag == "a" and self._link is not None:
            href, words = self._link
            self._link = None
            label = "".join(words).strip()
            target = href[len("mailto:") :] if href.lower().startswith("mailto:") else href
            if href.lower().startswith(_LINK_SCHEMES) and target and target != label:
                self._current.append(f" ({target})" if label else target)
        elif tag in _PARAGRAPHS:
            self._paragraph()
        elif tag in _LINES:
            self._line_break()
        if tag == "blockquote":
            self._line_break()
            self._quote_depth = max(0, self._quote_depth - 1)
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        elif tag in ("ul", "ol") and self._lists:
            self._lists.pop()

    # -- text --------------------------------------------------------------------------------

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        data = _INVISIBLE_RE.sub("", data)
        if self._pre:
            first, *rest = data.replace("\r\n", "\n").split("\n")
            self._append(first.replace("\xa0", " "))
            for line in rest:
                self._line_break(force=True)
                self._append(line.replace("\xa0", " "))
            return
        self._append(_SPACES_RE.sub(" ", data))

    def _append(self, text: str) -> None:
        if not text:
            return
        self._current.append(text)
        if self._link is not None:
            self._link[1].append(text)

    def _bullet(self) -> str:
        if not self._lists or self._lists[-1] is None:
            return "- "
        number = self._lists[-1]
        self._lists[-1] = number + 1
        return f"{number}. "

    def _line_break(self, force: bool = False) -> None:
        line = "".join(self._current).strip() if not self._pre else "".join(self._current).rstrip()
        self._current = []
        if line or force:
            self._lines.append((self._quote_depth, line))

    def _paragraph(self) -> None:
        self._line_break()
        if self._lines and self._lines[-1][1]:
            self._lines.append((self._quote_depth, ""))

    def text(self) -> str:
        self._line_break()
        out: list[str] = []
        for depth, line in self._lines:
            line = ("> " * depth + line).rstrip() if depth else line
            if not line and (not out or not out[-1]):
                continue  # no leading or repeated blank lines
            out.append(line)
        return "\n".join(out).strip()

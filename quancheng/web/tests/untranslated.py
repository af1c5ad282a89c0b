"""Find internal names that reach a person untranslated (issue 18): the visible text of a page
or a PDF holding a dotted ledger action, a snake_case enum value, or an English sentence.

Visible text only: ``<script>``, ``<style>``, ``<code>``/``<pre>``/``<kbd>``/``<samp>`` and any
element of class ``code`` (where a code is shown on purpose, small, beside its Chinese name) are
skipped; of the attributes only ``title``, ``aria-label`` and ``placeholder`` are read. URLs,
e-mail addresses and file names are not words.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

SKIPPED = {"script", "style", "code", "pre", "kbd", "samp", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip
READ_ATTRIBUTES = ("title", "aria-label", "placeholder")
# Names people read as they are: standards, formats, algorithms, products. Kept small on purpose:
# a page is fixed by translating, not by adding here.
ALLOWED = [
    "SHA-256", "SHA-512", "SM2", "SM3", "SM4", "PDF", "API", "MP4", "BagIt", "RFC", "JSON", "CSV",
    "XML", "ZIP", "URL", "HTTP", "HTTPS", "S3", "WORM", "OpenAPI", "Merkle", "PIN", "ID", "OSD",
    "GB/T", "UTC", "JCS", "tus", "PAdES", "CMS", "OCR", "IP", "CA", "OK", "QR", "Ed25519",
]  # fmt: skip
URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://|/)[^\s，。；、）)]*|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
FILE_NAME = re.compile(
    r"\b[\w-]+(?:\.[\w-]+)*\.(?:mp4|mov|avi|mkv|pdf|jpg|jpeg|png|gif|zip|json|jsonl|txt|csv|xml"
    r"|wav|mp3|tar|gz|html|key|pem|crt|cer|sig|log|py|sqlite3|ofd|docx?|xlsx?)\b",
    re.IGNORECASE,
)
DOTTED = re.compile(r"\b[a-z_]+\.[a-z_]+\b")
# A rule id alone where its Chinese name belongs ("A11-dispute", "TWO-officers"); in brackets
# after the name, "争议时全程记录（A11-dispute）", it is the code beside its name (a <select>'s
# options cannot hold a small code element).
RULE_ID = re.compile(r"(?<![（(])\b[A-Z][A-Z0-9]*-[a-z][a-z-]*\b(?![）)])")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
WORD = r"[A-Za-z][A-Za-z'’-]*"
SENTENCE = re.compile(rf"\b{WORD}(?:[ \t]+{WORD}){{2,}}\b")
# A line that is one lowercase word alone: a field name or value shown as stored ("action").
BARE = re.compile(r"^[a-z][a-z_]*$", re.MULTILINE)
_ALLOWED = re.compile("|".join(rf"(?<![\w-]){re.escape(a)}(?![\w-])" for a in ALLOWED))


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.parts: list[str] = []
        self.codes: list[str] = []  # the text of skipped elements (codes shown on purpose)

    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        skipped = tag in SKIPPED or "code" in classes
        if not self._skipping() and not skipped:
            self.parts += [attrs[a] for a in READ_ATTRIBUTES if attrs.get(a)]
        if tag not in VOID:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        (self.codes if self._skipping() else self.parts).append(data)


def _parsed(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser


def visible_text(html: str) -> str:
    return "\n".join(p.strip() for p in _parsed(html).parts if p.strip())


def code_text(html: str) -> str:
    """The text of the elements that hold codes on purpose (a PDF's text keeps no tags)."""
    return "\n".join(_parsed(html).codes)


def untranslated(text: str) -> list[str]:
    """The internal names and English sentences in a visible text."""
    text = URL.sub(" ", FILE_NAME.sub(" ", text))
    text = _ALLOWED.sub("。", text)
    found = DOTTED.findall(text) + SNAKE.findall(text) + SENTENCE.findall(text)
    found += BARE.findall(text) + RULE_ID.findall(text)
    return sorted(set(found))

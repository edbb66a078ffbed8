"""A strict structural check of the generated pages with the standard library's HTML parser:
balanced elements, unique ids, semantic tables, accessible charts, no external loads."""
from __future__ import annotations

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
EXTERNAL = ("http:", "https:", "//")


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.problems: list[str] = []
        self.ids: set[str] = set()
        self.tables: list[dict] = []
        self.svgs: list[dict] = []
        self.doctype = None
        self.html_lang = None
        self.elements: list[tuple[str, dict]] = []
        self.first_tag = None

    def handle_decl(self, decl):
        self.doctype = decl

    def _open(self, tag, attrs, closed):
        a = dict(attrs)
        self.first_tag = self.first_tag or tag
        self.elements.append((tag, a))
        if "id" in a:
            if a["id"] in self.ids:
                self.problems.append(f"duplicate id {a['id']!r}")
            self.ids.add(a["id"])
        for k, v in a.items():
            if k.startswith("on"):
                self.problems.append(f"inline handler {k} on <{tag}>")
            if k in ("src", "href", "action", "data", "poster") and v and v.strip().lower().startswith(EXTERNAL):
                self.problems.append(f"external {k} on <{tag}>: {v}")
        if tag in ("link", "iframe", "object", "embed", "base"):
            self.problems.append(f"<{tag}> not allowed")
        if tag == "script" and (a.get("src") is not None or a.get("type") not in (None, "application/json")):
            self.problems.append(f"script with src/type {a}")
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "table":
            self.tables.append({"thead": False, "th": 0, "th_scoped": 0, "caption": False})
        if self.tables and self.stack_has("table"):
            t = self.tables[-1]
            if tag == "thead":
                t["thead"] = True
            if tag == "caption":
                t["caption"] = True
            if tag == "th":
                t["th"] += 1
                t["th_scoped"] += "scope" in a
        if tag == "svg":
            self.svgs.append({"role": a.get("role"), "label": a.get("aria-label") or a.get("aria-labelledby"),
                              "hidden": a.get("aria-hidden") == "true", "children": []})
        elif self.stack and self.stack[-1][0] == "svg":
            self.svgs[-1]["children"].append(tag)
        if tag == "td" or tag == "th":
            if not self.stack or self.stack[-1][0] != "tr":
                self.problems.append(f"<{tag}> outside <tr>")
        if tag == "tr" and (not self.stack or self.stack[-1][0] not in ("thead", "tbody", "tfoot")):
            self.problems.append("<tr> outside thead/tbody")
        if not closed and tag not in VOID:
            self.stack.append((tag, a))

    def stack_has(self, tag):
        return any(t == tag for t, _ in self.stack) or tag == "table"

    def handle_starttag(self, tag, attrs):
        self._open(tag, attrs, False)

    def handle_startendtag(self, tag, attrs):
        self._open(tag, attrs, True)

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problems.append(f"end tag for void <{tag}>")
            return
        if not self.stack or self.stack[-1][0] != tag:
            open_ = self.stack[-1][0] if self.stack else None
            self.problems.append(f"</{tag}> closes <{open_}>")
            for i in range(len(self.stack) - 1, -1, -1):
                if self.stack[i][0] == tag:
                    del self.stack[i:]
                    break
            return
        self.stack.pop()


def check(html: str) -> tuple[Checker, list[str]]:
    c = Checker()
    c.feed(html)
    c.close()
    problems = list(c.problems)
    if (c.doctype or "").lower() != "doctype html":
        problems.append(f"doctype {c.doctype!r}")
    if c.stack:
        problems.append(f"unclosed {[t for t, _ in c.stack]}")
    if not c.html_lang:
        problems.append("no lang on <html>")
    for i, t in enumerate(c.tables):
        if not t["thead"] or not t["caption"]:
            problems.append(f"table {i} without thead/caption")
        if t["th"] != t["th_scoped"]:
            problems.append(f"table {i}: {t['th'] - t['th_scoped']} th without scope")
    for i, s in enumerate(c.svgs):
        # a chart is an image; a map whose regions are links is a group (an image hides its links)
        if s["hidden"]:  # decorative (a legend swatch beside its text)
            continue
        if s["role"] not in ("img", "group") or not s["label"] or s["children"][:2] != ["title", "desc"]:
            problems.append(f"svg {i} lacks role/aria-label/title/desc: {s['role']}, {s['children'][:2]}")
    return c, problems

"""An item's body for screens: the print HTML of the Markdown stage, reshaped.

The print form suits a page: footnotes sit inline (the PDF floats them to the foot of
the page), section headings start at h3 under the item's h2, images are plain ``<img>``
with a file URL. On a screen page the item's title is the one ``h1``, so headings move
up a level and never skip one; footnotes become numbered links to notes at the end, each
with a link back; a paragraph holding only an image becomes a ``<figure>`` (its Markdown
title is the caption); image files are addressed inside the edition; and a marker
("p. 14") stands before the first block printed on each page of the reader.

The input is HTML that reader made from escaped text, so it is parsed into a small tree
and written out again as polyglot markup (valid HTML and XHTML, for the EPUB). Anything
unexpected is dropped rather than passed on: an element not in ALLOWED, a link that is not
web, mail or in-page, an image that is not one of the item's checked files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from markupsafe import Markup, escape

VOID = {"br", "hr", "img"}
ALLOWED = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "a", "code", "pre",
           "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td",
           "img", "br", "hr", "s", "del", "span", "sup", "sub", "figure", "figcaption",
           "caption"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"},
              "th": {"style"}, "td": {"style"}, "code": {"class"}, "span": {"class"},
              "caption": {"class"}}
SAFE_HREF = re.compile(r"^(https?:|mailto:|#)", re.I)
ALIGN = re.compile(r"^text-align:(left|right|center)$")
MAX_DEPTH = 200          # nesting deeper than any Markdown a person writes


@dataclass
class Node:
    tag: str                                  # "" for text
    attrs: dict[str, str] = field(default_factory=dict)
    children: list["Node"] = field(default_factory=list)
    text: str = ""
    parent: "Node | None" = None


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID and len(self.stack) < MAX_DEPTH:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(Node("", text=data))


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


@dataclass
class Image:
    src: str            # the address inside the edition
    alt: str
    decorative: bool


@dataclass
class Body:
    html: Markup
    notes: list[Markup]                       # the footnotes' bodies, in order
    pages: list[int]                          # the printed pages that have a marker here


@dataclass
class _Context:
    prefix: str                               # ids on this page are unique: item-3-note-1
    images: dict[str, Image]
    block_pages: dict[str, int]
    last_page: int
    epub: bool
    notes: list[Markup] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    heading: int = 1                          # the level of the last heading written


def screen_body(html: str, *, prefix: str, images: dict[str, Image],
                block_pages: dict[str, int] | None = None, first_page: int = 0,
                epub: bool = False) -> Body:
    """The item's print HTML as a screen page's body (see the module's docstring).

    ``images`` maps the file URL each image has in the print HTML to its address and alt
    text in this edition; ``block_pages`` gives the printed page of blocks by id;
    ``first_page`` is the page the item starts on (its marker is the template's).
    """
    context = _Context(prefix, images, block_pages or {}, first_page, epub)
    root = parse(html)
    _captions(root)
    out: list[str] = []
    for child in root.children:
        _block(child, context, out)
    return Body(Markup("".join(out)), context.notes, context.pages)


CAPTION = re.compile(r"^\s*Table:\s*")


def _text_of(node: Node) -> str:
    return node.text if not node.tag else "".join(_text_of(c) for c in node.children)


def _captions(root: Node) -> None:
    """A Markdown table's caption is the paragraph beside it that starts "Table:" (Pandoc's
    convention); without one, the table is named by its columns, for screen readers."""
    blocks = [c for c in root.children if c.tag or c.text.strip()]
    for n, table in enumerate(blocks):
        if table.tag != "table":
            continue
        caption = None
        for neighbour in (blocks[n + 1] if n + 1 < len(blocks) else None,
                          blocks[n - 1] if n > 0 else None):
            if neighbour is not None and neighbour.tag == "p" and \
                    CAPTION.match(_text_of(neighbour)):
                caption = neighbour
                break
        if caption is not None:
            root.children.remove(caption)
            first = next((c for c in caption.children), None)
            if first is not None and not first.tag:
                first.text = CAPTION.sub("", first.text, count=1)
            node = Node("caption", {}, caption.children, parent=table)
        else:
            head = [_text_of(th).strip() for th in _cells(table, "th")]
            node = Node("caption", {"class": "visually-hidden"},
                        [Node("", text="Table: " + ", ".join(h for h in head if h))],
                        parent=table)
        table.children.insert(0, node)


def _cells(node: Node, tag: str) -> list[Node]:
    found = []
    for child in node.children:
        if child.tag == tag:
            found.append(child)
        elif child.tag:
            found.extend(_cells(child, tag))
    return found


def page_marker(page: int, epub: bool) -> str:
    """The place where printed page ``page`` begins: announced, linkable, and cited."""
    kind = ' epub:type="pagebreak"' if epub else ""
    return (f'<span class="page-marker" id="page-{page}" role="doc-pagebreak"{kind} '
            f'aria-label="page {page}">p.&#160;{page}</span>')


def _block(node: Node, ctx: _Context, out: list[str]) -> None:
    """A top-level block: a page marker first if the reader's page changes here."""
    page = ctx.block_pages.get(node.attrs.get("id", ""), 0)
    if page > ctx.last_page:
        # A page that begins inside a block (a long paragraph) gets no marker of its own.
        out.append(page_marker(page, ctx.epub))
        ctx.pages.append(page)
        ctx.last_page = page
    if node.tag == "p" and _only_image(node):
        _figure(node, ctx, out)
        return
    _write(node, ctx, out)


def _only_image(node: Node) -> bool:
    meaningful = [c for c in node.children if c.tag or c.text.strip()]
    return len(meaningful) == 1 and meaningful[0].tag == "img"


def _figure(paragraph: Node, ctx: _Context, out: list[str]) -> None:
    img = next(c for c in paragraph.children if c.tag == "img")
    caption = img.attrs.get("title", "").strip()
    attrs = f' id="{escape(paragraph.attrs["id"])}"' if "id" in paragraph.attrs else ""
    out.append(f"<figure{attrs}>")
    _write(img, ctx, out)
    if caption:
        out.append(f"<figcaption>{escape(caption)}</figcaption>")
    out.append("</figure>")


def _write(node: Node, ctx: _Context, out: list[str]) -> None:
    if not node.tag:
        out.append(str(escape(node.text)))
        return
    if node.tag == "span" and "footnote" in node.attrs.get("class", "").split():
        _note_reference(node, ctx, out)
        return
    if node.tag not in ALLOWED:
        for child in node.children:       # the text stays; the element does not
            _write(child, ctx, out)
        return
    tag = node.tag
    attrs = _attributes(node, ctx)
    if attrs is None:                      # an image that is not the item's: left out
        return
    if re.fullmatch(r"h[1-6]", tag):
        tag = _heading(int(tag[1]), ctx)
    if "id" in node.attrs and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", node.attrs["id"]):
        attrs = f' id="{node.attrs["id"]}"' + attrs
    if tag in VOID:
        out.append(f"<{tag}{attrs} />")
        return
    out.append(f"<{tag}{attrs}>")
    for child in node.children:
        _write(child, ctx, out)
    out.append(f"</{tag}>")


def _heading(level: int, ctx: _Context) -> str:
    """Print headings start at h3 (under the item's h2); here the item's title is the h1:
    one level up, and never more than one below the heading before it."""
    wanted = max(2, level - 1)
    ctx.heading = min(wanted, ctx.heading + 1)
    return f"h{ctx.heading}"


def _attributes(node: Node, ctx: _Context) -> str | None:
    allowed = ATTRIBUTES.get(node.tag, set())
    kept: dict[str, str] = {}
    for name, value in node.attrs.items():
        if name not in allowed:
            continue
        if name == "href" and not SAFE_HREF.match(value):
            continue
        if name == "style":
            # Column alignment, as a class: the pages' CSP allows no inline styles.
            align = ALIGN.fullmatch(value.replace(" ", ""))
            if align:
                kept["class"] = f"align-{align.group(1)}"
            continue
        kept[name] = value
    if node.tag == "th":
        kept["scope"] = "col" if _in_head(node) else "row"
    if node.tag == "img":
        image = ctx.images.get(kept.get("src", ""))
        if image is None:
            return None
        kept["src"] = image.src
        kept["alt"] = "" if image.decorative else image.alt
        kept.pop("title", None)            # shown as the figure's caption instead
    return "".join(f' {name}="{escape(value)}"' for name, value in kept.items())


def _in_head(node: Node) -> bool:
    parent = node.parent
    while parent is not None and parent.tag not in ("thead", "table"):
        parent = parent.parent
    return parent is not None and parent.tag == "thead"


def _note_reference(span: Node, ctx: _Context, out: list[str]) -> None:
    """A footnote: a numbered link here, its text in the notes at the end."""
    body: list[str] = []
    for child in span.children:
        _write(child, ctx, body)
    ctx.notes.append(Markup("".join(body)))
    n = len(ctx.notes)
    kind = ' epub:type="noteref"' if ctx.epub else ""
    out.append(f'<a class="noteref" href="#{ctx.prefix}-note-{n}" id="{ctx.prefix}-ref-{n}" '
               f'role="doc-noteref"{kind}><sup>{n}</sup></a>')

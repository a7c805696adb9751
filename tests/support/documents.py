"""Generate fixture files (PDF, DOCX, HTML, broken files) into a folder at test time.

No binary fixtures are committed: every test builds what it needs with these helpers.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

# ----------------------------------------------------------------------------- PDF


def make_pdf(
    path: Path,
    pages: list[list[str]],
    title: str | None = None,
    encrypt: str | None = None,
    draw_only_shapes: bool = False,
) -> Path:
    """A PDF with one line of text per entry, top-down, one list per page.

    encrypt: a user password (reportlab's standard encryption). draw_only_shapes: no text at all
    (a "scanned" PDF)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = Path(path)
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=encrypt)
    if title:
        c.setTitle(title)
    _, height = A4
    for lines in pages:
        if draw_only_shapes:
            c.setFillGray(0.4)
            c.rect(72, 300, 300, 300, fill=1)
        else:
            y = height - 72
            c.setFont("Helvetica", 11)
            for line in lines:
                if line:
                    c.drawString(72, y, line)
                y -= 16
        c.showPage()
    c.save()
    return path


# Three pages: a title page with a table of contents, then numbered chapters. Known words sit on
# known pages: "kiwi" (p2, section 1), "kastanje" (p2, section 1.1), "zebra" (p3, section 2), and
# a sentence cut by the page break 2 -> 3 ("technische | innovaties").
PLAN_PDF_PAGES: list[list[str]] = [
    [
        "Regionaal Plan Testland",
        "Strategisch plan 2030",
        "",
        "Inhoudsopgave",
        "1 Inleiding 2",
        "1.1 Achtergrond 2",
        "2 Doelstelling 3",
        "",
        "1",
    ],
    [
        "1 Inleiding",
        "De kiwi is een bijzondere vogel die in dit plan een rol speelt. Wij werken aan",
        "een sterke regio voor iedereen. Dat doen we samen met alle partners.",
        "1.1 Achtergrond",
        "De achtergrond gaat over de kastanje en over de regio.",
        "Wij stimuleren investeringen in technische",
        "",
        "2",
    ],
    [
        "innovaties en in de circulaire economie van de regio.",
        "2 Doelstelling",
        "De zebra staat centraal in de doelstelling van het plan. We kiezen drie punten:",
        "- Eerste punt van de lijst;",
        "- Tweede punt van de lijst;",
        "- Derde punt van de lijst.",
        "",
        "3",
    ],
]


def make_plan_pdf(path: Path, **kw) -> Path:
    return make_pdf(path, PLAN_PDF_PAGES, title=kw.pop("title", "Testplan PDF"), **kw)


# ----------------------------------------------------------------------------- DOCX


def make_docx(path: Path, blocks: list[tuple[str, str]], title: str | None = None) -> Path:
    """blocks: ("h1"|"h2"|"h3", text) headings, ("p", text) paragraphs, ("li", text) bullet items."""
    import docx

    d = docx.Document()
    if title is not None:
        d.core_properties.title = title
    for kind, text in blocks:
        if kind.startswith("h"):
            d.add_heading(text, level=int(kind[1:]))
        elif kind == "li":
            d.add_paragraph(text, style="List Bullet")
        else:
            d.add_paragraph(text)
    d.save(str(path))
    return Path(path)


PLAN_DOCX_BLOCKS: list[tuple[str, str]] = [
    ("h1", "1 Inleiding"),
    ("p", "Dit document beschrijft het plan voor de regio. De regio groeit snel."),
    ("h2", "1.1 Aanpak"),
    ("p", "Wij kiezen voor drie sporen in de aanpak:"),
    ("li", "Innovatie in de maakindustrie;"),
    ("li", "Talent voor de arbeidsmarkt;"),
    ("li", "Bereikbaarheid van de regio."),
    ("p", "Deze sporen versterken elkaar."),
    ("h1", "2 Slot"),
    ("p", "Het slot vat het plan samen in een paar zinnen."),
]


def make_plan_docx(path: Path, title: str | None = "Testplan DOCX") -> Path:
    return make_docx(path, PLAN_DOCX_BLOCKS, title=title)


# ----------------------------------------------------------------------------- HTML

HOSTILE_HTML = """<!DOCTYPE html>
<html>
<head>
  <title>Testpagina Twente</title>
  <script>alert(1)</script>
  <style>body { color: red; }</style>
</head>
<body onload="alert(2)">
  <nav><a href="/">Home</a> | <a href="/x">Menu</a></nav>
  <h1>Regionale strategie</h1>
  <p>De regio <b>investeert</b> in <a href="http://example.org">innovatie</a>. Dat is belangrijk.</p>
  <script type="text/javascript">document.write("<img src=x onerror=alert(1)>")</script>
  <!-- <p>verborgen commentaar</p> -->
  <h2>Actielijnen</h2>
  <p>Wij werken aan drie actielijnen:</p>
  <ul>
    <li>Techniek als motor;</li>
    <li>Talent en <i>arbeidsmarkt</i>;</li>
    <li>Bereikbaarheid.</li>
  </ul>
  <p>Tekst met &lt;script&gt;alert(3)&lt;/script&gt; als letterlijke tekst.</p>
  <iframe src="http://evil.example"></iframe>
  <noscript>Zet javascript aan</noscript>
  <template><p>sjabloon</p></template>
</body>
</html>
"""


def make_html(path: Path, html: str = HOSTILE_HTML) -> Path:
    Path(path).write_text(html, encoding="utf-8")
    return Path(path)


# ----------------------------------------------------------------------------- broken files


def random_bytes(n: int = 4096, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    data = bytes(rng.randrange(256) for _ in range(n))
    return data.replace(b"%PDF", b"%PXF")


def make_zip_not_docx(path: Path) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a word document")
    Path(path).write_bytes(buf.getvalue())
    return Path(path)


# ----------------------------------------------------------------------------- the plan as a PDF


def plan_pdf_pages_from_markdown(md: str, lines_per_page: int = 45, width: int = 90) -> list[list[str]]:
    """Lay the markdown plan out as plain PDF lines (as a text extraction would give them): no
    markup, wrapped paragraphs, indented continuation lines in list items, a running footer and a
    page number on every page. The image description (an artefact of the PDF->markdown
    conversion, not of PDFs) is left out."""
    import re
    import textwrap

    lines: list[str] = []
    for para in md.split("\n\n"):
        p = re.sub(r"<[^>]+>|\*\*|^#+ |\*", "", para.strip(), flags=re.M).replace("\t", "  ")
        p = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", p)
        if not p or p == "---" or p.startswith("A vertical"):
            continue
        if p.startswith("- ") or "\n- " in p:
            for item in p.split("\n"):
                lines += textwrap.wrap(item.strip(), width, subsequent_indent="  ")
        elif len(p.split("\n")) > 3 and all(re.search(r"\d\s*$", ln) for ln in p.split("\n")):  # the TOC
            lines += [ln.strip() for ln in p.split("\n")]
        else:
            lines += textwrap.wrap(re.sub(r"\s+", " ", p), width)
    # Helvetica in reportlab is Latin-1 only
    table = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-"})
    lines = [ln.translate(table) for ln in lines]
    return [
        [*lines[i : i + lines_per_page], "", "Strategisch plan Twente Board", str(i // lines_per_page + 1)]
        for i in range(0, len(lines), lines_per_page)
    ]


# ----------------------------------------------------------------------------- scans (no text layer)

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian's fonts-dejavu-core
SCAN_DPI = 200


def render_page(lines: list[str], font_px: int = 34):
    """A white A4 page at SCAN_DPI with the lines in black DejaVu Sans: what a scanner returns."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("L", (round(8.27 * SCAN_DPI), round(11.69 * SCAN_DPI)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(DEJAVU), font_px)
    y = 150
    for line in lines:
        draw.text((150, y), line, font=font, fill=0)
        y += round(font_px * 1.4)
    return image


def make_scanned_pdf(path: Path, pages: list[list[str]], title: str | None = None) -> Path:
    """A PDF of page images only (no text layer), one image per list of lines."""
    images = [render_page(lines) for lines in pages]
    extra = {"title": title} if title else {}
    images[0].save(path, "PDF", resolution=SCAN_DPI, save_all=True, append_images=images[1:], **extra)
    return Path(path)


def make_mixed_pdf(path: Path, pages: list[tuple[str, list[str]]]) -> Path:
    """A PDF of ("text", lines) pages with a text layer and ("scan", lines) pages that are only an image."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    for kind, lines in pages:
        if kind == "scan":
            c.drawImage(ImageReader(render_page(lines)), 0, 0, width=width, height=height)
        else:
            c.setFont("Helvetica", 11)
            for i, line in enumerate(lines):
                c.drawString(72, height - 72 - 16 * i, line)
        c.showPage()
    c.save()
    return Path(path)


def make_page_image(path: Path, lines: list[str]) -> Path:
    """A scanned page as PNG or JPEG (by the suffix of `path`)."""
    render_page(lines).save(path)
    return Path(path)

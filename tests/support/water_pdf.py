"""A small made-up PDF (a test fixture, not policy): three pages, numbered sections, the answer to
WATER_PDF_QUESTION on page 2. Built with reportlab's invariant mode, so it is the same bytes each time."""

from __future__ import annotations

import io

WATER_PDF_QUESTION = "Hoeveel geld heeft het Waterfonds Regge?"


def water_pdf_bytes() -> bytes:
    """Three pages; the answer is on page 2, under its own heading."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle("Nota Waterbeheer Regge")
    pages = [
        ["1 Aanleiding", "Het waterschap werkt aan schoon water in de Regge.", "De nota beschrijft de plannen."],
        [
            "2 Waterfonds",
            "Het Waterfonds Regge heeft 4,2 miljoen euro voor herstel van beken.",
            "Boeren en gemeenten kunnen tot en met 2027 een bijdrage vragen.",
        ],
        ["3 Planning", "De eerste projecten starten in het voorjaar.", "Een evaluatie volgt na drie jaar."],
    ]
    for lines in pages:
        y = 780
        for i, line in enumerate(lines):
            c.setFont("Helvetica-Bold" if i == 0 else "Helvetica", 14 if i == 0 else 11)
            c.drawString(72, y, line)
            y -= 28
        c.showPage()
    c.save()
    return buf.getvalue()

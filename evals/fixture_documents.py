"""The two invented policy papers of the multi-document evaluation (evals/data/documents/): a Word
note and a PDF agenda, written here as text and rendered with python-docx and reportlab.

They are TEST FIXTURES, not policy: the organisations are real Twente names, but every plan,
amount, date and person in them is made up. They are never part of corpus/; `assistant eval --set
multidoc` copies them beside the plan into a corpus folder of its own work dir.

    python -m evals.fixture_documents        # rewrite both files (identical bytes on a rebuild)

Rendering is deterministic: fixed document properties and dates, fixed zip entry times (Word) and
reportlab's invariant mode (PDF), so tests/unit/test_multidoc_data.py can check that the committed
files are what this script makes.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

DOCUMENTS_DIR = Path(__file__).resolve().parent / "data" / "documents"
NOTE_FILE = "notitie-regio-deal-twente.docx"
AGENDA_FILE = "uitvoeringsagenda-arbeidsmarkt-twente-2024.pdf"
FIXTURE_MARK = "Testdocument: dit stuk is verzonnen voor de evaluatie van de Twente-assistent en is geen beleidsstuk."

# A block: (kind, content). Kinds: title, subtitle, meta, para, mark, h1, h2, list, table, page.
Block = tuple[str, object]

NOTE: list[Block] = [
    ("title", "Notitie Regio Deal Twente"),
    ("subtitle", "Terugblik op de eerste tranche en inzet voor de tweede tranche (2025-2027)"),
    ("meta", "Aan: Algemeen Bestuur Regio Twente"),
    ("meta", "Van: programmabureau Regio Deal Twente"),
    ("meta", "Datum: 12 maart 2024"),
    ("mark", FIXTURE_MARK),
    ("h1", "1 Aanleiding"),
    (
        "para",
        "In juli 2019 sloten het Rijk, de provincie Overijssel en de veertien Twentse gemeenten de eerste "
        "Regio Deal Twente. Het Rijk stelde daarvoor € 30 miljoen beschikbaar; met de bijdragen van de "
        "provincie, de gemeenten en de projectpartners groeide dat tot een investering van € 90 miljoen. "
        "De eerste tranche loopt op 31 december 2024 af.",
    ),
    (
        "para",
        "Het strategisch plan van de Twente Board noemt de Regio Deal het vliegwiel voor de Agenda voor "
        "Twente. Die rol houdt de Regio Deal ook in de tweede tranche: projecten die in de Regio Deal "
        "bewezen hebben te werken, kunnen daarna doorgroeien binnen de Agenda voor Twente.",
    ),
    (
        "para",
        "Deze notitie blikt kort terug op de eerste tranche en doet een voorstel voor de inzet van de "
        "tweede tranche, die loopt van 2025 tot en met 2027.",
    ),
    ("h1", "2 Terugblik op de eerste tranche"),
    (
        "para",
        "In de eerste tranche zijn 46 projecten gestart. Daarvan waren er op 1 januari 2024 al 31 afgerond. "
        "Drie voorbeelden laten zien wat de Regio Deal heeft opgeleverd:",
    ),
    (
        "list",
        [
            "de Fabriek van de Toekomst in Hengelo, waar mkb-bedrijven robotica en digitale productie "
            "kunnen uitproberen;",
            "het programma Twentse Kernen, dat in twaalf dorpen de leefbaarheid versterkte met voorzieningen "
            "die inwoners zelf beheren;",
            "het Circulair Textiellab in Enschede, waar bedrijven uit gebruikt textiel nieuwe garens ontwikkelen.",
        ],
    ),
    (
        "para",
        "Uit de tussentijdse evaluatie van adviesbureau Van Dijk & Nijhuis (november 2023) blijkt dat elke "
        "euro subsidie gemiddeld 1,80 euro aan private investeringen heeft aangetrokken. De evaluatie wijst "
        "ook op een zwak punt: de aanvraagprocedure was voor kleine partijen te zwaar.",
    ),
    ("h1", "3 Doelen van de tweede tranche"),
    (
        "para",
        "De tweede tranche werkt aan drie doelen. Ze sluiten aan bij de vier actielijnen uit het strategisch "
        "plan van de Twente Board, maar leggen de nadruk op de regio buiten de steden.",
    ),
    ("h2", "3.1 Brede welvaart in stad en platteland"),
    (
        "para",
        "Het verschil in brede welvaart tussen de steden en het platteland van Twente moet in 2027 kleiner "
        "zijn dan in 2022. Daarbij gaat het om werk, gezondheid, wonen en de nabijheid van voorzieningen. "
        "De voortgang volgen we met de Monitor Brede Welvaart Twente, die Kennispunt Twente elk jaar in "
        "oktober publiceert.",
    ),
    ("h2", "3.2 Innovatie en verdienvermogen"),
    (
        "para",
        "De tweede tranche richt zich op drie van de vier impactportfolio's uit het strategisch plan: "
        "digitalisering, circulaire economie en sleuteltechnologieën. Innovatie in de zorg valt buiten deze "
        "tranche, omdat daarvoor een afzonderlijke zorgagenda in voorbereiding is. Ten minste 40 procent van "
        "het budget voor dit doel gaat naar projecten waarin een mkb-bedrijf penvoerder is.",
    ),
    ("h2", "3.3 Wonen, werken en bereikbaarheid"),
    (
        "para",
        "Onder dit doel vallen projecten voor de binnensteden van Almelo, Enschede en Hengelo, voor vitale "
        "kernen en voor betere verbindingen tussen wonen, werken en openbaar vervoer. Een voorbeeld is een "
        "snelbusverbinding tussen Oldenzaal en het Kennispark in Enschede.",
    ),
    ("h1", "4 Financiën"),
    (
        "para",
        "Voor de tweede tranche vraagt de regio het Rijk om € 25 miljoen. De regio legt daar zelf € 35 miljoen "
        "naast: € 20 miljoen van de provincie Overijssel en € 15 miljoen van de gemeenten samen. De verdeling "
        "over de doelen is als volgt:",
    ),
    (
        "table",
        [
            ["Doel", "Bijdrage Rijk", "Bijdrage regio", "Totaal"],
            ["Brede welvaart in stad en platteland", "€ 9 miljoen", "€ 13 miljoen", "€ 22 miljoen"],
            ["Innovatie en verdienvermogen", "€ 11 miljoen", "€ 15 miljoen", "€ 26 miljoen"],
            ["Wonen, werken en bereikbaarheid", "€ 5 miljoen", "€ 7 miljoen", "€ 12 miljoen"],
            ["Totaal", "€ 25 miljoen", "€ 35 miljoen", "€ 60 miljoen"],
        ],
    ),
    (
        "para",
        "Een project krijgt ten hoogste 50 procent van de kosten vergoed. De rest brengen de projectpartners "
        "zelf in, in geld of in uren.",
    ),
    ("h1", "5 Organisatie"),
    (
        "para",
        "De Stuurgroep Regio Deal Twente besluit over de toekenning van middelen aan projecten. In de "
        "stuurgroep zitten de voorzitter van de Twente Board, de gedeputeerde Economie van de provincie "
        "Overijssel en drie burgemeesters namens de Twentse gemeenten. Voorzitter van de stuurgroep is "
        "Anne Kamphuis.",
    ),
    (
        "para",
        "Het programmabureau Regio Deal Twente is ondergebracht bij Regio Twente in Enschede en wordt geleid "
        "door programmamanager Joost Wiegerink. Het programmabureau begeleidt aanvragers, bewaakt de "
        "voortgang en legt verantwoording af aan het Rijk.",
    ),
    (
        "para",
        "Een onafhankelijke adviescommissie van vijf deskundigen beoordeelt elk projectvoorstel op drie criteria:",
    ),
    (
        "list",
        [
            "de bijdrage aan een van de drie doelen;",
            "de betrokkenheid van ondernemers, onderwijs en overheid;",
            "de kans dat het project na afloop zonder subsidie doorgaat.",
        ],
    ),
    (
        "para",
        "Twente Board Development toetst vooraf of een voorstel past bij de strategische agenda van de Twente "
        "Board. Om kleine partijen tegemoet te komen, komt er voor projecten tot € 250.000 een verkorte "
        "aanvraagprocedure.",
    ),
    ("h1", "6 Planning"),
    ("para", "De planning voor 2024 en 2025 ziet er als volgt uit:"),
    (
        "list",
        [
            "15 april 2024: bespreking van deze notitie in het Algemeen Bestuur van Regio Twente;",
            "1 juli 2024: indiening van het voorstel bij het ministerie van Binnenlandse Zaken en Koninkrijksrelaties;",
            "november 2024: ondertekening van de tweede Regio Deal Twente (verwacht);",
            "1 januari 2025: start van de tweede tranche;",
            "voorjaar 2026: tussentijdse evaluatie.",
        ],
    ),
    ("para", "De tweede tranche loopt tot en met 31 december 2027."),
    ("h1", "7 Gevraagd besluit"),
    ("para", "Het Algemeen Bestuur wordt gevraagd:"),
    (
        "list",
        [
            "in te stemmen met de drie doelen van de tweede tranche;",
            "het programmabureau opdracht te geven het voorstel aan het Rijk uit te werken;",
            "in te stemmen met een gemeentelijke cofinanciering van € 15 miljoen, te verdelen naar inwonertal.",
        ],
    ),
]

AGENDA_TITLE = "Uitvoeringsagenda Arbeidsmarkt Twente 2024"
AGENDA: list[Block] = [
    # page 1
    ("title", AGENDA_TITLE),
    ("subtitle", "Samen werken aan werk in Twente"),
    ("meta", "Regionaal Werkbedrijf Twente, vastgesteld op 7 februari 2024"),
    ("mark", FIXTURE_MARK),
    (
        "toc",
        [
            ("1", "Inleiding", "1"),
            ("2", "De arbeidsmarkt in cijfers", "2"),
            ("3", "Actielijnen", "2"),
            ("4", "Organisatie en budget", "4"),
            ("5", "Monitoring en planning", "4"),
        ],
    ),
    ("h1", "1 Inleiding"),
    (
        "para",
        "Twente heeft werk genoeg, maar niet altijd de mensen die daarbij passen. Tegelijk staan er nog te "
        "veel mensen langs de kant. Deze uitvoeringsagenda beschrijft wat de Twentse partners in 2024 doen "
        "om vraag en aanbod op de arbeidsmarkt beter bij elkaar te brengen.",
    ),
    (
        "para",
        "De agenda werkt de actielijn Arbeidsmarkt & Talent uit het strategisch plan van de Twente Board uit "
        "voor het jaar 2024. Ze is opgesteld door het Regionaal Werkbedrijf Twente, waarin de veertien "
        "Twentse gemeenten, UWV, werkgevers, werknemers en het onderwijs samenwerken.",
    ),
    ("page", None),
    # page 2
    ("h1", "2 De arbeidsmarkt in cijfers"),
    (
        "para",
        "In 2023 stonden er in Twente gemiddeld 14.800 vacatures open. De werkloosheid kwam uit op 3,4 procent "
        "van de beroepsbevolking, iets onder het landelijk gemiddelde. Het grootste tekort is er aan technici "
        "op mbo-niveau, aan medewerkers in de zorg en aan leraren in het basisonderwijs.",
    ),
    (
        "para",
        "Tot 2030 daalt het aantal inwoners tussen 15 en 67 jaar naar verwachting met 4 procent. Zonder extra "
        "inzet groeit het tekort aan personeel daardoor verder. De cijfers in dit hoofdstuk komen uit de "
        "Arbeidsmarktmonitor Twente van Kennispunt Twente, met als peildatum 1 januari 2024.",
    ),
    ("h1", "3 Actielijnen"),
    (
        "para",
        "De agenda kent vier actielijnen: leven lang ontwikkelen, techniektalent, een inclusieve arbeidsmarkt "
        "en grensoverschrijdend werken.",
    ),
    ("h2", "3.1 Leven lang ontwikkelen"),
    (
        "para",
        "Iedere werkende in Twente kan in 2024 een gratis ontwikkeladvies krijgen bij het Leerwerkloket "
        "Twente. Het doel is 2.500 ontwikkeladviezen in 2024. Werkgevers met minder dan 50 medewerkers kunnen "
        "daarnaast een scholingsvoucher aanvragen van ten hoogste € 1.500 per medewerker.",
    ),
    ("page", None),
    # page 3
    ("h2", "3.2 Techniektalent"),
    (
        "para",
        "Samen met de Universiteit Twente, Saxion en ROC van Twente willen we meer jongeren voor techniek "
        "winnen. In 2026 moeten 10 procent meer leerlingen voor een technische mbo-opleiding kiezen dan in "
        "2022. De acties in 2024 zijn:",
    ),
    (
        "list",
        [
            "de Techniekweek Twente, van 7 tot en met 12 oktober 2024;",
            "gastlessen door technici uit het bedrijfsleven op 60 basisscholen;",
            "een zij-instroomtraject dat 200 volwassenen omschoolt naar een technisch beroep.",
        ],
    ),
    ("h2", "3.3 Inclusieve arbeidsmarkt"),
    (
        "para",
        "Het project Werk in de Wijk begeleidt in 2024 400 mensen met een afstand tot de arbeidsmarkt naar "
        "betaald werk. Statushouders krijgen een gecombineerd taal- en werktraject van twaalf maanden. Voor "
        "arbeidsmigranten komen er informatiepunten in Almelo en Enschede, waar zij terechtkunnen met vragen "
        "over werk, wonen en zorg.",
    ),
    ("h2", "3.4 Grensoverschrijdend werken"),
    (
        "para",
        "Werken over de grens met Duitsland moet eenvoudiger worden. Het GrensInfoPunt houdt vanaf maart 2024 "
        "elke week een spreekuur in Oldenzaal. Daarnaast maken Twentse en Duitse werkgevers samen een "
        "vacaturebank voor de grensregio, die in september 2024 online komt.",
    ),
    ("page", None),
    # page 4
    ("h1", "4 Organisatie en budget"),
    ("para", "Het totale budget voor 2024 bedraagt € 6,4 miljoen. Het is als volgt over de actielijnen verdeeld:"),
    (
        "list",
        [
            "leven lang ontwikkelen: € 2,1 miljoen;",
            "techniektalent: € 1,8 miljoen;",
            "inclusieve arbeidsmarkt: € 2,0 miljoen;",
            "grensoverschrijdend werken: € 0,5 miljoen.",
        ],
    ),
    (
        "para",
        "Het geld komt van de Twentse gemeenten, de provincie Overijssel en het Rijk. Programmaleider is "
        "Sanne Oude Vrielink van het Regionaal Werkbedrijf Twente.",
    ),
    ("h1", "5 Monitoring en planning"),
    (
        "para",
        "Elk kwartaal verschijnt een voortgangsrapportage; de eerste op 15 april 2024. De resultaten worden "
        "ook voorgelegd aan de Twente Board, die in zijn strategisch plan de actielijn Arbeidsmarkt & Talent "
        "heeft opgenomen. In december 2024 besluit het Regionaal Werkbedrijf Twente over een vervolgagenda "
        "voor 2025.",
    ),
]

_FIXED_ZIP_TIME = (2024, 3, 12, 9, 0, 0)


def _stable_zip(data: bytes) -> bytes:
    """The zip package with every entry's time fixed (python-docx stamps the current time)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def note_docx() -> bytes:
    """The note as a Word file: Title, Heading 1/2 and List Bullet styles, one table."""
    import docx

    document = docx.Document()
    for kind, content in NOTE:
        if kind == "title":
            document.add_paragraph(str(content), style="Title")
        elif kind == "subtitle":
            document.add_paragraph(str(content), style="Subtitle")
        elif kind in ("meta", "para"):
            document.add_paragraph(str(content))
        elif kind == "mark":
            document.add_paragraph().add_run(str(content)).italic = True
        elif kind == "h1":
            document.add_heading(str(content), level=1)
        elif kind == "h2":
            document.add_heading(str(content), level=2)
        elif kind == "list":
            for item in content:  # type: ignore[attr-defined]
                document.add_paragraph(item, style="List Bullet")
        elif kind == "table":
            rows: list[list[str]] = content  # type: ignore[assignment]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        else:
            raise ValueError(f"block kind {kind!r} is not used in the note")
    props = document.core_properties
    props.title = "Notitie Regio Deal Twente"
    props.subject = "Testdocument (verzonnen) voor de evaluatie; geen beleid"
    props.author = "Programmabureau Regio Deal Twente (fictief)"
    props.last_modified_by = "evals/fixture_documents.py"
    props.keywords = "testdocument, fictief"
    props.comments = FIXTURE_MARK
    props.created = datetime(2024, 3, 12, 9, 0, 0)
    props.modified = datetime(2024, 3, 12, 9, 0, 0)
    props.last_printed = datetime(2024, 3, 12, 9, 0, 0)
    props.revision = 1
    buf = io.BytesIO()
    document.save(buf)
    return _stable_zip(buf.getvalue())


def agenda_pdf() -> bytes:
    """The agenda as a 4-page PDF with a text layer: a running header and a page number from page 2 on."""
    from reportlab.lib.enums import TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    from reportlab.platypus.flowables import Flowable

    sheet = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=sheet["BodyText"], fontName="Helvetica", fontSize=10.5, leading=15)
    styles = {
        "title": ParagraphStyle("t", parent=sheet["Title"], fontName="Helvetica-Bold", fontSize=22, leading=28),
        "subtitle": ParagraphStyle("st", parent=body, fontSize=14, leading=20, spaceAfter=12),
        "meta": body,
        "mark": ParagraphStyle("mark", parent=body, fontName="Helvetica-Oblique"),
        "h1": ParagraphStyle("h1", parent=sheet["Heading1"], fontName="Helvetica-Bold", fontSize=15, spaceBefore=14),
        "h2": ParagraphStyle("h2", parent=sheet["Heading2"], fontName="Helvetica-Bold", fontSize=12, spaceBefore=10),
        "para": body,
        "item": ParagraphStyle("item", parent=body, leftIndent=18, bulletIndent=6, alignment=TA_LEFT),
    }
    story: list[Flowable] = []
    for kind, content in AGENDA:
        if kind == "page":
            story.append(PageBreak())
        elif kind == "list":
            story += [Paragraph(item, styles["item"], bulletText="•") for item in content]  # type: ignore[attr-defined]
            story.append(Spacer(1, 6))
        elif kind == "toc":
            story.append(Paragraph("Inhoud", styles["h2"]))
            rows = [[n, t, p] for n, t, p in content]  # type: ignore[attr-defined]
            table = Table(rows, colWidths=[1.2 * cm, 11 * cm, 1.5 * cm], hAlign="LEFT")
            table.setStyle(
                TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 10.5), ("ALIGN", (2, 0), (2, -1), "RIGHT")])
            )
            story += [table, Spacer(1, 12)]
        else:
            story.append(Paragraph(str(content).replace("&", "&amp;"), styles[kind]))

    def furniture(canvas, doc) -> None:
        if doc.page == 1:
            return
        canvas.saveState()
        canvas.setFont("Helvetica", 8.5)
        canvas.drawString(2.5 * cm, A4[1] - 1.5 * cm, AGENDA_TITLE)
        canvas.drawRightString(A4[0] - 2.5 * cm, 1.5 * cm, str(doc.page))
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=2.5 * cm,
        rightMargin=2.5 * cm,
        topMargin=2.5 * cm,
        bottomMargin=2.5 * cm,
        title=AGENDA_TITLE,
        author="Regionaal Werkbedrijf Twente (fictief)",
        subject="Testdocument (verzonnen) voor de evaluatie; geen beleid",
        creator="evals/fixture_documents.py",
        keywords="testdocument, fictief",
        invariant=1,
    )
    doc.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return buf.getvalue()


def write_all(folder: Path = DOCUMENTS_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in ((NOTE_FILE, note_docx()), (AGENDA_FILE, agenda_pdf())):
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    return paths


if __name__ == "__main__":
    for p in write_all():
        print(p)

"""LoadedDocument -> flat list of Sections (document order) with repaired content text.

Two reading modes:
- markdown (md, docx, html renderings, txt with '#' headings): structure from '#' headings;
- plain (pdf, png/jpg, txt without headings): numbered heading lines ("6.1 Focus op ...") and TOC titles.

Both modes learn chapter/section numbers and titles from a table of contents when there is one
("Inhoudsopgave" / "Inhoud" / "Contents"); the TOC itself is not content.

Repairs: sentences cut by page breaks are joined, image descriptions dropped, markdown/HTML markup
stripped, pull quotes (between two horizontal rules) become sections of kind "quote", member lists
kind "members", the title page before the TOC kind "front". `Section.offset_map` maps every
position of the repaired text back to `doc.text`.
"""

from ingest.structure.offsets import OffsetMapper, map_offset
from ingest.structure.parse import parse_sections

__all__ = ["OffsetMapper", "map_offset", "parse_sections"]

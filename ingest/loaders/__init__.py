"""Files -> LoadedDocument (text + metadata), one loader per format; every failure is an IngestError."""

from ingest.loaders.dispatch import SUPPORTED_EXTENSIONS, load_file
from ingest.loaders.markup import blank_raw_html_blocks, strip_markup
from ingest.loaders.paths import discover, doc_id_for

__all__ = ["SUPPORTED_EXTENSIONS", "blank_raw_html_blocks", "discover", "doc_id_for", "load_file", "strip_markup"]

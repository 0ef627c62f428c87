"""Published listings (text, Markdown, HTML) to draft event configs. Pure: no I/O, no clock."""

from notifier.listing.convert import ImportOptions, ImportResult, import_listing
from notifier.listing.model import Candidate, ReportLine
from notifier.listing.read import read_listing

__all__ = [
    "Candidate",
    "ImportOptions",
    "ImportResult",
    "ReportLine",
    "import_listing",
    "read_listing",
]

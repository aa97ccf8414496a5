"""reader: course readers (PDF) and lecture decks (PPTX) from one course manifest."""

__version__ = "0.1.0"

"""deckbuilder: Markdown Q&A cards to versioned, update-safe Anki decks."""

__version__ = "0.1.0"

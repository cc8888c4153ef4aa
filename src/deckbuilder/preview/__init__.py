"""The offline preview site: every card as Anki makes it (one per cloze number), with the deck's CSS."""

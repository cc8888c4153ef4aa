"""Stage 2, check: everything across cards (ids, syllabus, card design, retired ids, ledger) and
the per-subdeck figures of the card-design check."""

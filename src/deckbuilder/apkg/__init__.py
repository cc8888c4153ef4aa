"""Stages 4 and 5, stamp and package: each note's content time from the committed ledger, the
footer's release, the two fixed note types, and the deterministic `.apkg`."""

"""Stage 1, parse: card files found in deck order, read within limits, split into Card records
(each field, code block and marker with its source line)."""

"""Stage 3, render: Markdown fields to the HTML Anki shows (math for MathJax, highlighted code,
the fold), checked whole as it will ship (HTML allowlist, TeX, media, leftovers), in workers."""

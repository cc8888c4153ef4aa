"""Releases: what changed since the release learners have (a package or git ref), the guard rails
on versions, the release folder, notes and CHANGELOG."""

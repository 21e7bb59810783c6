"""Presentation layer: user-facing labels, fonts, charts, the briefing page, generated docs."""

"""Batch scoring, the score store, the planners risk list, report and web page."""

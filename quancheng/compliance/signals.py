"""Signals of the compliance app, for the apps above it."""

from django.dispatch import Signal

# Sent with ``act_ids`` after completeness rows were written in bulk (no model signals then):
# the statistics rollups (supervision) count them.
acts_checked = Signal()

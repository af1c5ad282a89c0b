"""Supervision (监督考核): statistics (A7), spot checks (A26) and district evaluations (A25)."""

from .models_spot import *  # noqa: E402, F403 - spot checks and evaluations (A25, A26)

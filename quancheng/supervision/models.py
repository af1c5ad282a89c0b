"""Supervision (监督考核): statistics (A7), spot checks (A26) and district evaluations (A25)."""

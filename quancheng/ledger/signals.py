"""What the ledger announces to the apps above it (a lower app announces, a higher one reacts).

Receivers run synchronously, inside the sender's transaction: what they write commits or rolls
back with the ledger event the announcement comes with. Listed in docs/architecture.md
("Hooks between layers").
"""

from django.dispatch import Signal

# A whole-ledger verification failed (ledger/verify.py ``record_verification``), sent in the
# transaction that records its ``ledger.verified`` event, with ``report`` (the
# VerificationReport), ``detail`` (the report as the event's body) and ``actor`` (who asked for
# the verification, or None for the scheduled one). The alerts app raises the critical
# ``ledger.tampered`` alert.
verification_failed = Signal()

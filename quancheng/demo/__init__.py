"""Demo data (演示数据): what ``scripts/run`` loads into an empty database.

- ``year.py``: by default one district's year (渝中区), made through the services with the clock
  moved to each moment of the year (``clock.py``);
- ``small.py``: the small set (``seed_demo --small``): the named people, three subjects, a few
  acts and one sealed inspection, which the tests and the live-server browser tests load;
- ``ca.py``: the demo CA and the agencies' signing certificates under it;
- ``media.py``: the short real clip (PyAV) and the scanned page, made once and reused;
- ``city.py``: the generated city of ``make_demo_city`` (docs/demo-city.md), for demos, tests
  and benchmarks at scale.

Nothing here writes rows past the services: the demo's ledger is a real one. The city writes its
rows in bulk, but only through the owning apps' bulk writers (``bulk.py``), which append each
row's ledger event in the same transaction.
"""

# The demo people's password, printed by scripts/run (kept here, free of model imports, so that
# tests and tools can name it without loading the demo).
DEMO_PASSWORD = "Quancheng-2026"  # noqa: S105 - the demo logins' published password

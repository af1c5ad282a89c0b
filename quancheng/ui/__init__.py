"""Shared page pieces (界面): form helpers, history rendering, the base template and partials.

Pages of every app use them; ui imports only Django, quancheng.lib and quancheng.ledger (the
catalogue's action labels), never a domain app (the layer contract in pyproject.toml).
"""

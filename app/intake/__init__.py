"""Offline intake: turning an inbound SMS, e-mail or call note into a proposed order.

Public entry points:

- :class:`app.intake.catalog_model.IntakeCatalog` — the shop catalog, built from dicts.
- :func:`app.intake.order_parser.parse_order` — text (and an ``IntakeContext``: the
  sender's open draft and last order) -> :class:`DraftOrder`.
- :func:`app.intake.intake_json.parse_message_json` — the same as a JSON-able dict (CLI).
- :func:`app.intake.alias_learning.learn_alias` — the alias to record from a correction.

Pure Python: no Qt, no Automerge, no network, no model download.
"""

"""Helpers shared by every test package (import them; they hold no fixtures).

- ``waiting``: ``wait_until`` / ``wait_until_async``, the one way to wait for a condition
  with a deadline (an ``AssertionError`` naming what never happened), woken early by an
  event when the watched state has one.
- ``recording_sink``: ``RecordingSink``, a real ``devices.events.EventSink`` that records
  what a driver reports, with ``wait_for...`` methods; it passes the EventSink contract.
- ``vectors``: ``vectors_dir()`` / ``vector_path(...)``, the recorded test vectors found from
  the repository (or ``$COUNTERTOP_VECTORS``); missing ones skip, or fail when ``CI=true``.
- ``commands``: ``run(engine, name, args)``, an engine command run in-process (the
  registry a CLI process builds when no engine runs).
- ``screenshots``: ``screenshots_dir()``, where tests save PNGs: ``build/screenshots/``, or
  ``$COUNTERTOP_SCREENSHOTS`` (``make screenshots`` sets it to ``docs/screenshots``).
"""

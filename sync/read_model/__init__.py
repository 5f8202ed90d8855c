"""The SQLite read model: a cache of the shop documents shaped for the UI and reports.

Rebuilt from the documents at any time (``TillEngine.rebuild_read_model``) and updated
incrementally after each command or merge (``ReadModel.project_document``). Each projected
document's heads are stored in the same SQLite transaction as its rows, so after a crash
the model catches up from wherever it was. Deleting the file loses nothing. The engine is
its only writer; the UI opens it read-only (WAL: many readers).

Timestamps are ISO 8601 UTC text; money is integer minor units; quantities are decimal
text plus ``*_milli`` integers for arithmetic.

- ``schema``: tables, indexes, search (FTS5) tables; a file of another version is rebuilt.
- ``codecs``: how document values become column values, shared by writer and readers.
- ``projector`` (+ ``stock_projection``): the writer, documents -> rows. Reads Automerge.
- ``queries``: every read, for the engine, the CLI, the device bridges and the UI.

This package file imports nothing, and neither do ``schema``, ``codecs`` and ``queries``
import Automerge: the Qt UI process imports ``queries`` and must never load Automerge
(DESIGN.md; tests/test_layers.py).
"""

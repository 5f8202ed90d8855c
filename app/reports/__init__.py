"""Reports: the shop's figures as tables (with the chart that suits each), and the files
they are exported to.

Pure Python over the read model (``sync.read_model.report_queries``): no Qt and no
Automerge, so the engine's commands (``app/engine/commands/reports.py``) build them for
the window and the CLI alike, and a test can build one on any read-model connection.

- ``periods``: date ranges in the shop's timezone, and the day, week and month buckets.
- ``tables``: the report and table shapes (``app.protocol.Report``), money with its text.
- ``sales``: sales (by time, product, category, channel, staff, till), tax, cash-up.
- ``activity``: orders by status and age and their timings, customers, refunds and
  returns, stock, messages.
- ``files``: one report as CSV, XLSX or PDF.
"""

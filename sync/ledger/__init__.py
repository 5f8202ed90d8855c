"""The shop ledger: typed commands over the shop's Automerge documents.

Documents (DESIGN.md "Keep each document small"):

- the **shop document**: shop settings, tills, catalog, suppliers, customers,
  overbooking alerts and the list of period documents;
- **period documents**, one per till per month: that till's orders, messages, calls,
  and stock counters (per-till registers, see am_doc). A till writes new records only
  into its own period document, so order numbers (till prefix + per-till sequence) never
  collide and no two tills ever create the same document.

Every command is one Automerge transaction on one document, fsynced before it returns,
and returns a ``Changes`` naming what it touched. A product's level is goods counted in
or out (``catalog.adjust_stock``: per-till counters in period documents, summed over all
of them) plus what orders hold, which follows from each order's merged state: confirmed
orders reserve their lines, dispatched or handed-over orders have taken them, returns
put back what was restocked. The read model keeps both sums. So two tills selling at
once both count, and the same move made on two tills at once counts once.

``ShopLedger`` (``shop_ledger``) owns the documents (``documents``) and hands each domain
to a manager: ``ledger.shop``, ``.tills``, ``.catalog``, ``.customers``, ``.orders``,
``.inbox``, ``.alerts``.
"""

from sync.ledger.records import FulfilmentInput, ImportedOrder, LineInput
from sync.ledger.shop_ledger import ShopLedger

__all__ = ["FulfilmentInput", "ImportedOrder", "LineInput", "ShopLedger"]

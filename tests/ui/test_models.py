"""Every Qt model of the UI passes qtmodeltester on real read-model data, and the lazy id
model keeps rows (and persistent indexes) right across inserts, removals and moves."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex

from app.ui.conversation_model import ConversationModel
from app.ui.customer_view import CustomerListModel
from app.ui.id_window_model import IdWindowModel
from app.ui.inbox_model import InboxModel
from app.ui.order_draft import DraftLine, OrderDraft
from app.ui.order_editor import LinesModel
from app.ui.order_models import BoardColumnModel, OrdersTableModel
from app.ui.read_store import ConversationFilter, OrderFilter
from app.ui.stock_view import AlertsModel, StockModel


def test_orders_table_model(qtmodeltester: Any, store: Any) -> None:
    model = OrdersTableModel(store)
    model.reset()
    assert model.rowCount() > 10
    qtmodeltester.check(model)
    model.sort(4)  # by total, ascending
    totals = [model.row_at(r)["total"] for r in range(model.rowCount())]
    assert totals == sorted(totals)
    qtmodeltester.check(model)


def test_orders_table_filters(qtmodeltester: Any, store: Any) -> None:
    model = OrdersTableModel(store)
    model.set_filter(OrderFilter(tag="deli"))
    rows = [model.row_at(r) for r in range(model.rowCount())]
    assert rows and all("deli" in r["tags"] for r in rows)
    model.set_filter(OrderFilter(search="Ryan"))
    assert {model.row_at(r)["customer_name"] for r in range(model.rowCount())} == {"Ryan Shah"}
    qtmodeltester.check(model)


def test_board_column_models(qtmodeltester: Any, store: Any) -> None:
    for key, statuses in (("new", ("new",)), ("out", ("out_for_delivery", "shipped")),
                          ("delivered", ("delivered", "collected"))):
        model = BoardColumnModel(store, key, statuses)
        model.reset()
        assert model.rowCount() > 0, key
        assert {model.row_at(r)["status"] for r in range(model.rowCount())} <= set(statuses)
        qtmodeltester.check(model)


def test_inbox_model(qtmodeltester: Any, store: Any) -> None:
    model = InboxModel(store)
    model.reset()
    assert model.rowCount() >= 5
    received = [model.row_at(r)["received_at"] for r in range(model.rowCount())]
    assert received == sorted(received, reverse=True)
    qtmodeltester.check(model)


def test_conversation_model(qtmodeltester: Any, store: Any) -> None:
    model = ConversationModel(store)
    model.set_filter(ConversationFilter(status=""))
    assert model.rowCount() >= 3
    last = [model.row_at(r)["last_at"] for r in range(model.rowCount())]
    assert last == sorted(last, reverse=True)
    qtmodeltester.check(model)


def test_customer_stock_alert_and_line_models(qtmodeltester: Any, store: Any) -> None:
    customers = CustomerListModel(store)
    customers.reload("Smith")
    assert customers.rowCount() >= 1
    qtmodeltester.check(customers)
    stock = StockModel(store)
    stock.reload()
    assert stock.rowCount() > 5
    qtmodeltester.check(stock)
    alerts = AlertsModel(store)
    alerts.reload()
    qtmodeltester.check(alerts)
    lines = LinesModel(store)
    lines.set_draft(OrderDraft(lines=[DraftLine(sku="PZ-MARG", description="Margherita"),
                                      DraftLine(description="Birthday candle", unit_price=50)]),
                    {"PZ-MARG": 850})
    qtmodeltester.check(lines)
    assert lines.data(lines.index(0, 4)) == "£8.50"


class ListModel(IdWindowModel):
    """An IdWindowModel over a Python list (the real class, an in-memory source)."""

    CHUNK = 4

    def __init__(self, ids: list[str]) -> None:
        super().__init__()
        self.source = ids

    def query_ids(self, limit: int, offset: int = 0) -> list[str]:
        return self.source[offset:offset + limit]

    def query_count(self) -> int:
        return len(self.source)

    def query_rows(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        return {i: {"id": i} for i in ids}


def test_id_window_model_fetches_lazily_and_applies_changes(qtmodeltester: Any) -> None:
    model = ListModel([f"o{i}" for i in range(10)])
    model.reset()
    assert model.rowCount() == 4 and model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 8
    keep = QPersistentModelIndex(model.index(5, 0))  # o5
    model.source = ["new1", "o0", "o2", "o1", "o3", "o5", "o4", "o6", "o7", "o8", "o9"]
    model.refresh({"o2"})
    assert model.ids()[:8] == model.source[:8]
    assert keep.isValid() and model.id_at(keep.row()) == "o5"
    model.source = [x for x in model.source if x != "o5"]
    model.refresh(set())
    assert not keep.isValid() and "o5" not in model.ids()
    qtmodeltester.check(model)


def test_orders_table_pages_by_time_without_offsets(store: Any) -> None:
    model = OrdersTableModel(store)
    model.CHUNK = 4
    model.reset()
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    everything = store.order_ids(OrderFilter(), 10_000)
    assert model.ids() == everything
    assert len(set(model.ids())) == len(everything) == model.total

"""Order statuses and the moves between them.

Forward moves may skip steps (a counter sale goes straight from new to collected);
backward moves are refused. Cancelled is reachable from every open status;
returned from a finished sale. Stock effects follow the status reached:
confirm reserves, dispatch/hand-over fulfils, cancel releases.
"""

from __future__ import annotations

from sync.errors import CommandRejected

NEW, CONFIRMED, PREPARING, READY = "new", "confirmed", "preparing", "ready"
OUT_FOR_DELIVERY, SHIPPED = "out_for_delivery", "shipped"
DELIVERED, COLLECTED, CLOSED = "delivered", "collected", "closed"
CANCELLED, RETURNED = "cancelled", "returned"

STATUSES = (NEW, CONFIRMED, PREPARING, READY, OUT_FOR_DELIVERY, SHIPPED, DELIVERED,
            COLLECTED, CLOSED, CANCELLED, RETURNED)

_RANK = {NEW: 0, CONFIRMED: 1, PREPARING: 2, READY: 3, OUT_FOR_DELIVERY: 4, SHIPPED: 4,
         DELIVERED: 5, COLLECTED: 5, CLOSED: 6}

OPEN = frozenset({NEW, CONFIRMED, PREPARING, READY, OUT_FOR_DELIVERY, SHIPPED})
#: the open statuses in lifecycle order (for filters and SQL ``IN`` lists)
OPEN_STATUSES = tuple(s for s in STATUSES if s in OPEN)
FINISHED = frozenset({DELIVERED, COLLECTED, CLOSED})
# Reaching any of these means the goods have left the shop.
FULFILLING = frozenset({OUT_FOR_DELIVERY, SHIPPED, DELIVERED, COLLECTED, CLOSED})
RESERVING = frozenset({CONFIRMED, PREPARING, READY})


def check_transition(current: str, target: str) -> None:
    """Raise ``CommandRejected`` with a plain reason when ``current -> target`` is not allowed."""
    if target not in STATUSES:
        raise CommandRejected(f"unknown status {target!r}; use one of: {', '.join(STATUSES)}")
    if current == target:
        raise CommandRejected(f"the order is already {target}")
    if target == CANCELLED:
        if current in OPEN:
            return
        raise CommandRejected(f"a {current} order cannot be cancelled"
                              + ("; record a return instead" if current in FINISHED else ""))
    if target == RETURNED:
        if current in FINISHED:
            return
        raise CommandRejected(f"only a delivered, collected or closed order can be returned, "
                              f"this one is {current}")
    if current == RETURNED and target == CLOSED:
        return
    if current in (CANCELLED, RETURNED):
        raise CommandRejected(f"a {current} order cannot change status")
    if target == NEW:
        raise CommandRejected("an order cannot go back to new")
    if _RANK[target] == _RANK[current]:
        raise CommandRejected(f"an order that is {current} cannot become {target}")
    if _RANK[target] < _RANK[current]:
        raise CommandRejected(f"an order cannot go back from {current} to {target}")


def stock_state_for(status: str) -> str:
    """What an order in ``status`` holds of its product lines: none, reserved or fulfilled."""
    if status in RESERVING:
        return "reserved"
    if status in FULFILLING or status == RETURNED:
        return "fulfilled"
    return "none"

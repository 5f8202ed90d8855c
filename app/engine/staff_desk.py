"""Who is working at this till, and the checks that need a person: the engine's side of
staff.

Staff records (name, role, PIN hash) are the shop's, synced in the shop document
(``sync.ledger.staff``). Who is signed in is this till's alone: a small file in its data
dir (``STAFF_SESSION_FILE``), so the window and the CLI of one till see the same person
and another till never does.

``resolve`` fills in who did a write command (the ``by`` convention of
``app/protocol.py``): the name given (``--staff NAME``), checked against the shop's staff
once it has any, else whoever is signed in here. ``require_manager`` lets a manager's
command through, or a counter member's with a manager's PIN given on the spot.

Wrong PINs: after ``MAX_FAILURES`` within ``FAILURE_WINDOW`` seconds this till refuses
every PIN for ``LOCKOUT`` seconds (a 4-digit PIN has only 10,000 values).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.engine.till_engine import TillEngine
from sync.errors import CommandRejected, NeedsManager, NotFound
from sync.file_names import STAFF_SESSION_FILE

log = logging.getLogger("countertop.engine.staff")

MAX_FAILURES = 5
FAILURE_WINDOW = 300.0
LOCKOUT = 60.0


class StaffDesk:
    """This till's signed-in member and the PIN checks (one per engine)."""

    def __init__(self, engine: TillEngine, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.clock = clock
        self.path = Path(engine.data_dir.root) / STAFF_SESSION_FILE
        self._failures: list[float] = []
        self._locked_until = 0.0

    # ------------------------------------------------------------------ signed in

    def current(self) -> dict[str, Any] | None:
        """The member signed in at this till (id, name, role), None for nobody."""
        if not self.engine.has_shop:
            return None
        try:
            session = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("staff session file unreadable (%s); nobody is signed in", exc)
            return None
        member = self.engine.ledger.staff.all().get(str(session.get("id")))
        if member is None or not member.get("active", True):
            return None
        return {"id": member["id"], "name": member["name"], "role": member["role"]}

    def sign_in(self, name: str, pin: str) -> dict[str, Any]:
        found = self.check_pin(pin, ref=name)
        if found is None:
            raise CommandRejected("that name and PIN do not match")
        sid, member = found
        session = {"id": sid, "since": time.time()}
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(session), encoding="utf-8")
        tmp.replace(self.path)
        return {"id": sid, "name": member["name"], "role": member["role"]}

    def sign_out(self) -> None:
        self.path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ PINs

    def check_pin(self, pin: str, *, ref: str | None = None,
                  role: str | None = None) -> tuple[str, dict[str, Any]] | None:
        """The member whose PIN this is (see ``StaffManager.check_pin``), counting misses."""
        now = self.clock()
        if now < self._locked_until:
            wait = int(self._locked_until - now) + 1
            raise CommandRejected(f"too many wrong PINs on this till; try again in {wait} s")
        found = self.engine.ledger.staff.check_pin(pin, ref=ref, role=role)
        if found is not None:
            self._failures.clear()
            return found
        self._failures = [t for t in self._failures if now - t < FAILURE_WINDOW] + [now]
        if len(self._failures) >= MAX_FAILURES:
            self._locked_until = now + LOCKOUT
            self._failures.clear()
            log.warning("%d wrong PINs: this till refuses PINs for %d s", MAX_FAILURES,
                        LOCKOUT)
        return None

    # ------------------------------------------------------------------ who did it

    def resolve(self, by: str) -> str:
        """The name a write command records: ``by`` (a staff member once the shop has
        any), or whoever is signed in at this till, or "" for nobody."""
        by = (by or "").strip()
        if not self.engine.has_shop:
            return by
        staff = self.engine.ledger.staff
        if by:
            if not staff.all():
                return by  # a shop without staff records: any name, as before
            found = staff.find(by)
            if found is None or not found[1].get("active", True):
                raise NotFound(f"no staff member called {by!r}; `countertop staff list` "
                               "shows them")
            return str(found[1]["name"])
        me = self.current()
        return str(me["name"]) if me else ""

    def require_manager(self, by: str, manager_pin: str, what: str) -> str:
        """Let ``what`` through for a manager: the member ``by`` if a manager, else the
        manager whose PIN ``manager_pin`` is. Returns who approved ("" when the shop has
        no manager yet: nobody to ask). Raises ``NeedsManager`` otherwise."""
        if not self.engine.has_shop:
            return ""
        staff = self.engine.ledger.staff
        managers = {sid: s for sid, s in staff.active().items() if s.get("role") == "manager"}
        if not managers:
            return ""
        found = staff.find(by) if by else None
        if found is not None and found[1].get("role") == "manager":
            return str(found[1]["name"])
        if manager_pin:
            approved = self.check_pin(manager_pin, role="manager")
            if approved is not None:
                return str(approved[1]["name"])
            raise NeedsManager(f"that is not a manager's PIN; {what} needs a manager")
        raise NeedsManager(f"{what} needs a manager: a manager signs in, or gives their PIN")

"""Queries for conversations, the outbox of every channel, templates and feedback.

Part of the one read API: import these from ``sync.read_model.queries``.

A conversation is keyed by the customer a message or call belongs to, or, for a sender
who is no customer yet, by their phone number or address: ``COALESCE(customer_id,
contact)``. The list is worked out from the messages and calls themselves at read time
(an aggregate over an indexed scan), so it is right on every till the moment a message
is projected, with no second table to keep in step; what staff decided (assignee,
tags, done, snoozed) joins from ``conversation_state``. Done and snoozed hold only until
a message arrives after they were set (``sync/ledger/conversations.py``).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from sync.read_model.sql_rows import fts_query
from sync.read_model.sql_rows import rows as _rows
from sync.read_model.sql_rows import scalar as _scalar

_ITEMS = """
  SELECT COALESCE(m.customer_id, CASE WHEN m.direction = 'in' THEN m.sender
                                      ELSE m.recipient END) AS key,
         m.channel AS channel, m.direction AS direction, m.received_at AS at,
         m.read AS read, m.id AS id
    FROM messages m WHERE m.state NOT IN ('discarded', 'draft')
  UNION ALL
  SELECT COALESCE(k.customer_id, k.number), 'phone', 'in', k.at, 1, k.id
    FROM calls k WHERE COALESCE(k.customer_id, k.number) IS NOT NULL
"""

_EFFECTIVE_STATUS = """
  CASE WHEN s.status = 'done' AND (a.last_in_at IS NULL OR a.last_in_at <= s.status_at)
         THEN 'done'
       WHEN s.status = 'snoozed' AND s.snoozed_until > :now
            AND (a.last_in_at IS NULL OR a.last_in_at <= s.status_at) THEN 'snoozed'
       ELSE 'open' END
"""


@dataclass
class ConversationFilter:
    """What the conversation list shows. ``status``: open (the default), done, snoozed,
    or "" for all; ``mine``: conversations assigned to ``me``."""

    status: str = "open"
    me: str = ""
    mine: bool = False
    unassigned: bool = False
    unread: bool = False
    channel: str = ""
    tag: str = ""
    search: str = ""
    customer_id: str = ""
    keys: tuple[str, ...] = ()


def _conversation_sql(f: ConversationFilter, now: str) -> tuple[str, dict[str, Any]]:
    where: list[str] = []
    args: dict[str, Any] = {"now": now}
    if f.status:
        where.append("status = :status")
        args["status"] = f.status
    if f.mine:
        where.append("assignee = :me")
        args["me"] = f.me
    if f.unassigned:
        where.append("assignee = ''")
    if f.unread:
        where.append("unread > 0")
    if f.channel:
        where.append("(',' || channels || ',') LIKE :channel")
        args["channel"] = f"%,{f.channel},%"
    if f.tag:
        where.append("tags LIKE :tag")
        args["tag"] = f'%"{f.tag}"%'
    if f.customer_id:
        where.append("key = :customer")
        args["customer"] = f.customer_id
    if f.keys:
        marks = ",".join(f":k{i}" for i in range(len(f.keys)))
        where.append(f"key IN ({marks})")
        args.update({f"k{i}": k for i, k in enumerate(f.keys)})
    if f.search and fts_query(f.search):
        where.append("(key IN (SELECT COALESCE(m.customer_id, CASE WHEN m.direction = 'in' "
                     "THEN m.sender ELSE m.recipient END) FROM messages m WHERE m.id IN "
                     "(SELECT message_id FROM messages_fts WHERE messages_fts MATCH :q)) "
                     "OR key IN (SELECT customer_id FROM customers_fts WHERE customers_fts "
                     "MATCH :q) OR key LIKE :like)")
        args["q"] = fts_query(f.search)
        args["like"] = f"%{f.search.strip()}%"
    sql = f"""
      WITH items AS ({_ITEMS}),
      a AS (SELECT key, MAX(at) AS last_at, COUNT(*) AS items,
                   SUM(direction = 'in' AND read = 0) AS unread,
                   MAX(CASE WHEN direction = 'in' THEN at END) AS last_in_at,
                   GROUP_CONCAT(DISTINCT channel) AS channels
              FROM items WHERE key IS NOT NULL AND key != '' GROUP BY key),
      c AS (SELECT a.*, COALESCE(s.assignee, '') AS assignee, COALESCE(s.tags, '[]') AS tags,
                   {_EFFECTIVE_STATUS} AS status, s.snoozed_until AS snoozed_until,
                   cu.name AS customer_name, cu.opt_out AS opt_out,
                   CASE WHEN cu.id IS NULL THEN NULL ELSE a.key END AS customer_id
              FROM a LEFT JOIN conversation_state s ON s.key = a.key
              LEFT JOIN customers cu ON cu.id = a.key)
      SELECT * FROM c{' WHERE ' + ' AND '.join(where) if where else ''}"""
    return sql, args


def conversation_rows(conn: sqlite3.Connection, f: ConversationFilter, now: str,
                      limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """One page of conversations, newest activity first, each with its latest item."""
    sql, args = _conversation_sql(f, now)
    out = _rows_named(conn, sql + " ORDER BY last_at DESC, key LIMIT :limit OFFSET :offset",
                      {**args, "limit": limit, "offset": offset})
    for row in out:
        _decorate(conn, row)
    return out


def conversation_keys(conn: sqlite3.Connection, f: ConversationFilter, now: str,
                      limit: int = 100, offset: int = 0) -> list[str]:
    """One window of the conversation keys ``f`` selects (the window's lazy list)."""
    sql, args = _conversation_sql(f, now)
    return [str(r[0]) for r in conn.execute(
        f"SELECT key FROM ({sql}) ORDER BY last_at DESC, key LIMIT :limit OFFSET :offset",
        {**args, "limit": limit, "offset": offset})]


def conversations_by_key(conn: sqlite3.Connection, keys: list[str],
                         now: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(keys), 200):
        chunk = tuple(keys[start:start + 200])
        for row in conversation_rows(conn, ConversationFilter(status="", keys=chunk), now,
                                     limit=len(chunk)):
            out[row["key"]] = row
    return out


def pending_drafts(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Notifications prepared for a one-key confirm, oldest first, with names and orders."""
    return _rows(conn, "SELECT m.id, m.channel, m.recipient, m.subject, m.body, m.order_id, "
                       "m.customer_id, c.name AS customer_name, o.number AS order_number "
                       "FROM messages m LEFT JOIN customers c ON c.id = m.customer_id "
                       "LEFT JOIN orders o ON o.id = m.order_id WHERE m.state = 'draft' "
                       "ORDER BY m.received_at")


def conversation_count(conn: sqlite3.Connection, f: ConversationFilter, now: str) -> int:
    sql, args = _conversation_sql(f, now)
    return int(conn.execute(f"SELECT COUNT(*) FROM ({sql})", args).fetchone()[0] or 0)


def conversation_by_key(conn: sqlite3.Connection, key: str,
                        now: str) -> dict[str, Any] | None:
    found = conversation_rows(conn, ConversationFilter(status="", customer_id=key), now, 1)
    return found[0] if found else None


def _rows_named(conn: sqlite3.Connection, sql: str, args: dict[str, Any]) -> list[dict[str, Any]]:
    cur = conn.execute(sql, args)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def _decorate(conn: sqlite3.Connection, row: dict[str, Any]) -> None:
    row["tags"] = json.loads(row.get("tags") or "[]")
    row["channels"] = sorted(set((row.get("channels") or "").split(",")) - {""})
    last = _rows(conn, "SELECT id, channel, direction, subject, body, preview, state, "
                       "received_at, sender, recipient FROM messages WHERE "
                       "COALESCE(customer_id, CASE WHEN direction = 'in' THEN sender ELSE "
                       "recipient END) = ? AND state NOT IN ('discarded', 'draft') "
                       "ORDER BY received_at DESC LIMIT 1", (row["key"],))
    if last:
        m = last[0]
        row["last_message_id"] = m["id"]
        row["last_channel"] = m["channel"]
        row["last_direction"] = m["direction"]
        row["last_state"] = m["state"]
        text = m["preview"] or m["body"] or ""
        row["last_text"] = (f"{m['subject']} — {text}" if m["subject"] else text)[:300]
        row["contact"] = m["sender"] if m["direction"] == "in" else m["recipient"]
    else:
        row.update(last_message_id=None, last_channel="phone", last_direction="in",
                   last_state="call", last_text="Call", contact=row["key"])
    if row["last_at"] and last and last[0]["received_at"] and \
            str(last[0]["received_at"]) < str(row["last_at"]):
        row["last_channel"], row["last_text"] = "phone", "Call"


def conversation_items(conn: sqlite3.Connection, key: str,
                       limit: int = 300) -> list[dict[str, Any]]:
    """Every message and call of conversation ``key``, oldest first."""
    msgs = _rows(conn, "SELECT 'message' AS kind, m.* FROM messages m WHERE "
                       "COALESCE(m.customer_id, CASE WHEN m.direction = 'in' THEN m.sender "
                       "ELSE m.recipient END) = ? AND m.state != 'discarded' "
                       "ORDER BY m.received_at DESC LIMIT ?", (key, limit))
    calls = _rows(conn, "SELECT 'call' AS kind, k.*, k.at AS received_at FROM calls k WHERE "
                        "COALESCE(k.customer_id, k.number) = ? ORDER BY k.at DESC LIMIT 50",
                        (key,))
    items = msgs + calls
    for item in items:
        if item.get("meta"):
            item["meta"] = json.loads(item["meta"])
    items.sort(key=lambda r: str(r.get("received_at") or ""))
    return items[-limit:]


def conversation_unread_ids(conn: sqlite3.Connection, key: str) -> list[str]:
    """Incoming messages of conversation ``key`` nobody has read."""
    return [r["id"] for r in _rows(
        conn, "SELECT id FROM messages WHERE read = 0 AND direction = 'in' AND "
              "COALESCE(customer_id, sender) = ?", (key,))]


def conversation_tags(conn: sqlite3.Connection) -> list[str]:
    found: set[str] = set()
    for r in _rows(conn, "SELECT DISTINCT tags FROM conversation_state WHERE tags != '[]'"):
        found.update(json.loads(r["tags"]))
    return sorted(found)


def conversation_assignees(conn: sqlite3.Connection) -> list[str]:
    return [r["assignee"] for r in _rows(
        conn, "SELECT DISTINCT assignee FROM conversation_state WHERE assignee != '' "
              "ORDER BY assignee")]


# ---------------------------------------------------------------------- the outbox


def queued_outgoing(conn: sqlite3.Connection, channels: tuple[str, ...],
                    states: tuple[str, ...] = ("queued",)) -> list[dict[str, Any]]:
    """Outgoing messages on ``channels`` in one of ``states``, oldest first."""
    if not channels or not states:
        return []
    out = _rows(conn, f"SELECT id, channel, recipient, subject, body, attempts, meta, error "
                      f"FROM messages WHERE direction = 'out' AND channel IN "
                      f"({','.join('?' * len(channels))}) AND state IN "
                      f"({','.join('?' * len(states))}) ORDER BY received_at",
                (*channels, *states))
    for row in out:
        row["meta"] = json.loads(row["meta"]) if row.get("meta") else {}
    return out


def outgoing_by_reference(conn: sqlite3.Connection, reference: str) -> str | None:
    """The outgoing message sent as ``reference`` (an email's Message-ID)."""
    found = _scalar(conn, "SELECT id FROM messages WHERE direction = 'out' AND reference = ? "
                          "LIMIT 1", (reference,))
    return str(found) if found else None


def message_meta(conn: sqlite3.Connection, mid: str) -> dict[str, Any] | None:
    """A message row with its ``meta`` decoded (threading headers, attachments, ...)."""
    found = _rows(conn, "SELECT * FROM messages WHERE id = ?", (mid,))
    if not found:
        return None
    row = found[0]
    row["meta"] = json.loads(row["meta"]) if row.get("meta") else {}
    return row


def latest_inbound(conn: sqlite3.Connection, key: str,
                   channels: tuple[str, ...] = ("sms", "email")) -> dict[str, Any] | None:
    """The newest message conversation ``key`` sent on one of ``channels``."""
    found = _rows(conn, f"SELECT id FROM messages WHERE direction = 'in' AND "
                        f"state != 'quarantined' AND COALESCE(customer_id, sender) = ? AND "
                        f"channel IN ({','.join('?' * len(channels))}) "
                        f"ORDER BY received_at DESC LIMIT 1", (key, *channels))
    return message_meta(conn, found[0]["id"]) if found else None


# ---------------------------------------------------------------------- templates, feedback


def template_rows(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """The templates the shop edited, by name (the rest keep their default words)."""
    return {r["name"]: r for r in _rows(conn, "SELECT * FROM templates")}


def quick_reply_rows(conn: sqlite3.Connection, *,
                     archived: bool = False) -> list[dict[str, Any]]:
    sql = "SELECT * FROM quick_replies" + ("" if archived else " WHERE archived = 0")
    return _rows(conn, sql + " ORDER BY name")


def awaiting_feedback(conn: sqlite3.Connection, customer_id: str,
                      since: str) -> dict[str, Any] | None:
    """The customer's latest order asked for feedback after ``since`` and not rated yet."""
    for row in _rows(conn, "SELECT id, number, notices, feedback FROM orders WHERE "
                           "customer_id = ? AND feedback IS NULL AND notices LIKE "
                           "'%\"feedback\"%' ORDER BY updated_at DESC LIMIT 5",
                     (customer_id,)):
        notices = json.loads(row["notices"] or "[]")
        asked = [n for n in notices if n.get("kind") == "feedback"
                 and n.get("outcome") in ("queued", "sent")
                 and str(n.get("at")).replace(" ", "T") >= since]
        if asked:
            return row
    return None


def customer_contacts(conn: sqlite3.Connection, customer_id: str) -> dict[str, Any] | None:
    """A customer's phones, emails and opt-out, for choosing how to reach them."""
    found = _rows(conn, "SELECT id, name, phones, emails, opt_out FROM customers WHERE id = ?",
                  (customer_id,))
    if not found:
        return None
    row = found[0]
    row["phones"] = json.loads(row["phones"] or "[]")
    row["emails"] = json.loads(row["emails"] or "[]")
    return row

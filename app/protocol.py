"""Every engine command and every engine event, declared once.

The engine serves the same table to three callers: the UI (over IPC, through typed
operations in ``app/ui/operations.py``), the CLI (whose parser ``app/cli.py`` generates
from this table, help text included), and in-process callers (tests, the CLI when no
engine runs). A command is a ``Command``: its name, a frozen dataclass of typed
parameters, the shape of its result, one line of help and where it sits on the CLI.
An event is an ``EventSpec``: its name and its payload's shape.

This module is pure (dataclasses and typing, no Qt, no Automerge, no engine import), so
the UI process may load it. Handlers live in ``app/engine/commands/``, one module per
domain; ``app/engine/commands/registry.py`` turns a JSON object into a parameter
dataclass (``params_from_json``), keeping the plain-words refusals of the command table
it replaced ("name is required", "limit must be a whole number, not 'x'").

JSON conventions: money is text or a number in the shop's currency ("2.50"; handlers
parse it, since only they know the currency), quantities are decimal text, times are
ISO 8601 with an offset. Results are JSON-shaped: the ``TypedDict`` s below document
them; every amount also comes as ``<field>_text`` formatted for people.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypedDict, TypeVar

P = TypeVar("P")
R = TypeVar("R")


# --------------------------------------------------------------------------- machinery


class _Unset(enum.Enum):
    """A parameter the caller did not give, where ``None`` is a value (clear the field)."""

    UNSET = "unset"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Literal[_Unset.UNSET] = _Unset.UNSET
Unset = Literal[_Unset.UNSET]


@dataclass(frozen=True)
class Arg:
    """How one parameter is read from JSON and offered on the command line.

    ``key``: its JSON name when that is not the field name (``from``). ``flag``: the CLI
    option (default ``--field-name``); ``positional``: a CLI positional instead.
    ``cli``: offered on the CLI at all. ``cli_required``: required there though JSON may
    leave it out. ``cli_form``: how CLI text becomes the JSON value: ``pairs``
    (``NAME=VALUE`` -> dict), ``groups`` (``GROUP=a,b`` -> dict of lists), ``line_qty``
    (``LINE:QTY`` -> dict, empty -> null), ``path`` (made absolute), ``invert`` (a
    ``--no-x`` switch for a true-by-default flag).
    """

    help: str = ""
    key: str | None = None
    flag: str | None = None
    positional: bool = False
    cli: bool = True
    cli_required: bool = False
    cli_default: Any = None
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    cli_form: str = ""


def arg(default: Any = dataclasses.MISSING, *, factory: Callable[[], Any] | None = None,
        **meta: Any) -> Any:
    """A parameter field: its default and its ``Arg`` description."""
    info = {"arg": Arg(**meta)}
    if factory is not None:
        return field(default_factory=factory, metadata=info)
    return field(default=default, metadata=info)


def arg_info(f: dataclasses.Field[Any]) -> Arg:
    info = f.metadata.get("arg")
    return info if isinstance(info, Arg) else Arg()


def json_key(f: dataclasses.Field[Any]) -> str:
    return arg_info(f).key or f.name


@dataclass(frozen=True)
class Cli:
    """Where a command sits on the command line: ``("order", "set-status")``.

    ``fixed`` arguments are added to what the user typed (``order refund`` is
    ``order.pay`` with ``refund: true``); ``only`` limits the parameters offered.
    """

    path: tuple[str, ...]
    help: str = ""
    fixed: dict[str, Any] = field(default_factory=dict)
    only: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Command(Generic[P, R]):
    """One engine command: name, parameters, result shape, help, CLI places.

    ``needs`` names a part of the long-running engine the command cannot work without
    (``peers``, ``devices``): an in-process engine refuses it in plain words.
    """

    name: str
    params: type[P]
    result: Any
    help: str
    cli: tuple[Cli, ...] = ()
    writes: bool = False
    needs: str = ""

    def to_json(self, params: P) -> dict[str, Any]:
        """The JSON arguments for ``params`` (parameters left at their defaults left out)."""
        return params_to_json(params)

    def request(self, params: P) -> Request[P, R]:
        return Request(self, params)


@dataclass(frozen=True)
class Request(Generic[P, R]):
    """One command with its parameters, ready to send (the UI's typed operations)."""

    spec: Command[P, R]
    params: P

    @property
    def name(self) -> str:
        return self.spec.name

    def json(self) -> dict[str, Any]:
        return self.spec.to_json(self.params)


def params_to_json(params: Any) -> dict[str, Any]:
    """The JSON form of a parameter dataclass: parameters equal to their default (or
    unset) are left out, since the engine fills in the same default."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(params):
        value = getattr(params, f.name)
        if value is UNSET:
            continue
        if f.default is not dataclasses.MISSING and value == f.default \
                and type(value) is type(f.default):
            continue
        if f.default_factory is not dataclasses.MISSING and value == f.default_factory():
            continue
        out[json_key(f)] = value
    return out


def field_types(params: type[Any]) -> dict[str, Any]:
    """Resolved annotations of a parameter dataclass (this module uses postponed ones)."""
    return typing.get_type_hints(params, globalns=globals())


def describe_type(tp: Any) -> str:
    """A short readable name of a parameter or result type, for help and the catalogue."""
    if tp is type(None):
        return "null"
    if tp is Any:
        return "any"
    if tp is _Unset or tp == Unset:
        return ""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        parts = [describe_type(a) for a in typing.get_args(tp)]
        return " | ".join(p for p in parts if p)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        return f"list[{describe_type(item)}]"
    if origin is dict:
        key, value = typing.get_args(tp) or (Any, Any)
        return f"dict[{describe_type(key)}, {describe_type(value)}]"
    return getattr(tp, "__name__", str(tp))


# --------------------------------------------------------------------------- result shapes


class Ok(TypedDict):
    ok: bool


class Created(TypedDict):
    id: str | None


class TillRow(TypedDict):
    id: str
    name: str
    prefix: str
    removed: int
    joined_at: str


class ShopInfo(TypedDict, total=False):
    """``shop`` is null on a till that has no shop yet."""

    shop: dict[str, Any] | None
    shop_doc: str
    till_id: str
    tills: list[TillRow]


class ProductRow(TypedDict, total=False):
    sku: str
    name: str
    aliases: list[str]
    unit: str
    price: int
    price_text: str
    tax_rate: str
    active: int
    low_stock: str | None
    variants: list[str]
    option_groups: dict[str, list[str]]
    available_milli: int


class StockRow(TypedDict, total=False):
    sku: str
    location: str
    name: str
    on_hand: str
    reserved: str
    available: str
    available_milli: int
    is_low: int
    overbooked: int


class CustomerRow(TypedDict, total=False):
    id: str
    name: str
    phones: list[str]
    emails: list[str]
    addresses: list[str]
    notes: str
    tags: list[str]
    merged_into: str | None


class CustomerCard(CustomerRow, total=False):
    open_orders: list[OrderRow]
    recent_orders: list[OrderRow]
    messages: list[MessageRow]
    calls: list[CallRow]


class OrderRow(TypedDict, total=False):
    id: str
    number: str
    status: str
    channel: str
    customer_id: str | None
    customer_name: str | None
    total: int
    paid: int
    balance: int
    total_text: str
    paid_text: str
    balance_text: str
    tags: list[str]
    assignee: str
    due_at: str | None
    fulfilment: str
    address: str
    created_at: str
    updated_at: str


class OrderDetail(OrderRow, total=False):
    lines: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    history: list[dict[str, Any]]


class UndoneMoves(TypedDict):
    undone: list[OrderDetail]
    refused: list[dict[str, str]]


class MessageRow(TypedDict, total=False):
    id: str
    channel: str
    direction: str
    sender: str
    recipient: str
    subject: str
    body: str
    received_at: str
    read: int
    order_id: str | None
    customer_id: str | None
    customer_name: str | None
    state: str


class CallRow(TypedDict, total=False):
    id: str
    number: str | None
    name: str | None
    at: str
    presentation: str
    customer_id: str | None
    customer_name: str | None


class AlertRow(TypedDict, total=False):
    id: str
    kind: str
    sku: str
    location: str
    level: str
    raised_at: str
    resolved_at: str | None


class SmsQueued(TypedDict):
    id: str | None
    to: str
    state: str


class AliasLearned(TypedDict, total=False):
    sku: str
    alias: str | None
    learned: bool
    previously: list[str]


class ExportResult(TypedDict):
    path: str
    orders: int
    format: str


class RebuildResult(TypedDict):
    documents: int
    seconds: float


class PeersStatus(TypedDict):
    till_id: str
    listen_port: int | None
    listen_host: str
    addresses: list[str]
    peers: list[dict[str, Any]]
    sessions: list[dict[str, Any]]
    last_merge: float | None


class JoinRequestRow(TypedDict, total=False):
    till_id: str
    name: str
    ref: str
    address: str
    received_at: float


class Approved(TypedDict):
    till_id: str
    name: str
    approved: bool


class TillRemoved(TypedDict):
    removed: str


class TillRole(TypedDict):
    till_id: str
    role: str


IntakeProposal = dict[str, Any]
"""The intake parser's proposal: lines, confidence, decision (``app/intake/intake_json``)."""

DeviceStates = dict[str, dict[str, Any]]
"""Device name -> its last ``devices.events.DeviceStatus``."""

DocHeads = dict[str, list[str]]
"""Document id -> its heads (sorted hex)."""


# --------------------------------------------------------------------------- parameters

# shop


@dataclass(frozen=True)
class ShopCreate:
    name: str = arg(help="the shop's name", flag="--name", cli_required=True)
    currency: str = arg("EUR", help="ISO 4217 currency code")
    region: str = arg("GB", help="region for phone numbers (ISO 3166, e.g. GB)")
    timezone: str = arg("UTC", help="IANA time zone, e.g. Europe/London")
    till_name: str = arg("Till 1", help="this till's name")


@dataclass(frozen=True)
class NoParams:
    pass


@dataclass(frozen=True)
class ShopSetSetting:
    key: str = arg(help="setting name", positional=True)
    value: Any = arg(None, help="its value (JSON)", positional=True)


# catalog


@dataclass(frozen=True)
class ProductAdd:
    sku: str = arg("", help="stock-keeping unit (no spaces or ':')", cli_required=True)
    name: str = arg("", help="name staff and customers know it by", cli_required=True)
    price: Any = arg(None, help="price in the shop's currency", cli_required=True)
    stock: Any = arg(None, help="initial stock")
    aliases: list[str] = arg(factory=list, flag="--alias", help="another name (repeat)")
    unit: str = arg("each", help="selling unit: each, kg, g, l, ...")
    tax_rate: str = arg("0", help="tax rate in percent")
    low_stock: Any = arg(None, help="warn when stock falls to this level")
    variants: list[str] = arg(factory=list, flag="--variant",
                              help="a variant the product comes in (repeat)")
    option_groups: dict[str, list[str]] | None = arg(
        None, flag="--option", cli_form="groups", metavar="GROUP=a,b",
        help="an option group, GROUP=a,b,c (e.g. Size=small,large)")
    by: str = arg("", help="who did it", cli=False)


@dataclass(frozen=True)
class ProductUpdate:
    sku: str = arg(help="the product", positional=True)
    fields: dict[str, Any] = arg(factory=dict, cli=False,
                                 help="name, price, unit, tax_rate, active, low_stock, ...")


@dataclass(frozen=True)
class ProductAlias:
    sku: str = arg(help="the product", positional=True)
    alias: str = arg(help="the shop's word for it", positional=True)


@dataclass(frozen=True)
class ProductList:
    search: str | None = arg(None, help="part of a SKU, name or alias")


@dataclass(frozen=True)
class StockAdjust:
    sku: str = arg(help="the product", positional=True)
    delta: Any = arg(None, help="goods in (+) or out (-)", positional=True)
    reason: str = arg("", help="why: delivery, breakage, stock-take, ...", cli_required=True)
    location: str = arg("main", help="stock location")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class SupplierAdd:
    name: str = arg("", help="supplier name", cli_required=True)
    contact: str = arg("", help="phone or email")
    products: list[str] = arg(factory=list, flag="--product", help="a SKU they supply (repeat)")
    lead_time_days: int = arg(0, help="days from order to delivery")


# customers


@dataclass(frozen=True)
class CustomerAdd:
    name: str = arg("", help="the customer's name", cli_required=True)
    phones: list[str] = arg(factory=list, flag="--phone", help="a phone number (repeat)")
    emails: list[str] = arg(factory=list, flag="--email", help="an email address (repeat)")
    addresses: list[str] = arg(factory=list, flag="--address", help="an address (repeat)")
    notes: str = arg("", flag="--note", help="a note staff see")
    tags: list[str] = arg(factory=list, flag="--tag", help="a tag (repeat)")


@dataclass(frozen=True)
class CustomerUpdate:
    customer: str = arg(help="phone, email or id", positional=True)
    name: str | None = arg(None, help="new name")
    add_phones: list[str] = arg(factory=list, flag="--add-phone", help="(repeat)")
    add_emails: list[str] = arg(factory=list, flag="--add-email", help="(repeat)")
    add_addresses: list[str] = arg(factory=list, flag="--add-address", help="(repeat)")
    notes: str | None = arg(None, flag="--note", help="replace the note")
    add_tags: list[str] = arg(factory=list, flag="--add-tag", help="(repeat)")
    remove_tags: list[str] = arg(factory=list, flag="--remove-tag", help="(repeat)")


@dataclass(frozen=True)
class CustomerList:
    search: str | None = arg(None, help="words of a name, phone, email or note")
    limit: int = arg(500, help="at most this many", cli=False)


@dataclass(frozen=True)
class CustomerFind:
    ref: str = arg(help="phone, email or id", positional=True, metavar="ref")


@dataclass(frozen=True)
class CustomerMerge:
    keep: str = arg(help="the customer to keep (phone, email or id)", positional=True)
    merge: str = arg(help="the customer folded into it", positional=True)


# orders


@dataclass(frozen=True)
class OrderAdd:
    customer: str | None = arg(None, help="phone, email or customer id")
    lines: list[Any] = arg(factory=list, flag="--line", metavar="SKU:QTY",
                           help="a line, SKU:QTY (repeat); JSON also takes objects with "
                                "sku, qty, description, unit_price, notes, modifiers")
    notes: str = arg("", flag="--note", help="a note on the order")
    channel: str = arg("counter", help="where it came from: counter, phone, sms, ...")
    tags: list[str] = arg(factory=list, flag="--tag", help="a tag (repeat)")
    assignee: str = arg("", help="staff member it is assigned to")
    due_at: str | None = arg(None, flag="--due", help="ISO time with offset")
    fulfilment: Any = arg(None, cli=False, help="pickup | delivery, or an object with kind, "
                                                "address, carrier, tracking")
    delivery_address: str | None = arg(None, flag="--deliver-to", help="delivery address")
    custom_fields: dict[str, str] = arg(factory=dict, flag="--field", cli_form="pairs",
                                        metavar="NAME=VALUE", help="custom field NAME=VALUE")
    source_messages: list[str] = arg(factory=list, cli=False,
                                     help="ids of the messages the order came from")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class OrderList:
    status: str | None = arg(None, help="only orders with this status")
    search: str | None = arg(None, help="words of a number, customer, line or note")
    limit: int = arg(200, help="at most this many")
    open: bool = arg(False, help="only open orders", cli=False)


@dataclass(frozen=True)
class OrderRef:
    order: str = arg(help="id or number (A-0042)", positional=True)


@dataclass(frozen=True)
class OrderSetStatus:
    order: str = arg(help="id or number", positional=True)
    status: str = arg(help="the status to move to", positional=True)
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class OrderUndoStatus:
    """One move (``order``, ``from``, ``to``) or several (``moves``)."""

    order: str | None = arg(None, help="id or number")
    moved_from: str | None = arg(None, key="from", help="the status it came from")
    moved_to: str | None = arg(None, key="to", help="the status it was moved to")
    moves: list[Any] = arg(factory=list, help="several moves: objects with order, "
                                                         "from, to")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class OrderPay:
    order: str = arg(help="id or number", positional=True)
    amount: Any = arg(None, help="amount in the shop's currency", positional=True)
    method: str = arg("", help="cash, card, transfer, voucher or other", cli_required=True)
    reference: str = arg("", help="card slip, transfer reference, ...")
    refund: bool = arg(False, cli=False, help="money given back instead of taken")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class OrderUpdate:
    order: str = arg(help="id or number", positional=True)
    customer: str | None = arg(None, help="phone, email or customer id")
    assignee: str | None = arg(None, help="staff member it is assigned to")
    notes: str | None = arg(None, flag="--note", help="replace the note")
    due_at: str | Unset | None = arg(UNSET, flag="--due", help="ISO time with offset; "
                                                              "null clears it")
    fulfilment: Any = arg(None, cli=False, help="as for order.add")
    delivery_address: str | None = arg(None, flag="--deliver-to", help="delivery address")
    custom_fields: dict[str, str] = arg(factory=dict, flag="--field", cli_form="pairs",
                                        metavar="NAME=VALUE", help="custom field NAME=VALUE")
    add_tags: list[str] = arg(factory=list, flag="--add-tag", help="(repeat)")
    remove_tags: list[str] = arg(factory=list, flag="--remove-tag", help="(repeat)")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class OrderAddLine:
    order: str = arg(help="id or number", positional=True)
    line: Any = arg(None, help="SKU:QTY, or an object as in order.add", positional=True)
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class OrderUpdateLine:
    order: str = arg(help="id or number", positional=True)
    line_id: str = arg(help="the line", positional=True)
    qty: Any = arg(None, help="new quantity")
    unit_price: Any = arg(None, help="new unit price")
    notes: str | None = arg(None, flag="--note", help="the line's note")
    remove: bool = arg(False, help="take the line off the order")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class OrderReturn:
    order: str = arg(help="id or number", positional=True)
    lines: dict[str, Any] | None = arg(None, flag="--line", cli_form="line_qty",
                                       metavar="LINE_ID:QTY", help="LINE_ID:QTY (default: all)")
    restock: bool = arg(True, flag="--no-restock", cli_form="invert",
                        help="do not put the goods back on the shelf")
    reason: str = arg("", help="why it came back")
    by: str = arg("", cli=False)


# messages, calls, alerts


@dataclass(frozen=True)
class MessageList:
    channel: str | None = arg(None, help="sms, email, phone, whatsapp, ...")
    unread: bool = arg(False, help="only unread messages")
    search: str | None = arg(None, help="words of a sender, subject or text")
    direction: str | None = arg(None, cli=False, help="in or out")
    state: str | None = arg(None, cli=False, help="received, queued, sent, ...")
    limit: int = arg(200, cli=False)


@dataclass(frozen=True)
class MessageUpdate:
    message: str = arg(help="the message id", positional=True)
    read: bool | Unset = arg(UNSET, help="mark read (true) or unread (false)")
    order_id: str | Unset | None = arg(UNSET, help="the order it belongs to (null: none)")
    customer_id: str | Unset | None = arg(UNSET, help="the customer it is from")


@dataclass(frozen=True)
class MessageReceive:
    channel: str = arg("sms", help="sms, whatsapp, messenger, email, web, phone")
    sender: str = arg("", key="from", flag="--from", cli_required=True,
                      help="who it is from (phone number, email, handle)")
    text: str = arg("", help="the message", cli_required=True)
    subject: str = arg("", help="email subject")
    received_at: str | None = arg(None, help="ISO time with offset (default: now)")
    read: bool = arg(False, help="already read")
    intake: bool = arg(True, cli=False, help="run the order parser on it")


@dataclass(frozen=True)
class Limit:
    limit: int = arg(200, cli=False, help="at most this many")


@dataclass(frozen=True)
class AlertList:
    all: bool = arg(False, cli=False, help="resolved alerts too")


@dataclass(frozen=True)
class AlertResolve:
    alert: str = arg(help="the alert id", positional=True)
    note: str = arg("", help="what was done")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class SmsSend:
    to: str = arg("", help="phone number", cli_required=True)
    text: str = arg("", help="the message", cli_required=True)


@dataclass(frozen=True)
class IntakeParse:
    text: str = arg("", help="the message text", positional=True)


@dataclass(frozen=True)
class IntakeCorrect:
    text: str = arg("", help="the words the customer used, e.g. 'margs'", positional=True)
    sku: str = arg("", help="the product they meant", cli_required=True)


# maintenance, peers


@dataclass(frozen=True)
class Export:
    format: str = arg("json", choices=("csv", "json"), cli_required=True,
                      help="file format")
    out: str = arg("", help="file to write", cli_form="path", cli_required=True)


@dataclass(frozen=True)
class PairCode:
    code: str = arg("", help="the 6-digit code the new till's screen shows", positional=True)
    till: str = arg("", help="which waiting till, when several wait (its ref or name from "
                    "`pair list`)")


@dataclass(frozen=True)
class PairDecline:
    till: str = arg("", help="which waiting till, when several wait (its ref or name from "
                    "`pair list`)", positional=True, metavar="ref")


@dataclass(frozen=True)
class TillRemove:
    till: str = arg("", help="the till's id (or its first characters)", positional=True,
                    metavar="till_id")


@dataclass(frozen=True)
class TillSetRole:
    till: str = arg("", help="the till's id (or its first characters)", positional=True,
                    metavar="till_id")
    role: str = arg("till", help="manager (may pair and remove tills) or till",
                    choices=("manager", "till"), positional=True)


# --------------------------------------------------------------------------- the table

SHOP_CREATE: Command[ShopCreate, ShopInfo] = Command(
    "shop.create", ShopCreate, ShopInfo, "create the shop on this till",
    cli=(Cli(("shop", "create")),), writes=True)
SHOP_INFO: Command[NoParams, ShopInfo] = Command(
    "shop.info", NoParams, ShopInfo, "the shop, its tills and this till",
    cli=(Cli(("shop", "info")), Cli(("till", "list"), help="the shop's tills")))
SHOP_SET_SETTING: Command[ShopSetSetting, Ok] = Command(
    "shop.set_setting", ShopSetSetting, Ok, "set a shop-wide setting (all tills)", writes=True)

PRODUCT_ADD: Command[ProductAdd, ProductRow] = Command(
    "product.add", ProductAdd, ProductRow, "add a product to the catalog",
    cli=(Cli(("product", "add")),), writes=True)
PRODUCT_UPDATE: Command[ProductUpdate, ProductRow] = Command(
    "product.update", ProductUpdate, ProductRow, "change a product's fields", writes=True)
PRODUCT_ALIAS: Command[ProductAlias, ProductRow] = Command(
    "product.alias", ProductAlias, ProductRow, "remember another word for a product", writes=True)
PRODUCT_LIST: Command[ProductList, list[ProductRow]] = Command(
    "product.list", ProductList, list[ProductRow], "the catalog", cli=(Cli(("product", "list")),))
STOCK_LIST: Command[NoParams, list[StockRow]] = Command(
    "stock.list", NoParams, list[StockRow], "stock levels", cli=(Cli(("stock",)),))
STOCK_ADJUST: Command[StockAdjust, list[StockRow]] = Command(
    "stock.adjust", StockAdjust, list[StockRow],
    "count goods in or out (delivery, breakage, stock-take)", cli=(Cli(("stock", "adjust")),),
    writes=True)
SUPPLIER_ADD: Command[SupplierAdd, Created] = Command(
    "supplier.add", SupplierAdd, Created, "add a supplier", cli=(Cli(("supplier", "add")),),
    writes=True)

CUSTOMER_ADD: Command[CustomerAdd, CustomerRow] = Command(
    "customer.add", CustomerAdd, CustomerRow, "add a customer", cli=(Cli(("customer", "add")),),
    writes=True)
CUSTOMER_UPDATE: Command[CustomerUpdate, CustomerRow] = Command(
    "customer.update", CustomerUpdate, CustomerRow, "edit a customer",
    cli=(Cli(("customer", "edit")),), writes=True)
CUSTOMER_LIST: Command[CustomerList, list[CustomerRow]] = Command(
    "customer.list", CustomerList, list[CustomerRow], "customers", cli=(Cli(("customer", "list")),))
CUSTOMER_FIND: Command[CustomerFind, CustomerCard] = Command(
    "customer.find", CustomerFind, CustomerCard,
    "a customer's card: contacts, open orders, messages, calls", cli=(Cli(("customer", "show")),))
CUSTOMER_MERGE: Command[CustomerMerge, CustomerRow] = Command(
    "customer.merge", CustomerMerge, CustomerRow, "fold one customer into another",
    cli=(Cli(("customer", "merge")),), writes=True)

ORDER_ADD: Command[OrderAdd, OrderDetail] = Command(
    "order.add", OrderAdd, OrderDetail, "take an order", cli=(Cli(("order", "add")),), writes=True)
ORDER_LIST: Command[OrderList, list[OrderRow]] = Command(
    "order.list", OrderList, list[OrderRow], "orders, newest first", cli=(Cli(("order", "list")),))
ORDER_SHOW: Command[OrderRef, OrderDetail] = Command(
    "order.show", OrderRef, OrderDetail, "an order with its lines, payments and history",
    cli=(Cli(("order", "show")),))
ORDER_SET_STATUS: Command[OrderSetStatus, OrderDetail] = Command(
    "order.set_status", OrderSetStatus, OrderDetail,
    "move an order along its lifecycle (stock follows)", cli=(Cli(("order", "set-status")),),
    writes=True)
ORDER_UNDO_STATUS: Command[OrderUndoStatus, OrderDetail | UndoneMoves] = Command(
    "order.undo_status", OrderUndoStatus, OrderDetail | UndoneMoves,
    "take back the last status move of one order or several", writes=True)
ORDER_PAY: Command[OrderPay, OrderDetail] = Command(
    "order.pay", OrderPay, OrderDetail, "record a payment (or a refund)",
    cli=(Cli(("order", "pay")),
         Cli(("order", "refund"), help="record money given back", fixed={"refund": True})),
    writes=True)
ORDER_UPDATE: Command[OrderUpdate, OrderDetail] = Command(
    "order.update", OrderUpdate, OrderDetail,
    "edit an order's customer, notes, due time, delivery, tags", cli=(Cli(("order", "edit")),),
    writes=True)
ORDER_ADD_LINE: Command[OrderAddLine, OrderDetail] = Command(
    "order.add_line", OrderAddLine, OrderDetail, "add a line to an order", writes=True)
ORDER_UPDATE_LINE: Command[OrderUpdateLine, OrderDetail] = Command(
    "order.update_line", OrderUpdateLine, OrderDetail, "change or remove an order line",
    writes=True)
ORDER_RETURN: Command[OrderReturn, OrderDetail] = Command(
    "order.return", OrderReturn, OrderDetail, "record goods coming back (all, or some lines)",
    cli=(Cli(("order", "return")),), writes=True)

MESSAGE_LIST: Command[MessageList, list[MessageRow]] = Command(
    "message.list", MessageList, list[MessageRow], "the inbox, newest first",
    cli=(Cli(("message", "list")),))
MESSAGE_UPDATE: Command[MessageUpdate, Ok] = Command(
    "message.update", MessageUpdate, Ok,
    "mark a message read or unread, link it to an order or customer", writes=True)
MESSAGE_RECEIVE: Command[MessageReceive, Created] = Command(
    "message.receive", MessageReceive, Created,
    "record a message staff typed or pasted (e.g. a WhatsApp chat)",
    cli=(Cli(("message", "receive")),), writes=True)
CALL_LIST: Command[Limit, list[CallRow]] = Command(
    "call.list", Limit, list[CallRow], "calls, newest first", cli=(Cli(("call", "list")),))
ALERT_LIST: Command[AlertList, list[AlertRow]] = Command(
    "alert.list", AlertList, list[AlertRow], "open stock alerts", cli=(Cli(("alert", "list")),))
ALERT_RESOLVE: Command[AlertResolve, Ok] = Command(
    "alert.resolve", AlertResolve, Ok, "mark an alert dealt with", cli=(Cli(("alert", "resolve")),),
    writes=True)
SMS_SEND: Command[SmsSend, SmsQueued] = Command(
    "sms.send", SmsSend, SmsQueued,
    "queue an SMS in the shop outbox (the till with the modem sends it)",
    cli=(Cli(("sms", "send")),), writes=True)
INTAKE_PARSE: Command[IntakeParse, IntakeProposal] = Command(
    "intake.parse", IntakeParse, IntakeProposal, "the order parser's proposal for a text",
    cli=(Cli(("intake", "parse")),))
INTAKE_CORRECT: Command[IntakeCorrect, AliasLearned] = Command(
    "intake.correct", IntakeCorrect, AliasLearned,
    "teach the parser: these words mean this product", cli=(Cli(("intake", "correct")),),
    writes=True)

EXPORT: Command[Export, ExportResult] = Command(
    "export", Export, ExportResult,
    "write orders (with lines and payments) to a "
                 "CSV or JSON file",
    cli=(Cli(("export",)),))
REBUILD_READ_MODEL: Command[NoParams, RebuildResult] = Command(
    "rebuild_read_model", NoParams, RebuildResult,
    "recreate the SQLite read model from the documents", cli=(Cli(("rebuild-read-model",)),))

DEVICES_STATUS: Command[NoParams, DeviceStates] = Command(
    "devices.status", NoParams, DeviceStates, "modem and caller-ID state", cli=(Cli(("devices",)),),
    needs="devices")
PEERS_STATUS: Command[NoParams, PeersStatus] = Command(
    "peers.status", NoParams, PeersStatus,
    "tills this engine syncs with, and this till's addresses", cli=(Cli(("peers",)),),
    needs="peers")
PAIR_PENDING: Command[NoParams, list[JoinRequestRow]] = Command(
    "pair.pending", NoParams, list[JoinRequestRow], "tills waiting to join",
    cli=(Cli(("pair", "list")),), needs="peers")
PAIR_APPROVE: Command[PairCode, Approved] = Command(
    "pair.approve", PairCode, Approved, "let a waiting till join", cli=(Cli(("pair", "approve")),),
    writes=True, needs="peers")
PAIR_DECLINE: Command[PairDecline, JoinRequestRow] = Command(
    "pair.decline", PairDecline, JoinRequestRow, "turn a waiting till away",
    cli=(Cli(("pair", "decline")),), needs="peers")
TILL_REMOVE: Command[TillRemove, TillRemoved] = Command(
    "till.remove", TillRemove, TillRemoved, "refuse a till from now on",
    cli=(Cli(("till", "remove")),), writes=True, needs="peers")
TILL_SET_ROLE: Command[TillSetRole, TillRole] = Command(
    "till.set_role", TillSetRole, TillRole,
    "make a till a manager (may pair and remove tills) or a plain till",
    cli=(Cli(("till", "set-role")),), writes=True)
SYNC_HEADS: Command[NoParams, DocHeads] = Command(
    "sync.heads", NoParams, DocHeads, "every document's heads, to check that tills converged",
    cli=(Cli(("sync", "heads")),), needs="peers")

COMMANDS: tuple[Command[Any, Any], ...] = (
    SHOP_CREATE, SHOP_INFO, SHOP_SET_SETTING,
    PRODUCT_ADD, PRODUCT_UPDATE, PRODUCT_ALIAS, PRODUCT_LIST, STOCK_LIST, STOCK_ADJUST,
    SUPPLIER_ADD,
    CUSTOMER_ADD, CUSTOMER_UPDATE, CUSTOMER_LIST, CUSTOMER_FIND, CUSTOMER_MERGE,
    ORDER_ADD, ORDER_LIST, ORDER_SHOW, ORDER_SET_STATUS, ORDER_UNDO_STATUS, ORDER_PAY,
    ORDER_UPDATE, ORDER_ADD_LINE, ORDER_UPDATE_LINE, ORDER_RETURN,
    MESSAGE_LIST, MESSAGE_UPDATE, MESSAGE_RECEIVE, CALL_LIST, ALERT_LIST, ALERT_RESOLVE,
    SMS_SEND, INTAKE_PARSE, INTAKE_CORRECT,
    EXPORT, REBUILD_READ_MODEL,
    DEVICES_STATUS, PEERS_STATUS, PAIR_PENDING, PAIR_APPROVE, PAIR_DECLINE, TILL_REMOVE,
    TILL_SET_ROLE,
    SYNC_HEADS,
)
BY_NAME: dict[str, Command[Any, Any]] = {c.name: c for c in COMMANDS}

SUBSCRIBE = "subscribe"
"""The IPC request that starts the event stream (served by the IPC server itself)."""

#: CLI groups: the first word of a command's CLI path, with its help
CLI_GROUPS = {
    "shop": "create or show the shop", "product": "catalog", "stock": "stock levels",
    "supplier": "suppliers", "customer": "customers", "order": "orders",
    "message": "inbox", "call": "calls", "alert": "stock alerts",
    "sms": "text messages through the shop's GSM modem",
    "intake": "turn messages into draft orders", "pair": "approve a till that asked to join",
    "till": "the shop's tills", "sync": "replication state",
}


# --------------------------------------------------------------------------- events


class EventName(enum.StrEnum):
    CHANGED = "changed"
    NEW_MESSAGE = "new_message"
    INCOMING_CALL = "incoming_call"
    DEVICE_STATUS = "device_status"
    JOIN_REQUESTED = "join_requested"
    DISCONNECTED = "disconnected"


class ChangedEvent(TypedDict):
    event: Literal["changed"]
    changes: dict[str, Any]


class NewMessageEvent(TypedDict):
    event: Literal["new_message"]
    message_id: str | None
    channel: str
    customer_id: str | None


class IncomingCallEvent(TypedDict):
    event: Literal["incoming_call"]
    customer_id: str | None
    call: dict[str, Any]


class DeviceStatusEvent(TypedDict):
    event: Literal["device_status"]
    device: str
    state: str
    detail: str
    signal_bars: int | None
    port: str | None


class JoinRequestedEvent(TypedDict):
    event: Literal["join_requested"]
    till_id: str
    name: str
    ref: str
    address: str


class DisconnectedEvent(TypedDict):
    event: Literal["disconnected"]


Event = (ChangedEvent | NewMessageEvent | IncomingCallEvent | DeviceStatusEvent
         | JoinRequestedEvent | DisconnectedEvent)


def changed_event(changes: dict[str, Any]) -> ChangedEvent:
    return {"event": "changed", "changes": changes}


def new_message_event(message_id: str | None, channel: str,
                      customer_id: str | None) -> NewMessageEvent:
    return {"event": "new_message", "message_id": message_id, "channel": channel,
            "customer_id": customer_id}


def incoming_call_event(call: dict[str, Any], customer_id: str | None) -> IncomingCallEvent:
    return {"event": "incoming_call", "customer_id": customer_id, "call": call}


def device_status_event(device: str, state: str, detail: str, signal_bars: int | None,
                        port: str | None) -> DeviceStatusEvent:
    return {"event": "device_status", "device": device, "state": state, "detail": detail,
            "signal_bars": signal_bars, "port": port}


def join_requested_event(till_id: str, name: str, ref: str,
                         address: str) -> JoinRequestedEvent:
    return {"event": "join_requested", "till_id": till_id, "name": name, "ref": ref,
            "address": address}


DISCONNECTED: DisconnectedEvent = {"event": "disconnected"}


@dataclass(frozen=True)
class EventSpec:
    name: EventName
    payload: type[Any]
    help: str


EVENTS: tuple[EventSpec, ...] = (
    EventSpec(EventName.CHANGED, ChangedEvent, "records a command or a merge changed "
              "(``sync.changes.Changes.to_json``): views refresh only those"),
    EventSpec(EventName.NEW_MESSAGE, NewMessageEvent, "a device brought in a new message"),
    EventSpec(EventName.INCOMING_CALL, IncomingCallEvent,
              "the phone rings (on any till of the shop): pop the caller's card"),
    EventSpec(EventName.DEVICE_STATUS, DeviceStatusEvent, "a modem or caller-ID unit changed "
              "state"),
    EventSpec(EventName.JOIN_REQUESTED, JoinRequestedEvent,
              "a new till asks to join; staff type the code its screen shows"),
    EventSpec(EventName.DISCONNECTED, DisconnectedEvent,
              "sent by the client itself when the engine connection ends"),
)


# --------------------------------------------------------------------------- catalogue


def catalogue_markdown() -> str:
    """The command and event catalogue for docs/ARCHITECTURE.md (a test keeps it fresh)."""
    out = ["| command | CLI | parameters | result | what it does |",
           "|---|---|---|---|---|"]
    for spec in COMMANDS:
        hints = field_types(spec.params)
        params = []
        for f in dataclasses.fields(spec.params):
            info = arg_info(f)
            required = (f.default is dataclasses.MISSING
                        and f.default_factory is dataclasses.MISSING)
            params.append(f"`{json_key(f)}`{'' if required else '?'}: "
                          f"{describe_type(hints[f.name])}".replace("|", "\\|")
                          + ("" if info.cli else " (JSON only)"))
        cli = "<br>".join(f"`countertop {' '.join(c.path)}`" for c in spec.cli) or "—"
        needs = f" (needs the running engine's {spec.needs})" if spec.needs else ""
        out.append(f"| `{spec.name}` | {cli} | {'<br>'.join(params) or '—'} | "
                   f"{describe_type(spec.result).replace('|', chr(92) + '|')} | "
                   f"{spec.help}{needs} |")
    out += ["", "| event | payload | when |", "|---|---|---|"]
    for ev in EVENTS:
        hints = typing.get_type_hints(ev.payload, globalns=globals())
        payload = ", ".join(f"`{k}`" for k in hints if k != "event") or "—"
        out.append(f"| `{ev.name.value}` | {payload} | {ev.help} |")
    return "\n".join(out) + "\n"


CATALOGUE_START = "<!-- catalogue:start -->"
CATALOGUE_END = "<!-- catalogue:end -->"


def with_catalogue(doc: str) -> str:
    """``doc`` with the text between the catalogue markers replaced by the catalogue."""
    head, start, rest = doc.partition(CATALOGUE_START)
    _, end, tail = rest.partition(CATALOGUE_END)
    if not start or not end:
        raise ValueError(f"no {CATALOGUE_START} ... {CATALOGUE_END} markers")
    return f"{head}{start}\n{catalogue_markdown()}{end}{tail}"


def main(argv: list[str] | None = None) -> int:
    """``python -m app.protocol [--write FILE]``: print the catalogue, or refresh it in FILE."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m app.protocol", description=main.__doc__)
    parser.add_argument("--write", type=Path, help="a Markdown file with catalogue markers")
    ns = parser.parse_args(argv)
    if ns.write is None:
        print(catalogue_markdown(), end="")
        return 0
    ns.write.write_text(with_catalogue(ns.write.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

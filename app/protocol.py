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
them; every amount also comes as ``<field>_text`` formatted for people (the shop's
locale: "£1,234.50", "1.234,50 €").

Who did it (every write command). A command with ``writes=True`` records the staff
member who made the change. Its parameters carry ``by: str = arg("", cli=False)``
(``tests/test_protocol_staff.py`` insists); the CLI generator offers ``--staff NAME`` on
every write command and puts it in ``by``; the registry resolves ``by`` before the
handler runs (``Registry._who``): a name given must be one of the shop's staff (once it
has any), and an empty one becomes whoever is signed in at this till
(``app/engine/staff_desk.py``). So a new write command gets ``--staff`` and the
signed-in member for free; its handler passes ``a.by`` on to what it writes.

Two more parameters mean the same on every command that has them. ``confirm: bool``:
go ahead with what looked like a slip (an amount or quantity beyond the shop's sanity
limit, a card payment beyond what is owed); without it the engine refuses with
``NeedsConfirmation`` and the window asks. ``manager_pin: str`` (CLI
``--manager-pin-file F``, read from a file so no PIN shows in the process list): a
manager's PIN given on the spot for what needs a manager (refunds, price overrides,
discounts above the shop's limit, write-offs, removing a till); without it a counter
member is refused with ``NeedsManager`` and the window asks for the PIN.
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


def is_unset_type(tp: Any) -> bool:
    """Whether ``tp`` (one member of a parameter's union) is the ``Unset`` marker."""
    return tp is _Unset or (typing.get_origin(tp) is Literal and typing.get_args(tp) == (UNSET,))


@dataclass(frozen=True)
class Arg:
    """How one parameter is read from JSON and offered on the command line.

    ``key``: its JSON name when that is not the field name (``from``). ``flag``: the CLI
    option (default ``--field-name``); ``positional``: a CLI positional instead.
    ``cli``: offered on the CLI at all. ``cli_required``: required there though JSON may
    leave it out. ``cli_form``: how CLI text becomes the JSON value: ``pairs``
    (``NAME=VALUE`` -> dict), ``groups`` (``GROUP=a,b`` -> dict of lists), ``line_qty``
    (``LINE:QTY`` -> dict, empty -> null), ``path`` (made absolute), ``invert`` (a
    ``--no-x`` switch for a true-by-default flag), ``secret_file`` (the option names a
    file whose first line is the value: PINs). ``off_flag``: a flag's opposite
    (``--restock`` / ``--write-off``): the two are exclusive, and giving neither keeps
    the default.
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
    off_flag: str | None = None


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
    if is_unset_type(tp):
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
    variant_prices: dict[str, int]
    option_prices: dict[str, dict[str, int]]
    #: group -> option -> other words for it (``product.option_alias``)
    option_aliases: dict[str, dict[str, list[str]]]
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


class StockAdjusted(TypedDict):
    """``move`` names the adjustment (``stock.undo`` takes it back); ``alerts``: the
    alerts it raised (the undo clears them)."""

    move: str
    sku: str
    delta: str
    levels: list[StockRow]
    alerts: list[str]


class StockMoveRow(TypedDict, total=False):
    id: str
    sku: str
    location: str
    delta: str
    reason: str
    at: str
    till: str
    by: str
    undoes: str
    po: str
    undone_by: str | None


class RepricedRow(TypedDict):
    sku: str
    name: str
    old: int
    new: int
    old_text: str
    new_text: str


class Repriced(TypedDict):
    changed: list[RepricedRow]
    count: int
    written: bool


class ImportRow(TypedDict, total=False):
    """One row of a catalog file: what it would do (add, update, unchanged, error)."""

    row: int
    sku: str
    name: str
    action: str
    errors: list[str]
    changes: list[str]


class ImportReport(TypedDict):
    path: str
    format: str
    rows: list[ImportRow]
    add: int
    update: int
    unchanged: int
    errors: int
    written: bool


class CatalogExported(TypedDict):
    path: str
    products: int
    format: str


class SupplierRow(TypedDict, total=False):
    id: str
    name: str
    contact: str
    email: str
    phone: str
    lead_time_days: int
    products: list[str]
    notes: str
    active: int


class PurchaseOrderDetail(TypedDict, total=False):
    """``state``: draft, sent, partly received, received or cancelled (what came in is
    the stock moves against its lines)."""

    id: str
    number: str
    supplier_id: str
    supplier_name: str
    supplier_email: str
    state: str
    notes: str
    created_at: str
    sent_at: str | None
    sent_via: str
    lines: list[dict[str, Any]]
    total_cost: int
    total_cost_text: str


class ReorderRow(TypedDict, total=False):
    sku: str
    name: str
    unit: str
    available_milli: int
    low_stock: str | None
    on_order_milli: int
    sold_per_day: float
    lead_time_days: int
    supplier_id: str | None
    supplier_name: str | None
    suggested: int


class MergePreview(TypedDict, total=False):
    """The kept card as it would be after the merge, and what moves over to it."""

    keep: CustomerRow
    merge: CustomerRow
    result: CustomerRow
    moves: dict[str, int]
    kept_orders: int


class DuplicateGroup(TypedDict):
    contact: str
    kind: str
    customers: list[dict[str, Any]]


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
    """Beside the row: every money figure (``sync.order_totals``; ``balance`` is
    ``adjusted_total`` less ``paid``), tax per rate (``tax_lines``: rate, net, tax) and
    the history, each entry with ``text`` as a person would write it."""

    lines: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    history: list[dict[str, Any]]
    subtotal: int
    discount: int
    tax: int
    tax_lines: list[dict[str, Any]]
    returned: int
    adjusted_total: int
    refunded: int
    prices_include_tax: int
    change_due: int


class StaffRow(TypedDict):
    id: str
    name: str
    role: str
    active: int


class SignedIn(TypedDict):
    """Who is signed in at this till (``staff`` null for nobody)."""

    staff: StaffRow | None


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
    preview: str
    meta: dict[str, Any]
    error: str


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
    lines: int
    payments: int
    files: list[str]


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


class MailboxStatus(TypedDict, total=False):
    configured: bool
    running: bool
    settings: dict[str, Any]
    imap: dict[str, Any]
    smtp: dict[str, Any]
    error: str
    settings_file: str


class Queued(TypedDict, total=False):
    id: str | None
    channel: str
    to: str
    subject: str
    state: str


class ConversationRow(TypedDict, total=False):
    key: str
    customer_id: str | None
    customer_name: str | None
    contact: str
    last_at: str
    last_text: str
    last_channel: str
    unread: int
    channels: list[str]
    assignee: str
    tags: list[str]
    status: str
    snoozed_until: str | None


class ConversationDetail(ConversationRow, total=False):
    items: list[dict[str, Any]]
    orders: list[OrderRow]
    reply_channel: str | None
    reply_to: str | None


class TemplateRow(TypedDict, total=False):
    name: str
    subject: str
    text: str
    enabled: bool
    edited: bool


class QuickReplyRow(TypedDict, total=False):
    id: str
    name: str
    text: str
    archived: int


class ReportColumn(TypedDict):
    key: str
    label: str
    kind: str  # text, money, count, qty, percent, seconds


class ReportTable(TypedDict, total=False):
    """One table of a report: its rows, totals and the chart that shows it best."""

    title: str
    columns: list[ReportColumn]
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    chart: dict[str, Any] | None


class Report(TypedDict, total=False):
    """Every report has this shape, so the window, the CLI and the exports treat all
    alike. Money is integers in minor units of ``currency`` (``*_text`` beside them)."""

    report: str
    title: str
    currency: str
    date_from: str
    date_to: str
    till: str | None
    tables: list[ReportTable]
    totals: dict[str, Any]
    written: str | None
    closed: dict[str, Any] | None


class CashupRecord(TypedDict, total=False):
    id: str
    till: str | None
    till_name: str
    day: str
    closed_at: str
    closed_by: str
    expected_cash: int
    counted_cash: int
    difference: int
    opening_float: int
    figures: dict[str, Any]


class BackupResult(TypedDict):
    path: str
    bytes: int
    documents: int
    with_identity: bool
    at: str


class BackupStatus(TypedDict, total=False):
    last_at: str | None
    last_path: str | None
    last_error: str | None
    folder: str
    keep: int
    age_hours: float | None
    stale: bool


class PrintResult(TypedDict):
    order: str
    kind: str
    printer: str
    bytes: int


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

MANAGER_PIN_HELP = "a file holding a manager's PIN, for what needs a manager"
CONFIRM_HELP = "go ahead although the amount or quantity looks unusual"

# shop


@dataclass(frozen=True)
class ShopCreate:
    name: str = arg(help="the shop's name", flag="--name", cli_required=True)
    currency: str = arg("", help="ISO 4217 currency code (default: the region's currency)")
    region: str = arg("GB", help="region for phone numbers (ISO 3166, e.g. GB)")
    timezone: str = arg("UTC", help="IANA time zone, e.g. Europe/London")
    till_name: str = arg("Till 1", help="this till's name")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class NoParams:
    pass


@dataclass(frozen=True)
class ShopSetSetting:
    key: str = arg(help="setting name", positional=True)
    value: Any = arg(None, help="its value (JSON)", positional=True)
    by: str = arg("", cli=False)


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
    """Only what is given changes; lists (aliases, variants, option groups) are replaced
    when given, aliases also added or taken off one by one."""

    sku: str = arg(help="the product", positional=True)
    fields: dict[str, Any] = arg(factory=dict, cli=False,
                                 help="name, price, unit, tax_rate, active, low_stock, ...")
    name: str | None = arg(None, help="new name")
    price: Any = arg(None, help="new price in the shop's currency")
    unit: str | None = arg(None, help="selling unit: each, kg, g, l, ...")
    category: str | None = arg(None, help="the product's category (reports group sales by it)")
    tax_rate: str | None = arg(None, help="tax rate in percent")
    low_stock: Any = arg(UNSET, help="warn at this level ('none' turns the warning off)")
    aliases: list[str] | None = arg(None, cli=False, help="every alias (replaces them)")
    add_aliases: list[str] = arg(factory=list, flag="--add-alias", help="(repeat)")
    remove_aliases: list[str] = arg(factory=list, flag="--remove-alias", help="(repeat)")
    variants: list[str] | None = arg(None, flag="--variant", metavar="NAME[=PRICE]",
                                     help="a variant, with its own price (repeat; replaces "
                                          "the variants)")
    option_groups: dict[str, list[str]] | None = arg(
        None, flag="--option", cli_form="groups", metavar="GROUP=a,b=PRICE",
        help="an option group; an option may add to the price (repeat; replaces them)")
    archive: bool = arg(False, help="stop selling it (kept, and shown as archived)")
    restore: bool = arg(False, help="sell it again")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class ProductReprice:
    skus: list[str] = arg(factory=list, flag="--sku", help="a product (repeat)")
    search: str | None = arg(None, help="every active product whose SKU, name or alias "
                                        "has these words")
    percent: str | None = arg(None, help="change by this percentage (+5, -10)")
    amount: str | None = arg(None, help="change by this amount (+0.20, -0.50)")
    to: str | None = arg(None, flag="--set", help="set this price")
    prices: dict[str, Any] = arg(factory=dict, cli=False,
                                 help="SKU -> new price (what an undo sends back)")
    dry_run: bool = arg(False, help="show the new prices, change nothing")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class ProductImport:
    path: str = arg(help="a .csv or .xlsx file (columns as `product export` writes them)",
                    positional=True, cli_form="path", metavar="FILE")
    dry_run: bool = arg(False, help="show what each row would do, change nothing")
    skip_errors: bool = arg(False, help="write the good rows even when some have errors")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class ProductExport:
    out: str = arg(help="the file to write", cli_form="path", cli_required=True)
    format: str = arg("csv", choices=("csv", "xlsx"), help="csv or xlsx")
    include_archived: bool = arg(True, flag="--no-archived", cli_form="invert",
                                 help="leave archived products out")


@dataclass(frozen=True)
class ProductAlias:
    sku: str = arg(help="the product", positional=True)
    alias: str = arg(help="the shop's word for it", positional=True)
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class ProductOptionAlias:
    """Another word for one of a product's options, for the intake parser."""

    sku: str = arg(help="the product", positional=True)
    group: str = arg(help="the option group's name (e.g. Size), or 'variant'", positional=True)
    option: str = arg(help="the option as the catalog has it (e.g. 2.5L)", positional=True)
    alias: str = arg(help="what customers call it (e.g. '2.5 litre', 'big tin')",
                     positional=True)
    by: str = arg("", cli=False)


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
class StockUndo:
    move: str = arg(help="the adjustment (its id, as `stock adjust` printed it)",
                    positional=True)
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class StockMoves:
    sku: str | None = arg(None, help="one product's moves")
    limit: int = arg(50, help="at most this many")


@dataclass(frozen=True)
class SupplierAdd:
    name: str = arg("", help="supplier name", cli_required=True)
    contact: str = arg("", help="the person to ask for")
    products: list[str] = arg(factory=list, flag="--product", help="a SKU they supply (repeat)")
    lead_time_days: int = arg(0, help="days from order to delivery")
    email: str = arg("", help="where purchase orders go")
    phone: str = arg("", help="their phone number")
    notes: str = arg("", flag="--note", help="a note staff see")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class SupplierUpdate:
    supplier: str = arg(help="the supplier (id or exact name)", positional=True)
    name: str | None = arg(None, help="new name")
    contact: str | None = arg(None, help="the person to ask for")
    email: str | None = arg(None, help="where purchase orders go")
    phone: str | None = arg(None, help="their phone number")
    lead_time_days: int | None = arg(None, help="days from order to delivery")
    products: list[str] | None = arg(None, cli=False, help="every SKU they supply")
    add_products: list[str] = arg(factory=list, flag="--add-product", help="(repeat)")
    remove_products: list[str] = arg(factory=list, flag="--remove-product", help="(repeat)")
    notes: str | None = arg(None, flag="--note", help="replace the note")
    archive: bool = arg(False, help="no longer buy from them (kept on old orders)")
    restore: bool = arg(False, help="buy from them again")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class SupplierList:
    all: bool = arg(False, help="archived suppliers too")


@dataclass(frozen=True)
class PoCreate:
    supplier: str = arg(help="the supplier (id or exact name)", positional=True)
    lines: list[str] = arg(factory=list, flag="--line", metavar="SKU:QTY[@COST]",
                           help="what to order, with the unit cost if known (repeat)")
    suggested: bool = arg(False, help="order what the reorder suggestion says for this "
                                      "supplier's products")
    notes: str = arg("", flag="--note", help="a note for the supplier")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class PoRef:
    po: str = arg(help="the purchase order (number such as PO-A001, or id)", positional=True)


@dataclass(frozen=True)
class PoReceive:
    po: str = arg(help="the purchase order (number or id)", positional=True)
    lines: list[str] = arg(factory=list, flag="--line", metavar="SKU:QTY",
                           help="what came in (repeat; a SKU or a PO line id)")
    all: bool = arg(False, help="everything still to come arrived")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class PoSend:
    po: str = arg(help="the purchase order (number or id)", positional=True)
    via: str = arg("pdf", choices=("pdf", "email", "phone", "in person"),
                   help="how it went to the supplier")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class PoCancel:
    po: str = arg(help="the purchase order (number or id)", positional=True)
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class PoList:
    open: bool = arg(False, help="only those still to come")


@dataclass(frozen=True)
class ReorderList:
    days: int = arg(28, help="sales over this many days set the pace")
    cover_days: int = arg(7, help="order enough for this many days after delivery")


# customers


@dataclass(frozen=True)
class CustomerAdd:
    name: str = arg("", help="the customer's name", cli_required=True)
    phones: list[str] = arg(factory=list, flag="--phone", help="a phone number (repeat)")
    emails: list[str] = arg(factory=list, flag="--email", help="an email address (repeat)")
    addresses: list[str] = arg(factory=list, flag="--address", help="an address (repeat)")
    notes: str = arg("", flag="--note", help="a note staff see")
    tags: list[str] = arg(factory=list, flag="--tag", help="a tag (repeat)")
    by: str = arg("", cli=False)


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
    remove_phones: list[str] = arg(factory=list, flag="--remove-phone", help="(repeat)")
    remove_emails: list[str] = arg(factory=list, flag="--remove-email", help="(repeat)")
    remove_addresses: list[str] = arg(factory=list, flag="--remove-address", help="(repeat)")
    by: str = arg("", cli=False)


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
    preview: bool = arg(False, help="show what the merge would make, change nothing")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class CustomerDuplicates:
    customer: str | None = arg(None, help="only those involving this customer")


# orders


@dataclass(frozen=True)
class OrderAdd:
    customer: str | None = arg(None, help="phone, email or customer id")
    lines: list[Any] = arg(factory=list, flag="--line", metavar="SKU:QTY",
                           help="a line, SKU:QTY (repeat); JSON also takes objects with "
                                "sku, qty, unit, asked, description, unit_price, notes, "
                                "modifiers")
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
    confirm: bool = arg(False, help=CONFIRM_HELP)
    manager_pin: str = arg("", flag="--manager-pin-file", cli_form="secret_file",
                           metavar="FILE", help=MANAGER_PIN_HELP)
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
    confirm: bool = arg(False, help="take a card (or other) payment beyond what is owed")
    manager_pin: str = arg("", flag="--manager-pin-file", cli_form="secret_file",
                           metavar="FILE", help=MANAGER_PIN_HELP)
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
    confirm: bool = arg(False, help=CONFIRM_HELP)
    manager_pin: str = arg("", flag="--manager-pin-file", cli_form="secret_file",
                           metavar="FILE", help=MANAGER_PIN_HELP)
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class OrderUpdateLine:
    order: str = arg(help="id or number", positional=True)
    line_id: str = arg(help="the line", positional=True)
    qty: Any = arg(None, help="new quantity")
    unit_price: Any = arg(None, help="new unit price")
    notes: str | None = arg(None, flag="--note", help="the line's note")
    remove: bool = arg(False, help="take the line off the order")
    confirm: bool = arg(False, help=CONFIRM_HELP)
    manager_pin: str = arg("", flag="--manager-pin-file", cli_form="secret_file",
                           metavar="FILE", help=MANAGER_PIN_HELP)
    unit: str | None = arg(None, help="the unit qty is in (lb, g, ...; default: the line's)")
    asked: str | None = arg(None, help="the customer's words for the amount")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class OrderReturn:
    order: str = arg(help="id or number", positional=True)
    lines: dict[str, Any] | None = arg(None, flag="--line", cli_form="line_qty",
                                       metavar="LINE:QTY",
                                       help="LINE:QTY, the line's id or number (default: all)")
    restock: bool = arg(True, flag="--restock", off_flag="--write-off",
                        help="back on the shelf (default), or written off (needs a manager)")
    reason: str = arg("", help="why it came back (dropped, wrong item, ...)")
    manager_pin: str = arg("", flag="--manager-pin-file", cli_form="secret_file",
                           metavar="FILE", help=MANAGER_PIN_HELP)
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class OrderDiscount:
    order: str = arg(help="id or number", positional=True)
    percent: Any = arg(None, help="a percentage off (0 takes a discount away)")
    amount: Any = arg(None, help="an amount off, in the shop's currency")
    line: str | None = arg(None, help="one line (its id or number); default the whole order")
    manager_pin: str = arg("", flag="--manager-pin-file", cli_form="secret_file",
                           metavar="FILE", help=MANAGER_PIN_HELP)
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class OrderExchange:
    order: str = arg(help="id or number", positional=True)
    lines: dict[str, Any] | None = arg(None, flag="--line", cli_form="line_qty",
                                       metavar="LINE:QTY", cli_required=True,
                                       help="what comes back, LINE:QTY (repeat)")
    new_lines: list[Any] = arg(factory=list, flag="--give", metavar="SKU:QTY",
                               cli_required=True,
                               help="what goes out instead, SKU:QTY (repeat)")
    reason: str = arg("", help="why it came back")
    restock: bool = arg(True, flag="--restock", off_flag="--write-off",
                        help="back on the shelf (default), or written off (needs a manager)")
    manager_pin: str = arg("", flag="--manager-pin-file", cli_form="secret_file",
                           metavar="FILE", help=MANAGER_PIN_HELP)
    by: str = arg("", cli=False)


# staff


@dataclass(frozen=True)
class StaffAdd:
    name: str = arg("", help="the staff member's name", cli_required=True)
    role: str = arg("counter", choices=("counter", "manager"), help="counter or manager")
    pin: str = arg("", flag="--pin-file", cli_form="secret_file", metavar="FILE",
                   cli_required=True, help="a file holding their PIN (4 to 12 digits)")
    manager_pin: str = arg("", flag="--manager-pin-file", cli_form="secret_file",
                           metavar="FILE", help=MANAGER_PIN_HELP)
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class StaffUpdate:
    staff: str = arg(help="the member's name or id", positional=True, metavar="name")
    name: str | None = arg(None, flag="--rename", help="a new name")
    role: str | None = arg(None, choices=("counter", "manager"), help="counter or manager")
    pin: str | None = arg(None, flag="--pin-file", cli_form="secret_file", metavar="FILE",
                          help="a file holding their new PIN")
    active: bool | None = arg(None, flag="--active", off_flag="--inactive",
                              help="working here, or not any more")
    manager_pin: str = arg("", flag="--manager-pin-file", cli_form="secret_file",
                           metavar="FILE", help=MANAGER_PIN_HELP)
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class StaffList:
    all: bool = arg(False, help="those no longer working here too")


@dataclass(frozen=True)
class StaffSignIn:
    name: str = arg("", help="who is signing in", cli_required=True)
    pin: str = arg("", flag="--pin-file", cli_form="secret_file", metavar="FILE",
                   cli_required=True, help="a file holding their PIN")


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
    by: str = arg("", cli=False)


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
    by: str = arg("", cli=False)


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
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class IntakeParse:
    text: str = arg("", help="the message text", positional=True)


@dataclass(frozen=True)
class IntakeCorrect:
    text: str = arg("", help="the words the customer used, e.g. 'margs'", positional=True)
    sku: str = arg("", help="the product they meant", cli_required=True)
    by: str = arg("", cli=False)


# maintenance, peers


@dataclass(frozen=True)
class Export:
    format: str = arg("json", choices=("csv", "json", "xlsx"), cli_required=True,
                      help="file format (csv writes orders.csv, lines and payments beside it)")
    out: str = arg("", help="file to write", cli_form="path", cli_required=True)


@dataclass(frozen=True)
class PairCode:
    code: str = arg("", help="the 6-digit code the new till's screen shows", positional=True)
    till: str = arg("", help="which waiting till, when several wait (its ref or name from "
                    "`pair list`)")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class PairDecline:
    till: str = arg("", help="which waiting till, when several wait (its ref or name from "
                    "`pair list`)", positional=True, metavar="ref")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class TillRemove:
    till: str = arg("", help="the till's id (or its first characters)", positional=True,
                    metavar="till_id")
    manager_pin: str = arg("", flag="--manager-pin-file", cli_form="secret_file",
                           metavar="FILE", help=MANAGER_PIN_HELP)
    by: str = arg("", cli=False)


# mailbox, conversations, replies, templates (issue 12)


@dataclass(frozen=True)
class MailboxSet:
    imap_host: str = arg("", help="IMAP server", cli_required=True)
    imap_port: int = arg(0, help="IMAP port (default: 993 implicit TLS, 143 otherwise)")
    imap_tls: str = arg("implicit", choices=("implicit", "starttls", "none"),
                        help="how to secure IMAP (none only for a server on this machine)")
    user: str = arg("", help="account user name", cli_required=True)
    password_file: str = arg("", cli_form="path", metavar="FILE",
                             help="file whose first line is the password or app password")
    password: str = arg("", cli=False, help="the password itself (the window's settings)")
    folder: str = arg("INBOX", help="folder to read")
    smtp_host: str = arg("", help="SMTP server (default: the IMAP server)")
    smtp_port: int = arg(0, help="SMTP port (default: 465 implicit, 587 STARTTLS, 25 none)")
    smtp_tls: str = arg("starttls", choices=("implicit", "starttls", "none"),
                        help="how to secure SMTP")
    from_address: str = arg("", key="from", flag="--from", metavar="ADDRESS",
                            help="From address of replies (default: the user name)")
    processed_folder: str = arg("", help="move handled mail to this folder instead of "
                                         "flagging it seen")
    ca_file: str = arg("", cli_form="path", metavar="FILE",
                       help="also trust this CA certificate (the shop's own server)")
    poll_interval: int = arg(60, cli=False, help="seconds between checks besides IDLE")


@dataclass(frozen=True)
class MessageReply:
    message: str = arg(help="the message to answer", positional=True)
    text: str = arg("", help="the reply", cli_required=True)
    subject: str = arg("", help="email subject (default: Re: the message's)")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class MessageRef:
    message: str = arg(help="the message id", positional=True)
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class ConversationList:
    status: str = arg("open", choices=("open", "done", "snoozed", "all"),
                      help="which conversations")
    mine: bool = arg(False, help="only those assigned to --me")
    me: str = arg("", help="your name (for --mine)")
    unassigned: bool = arg(False, help="only those nobody has taken")
    unread: bool = arg(False, help="only those with unread messages")
    channel: str = arg("", help="only those with messages on this channel")
    tag: str = arg("", help="only those with this tag")
    search: str = arg("", help="words of a message, name, number or address")
    limit: int = arg(100, cli=False)
    offset: int = arg(0, cli=False)


@dataclass(frozen=True)
class ConversationRef:
    key: str = arg(help="customer id, phone number or email address", positional=True)
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class ConversationAssign:
    key: str = arg(help="customer id, phone number or email address", positional=True)
    to: str = arg("", help="staff member (empty: nobody)")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class ConversationTag:
    key: str = arg(help="customer id, phone number or email address", positional=True)
    add: list[str] = arg(factory=list, flag="--add", help="a tag to add (repeat)")
    remove: list[str] = arg(factory=list, flag="--remove", help="a tag to remove (repeat)")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class ConversationSetStatus:
    key: str = arg(help="customer id, phone number or email address", positional=True)
    status: str = arg("done", help="open, done or snoozed")
    until: str | None = arg(None, help="snooze until this ISO time")
    hours: int = arg(0, flag="--for-hours", help="snooze for this many hours")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class ConversationReply:
    key: str = arg(help="customer id, phone number or email address", positional=True)
    text: str = arg("", help="the reply", cli_required=True)
    subject: str = arg("", help="email subject")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class TemplateSet:
    name: str = arg(help="confirmed, ready, out_for_delivery, delayed, cancelled, feedback",
                    positional=True)
    text: str | None = arg(None, help="the words, with {customer} {order} {total} "
                                      "{ready_at} {carrier} {tracking} {shop}")
    subject: str | None = arg(None, help="email subject")
    enabled: bool | None = arg(None, cli=False, help="send it at all")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class TemplatePreview:
    name: str = arg(help="the template", positional=True)
    order: str | None = arg(None, help="fill it in for this order (default: an example)")


@dataclass(frozen=True)
class QuickReplyAdd:
    name: str = arg("", help="what staff type to find it", cli_required=True)
    text: str = arg("", help="the words, placeholders allowed", cli_required=True)
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class QuickReplyUpdate:
    id: str = arg(help="the quick reply", positional=True)
    name: str | None = arg(None, help="new name")
    text: str | None = arg(None, help="new words")
    archived: bool | None = arg(None, cli=False, help="take it off the list")
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class QuickReplyFill:
    id: str = arg(help="the quick reply", positional=True)
    key: str | None = arg(None, help="the conversation it is for")
    order: str | None = arg(None, help="the order it is about (default: their latest)")


@dataclass(frozen=True)
class OrderNotify:
    order: str = arg(help="id or number", positional=True)
    kind: str = arg(help="confirmed, ready, out_for_delivery, delayed, cancelled, feedback",
                    positional=True)
    by: str = arg("", cli=False)


@dataclass(frozen=True)
class CustomerOptOut:
    customer: str = arg(help="phone, email or id", positional=True)
    opt_out: bool = arg(True, cli=False, help="true: send nothing on the shop's own account")
    by: str = arg("", cli=False)


# reports, cash-up, backup, printing (issue 13)

REPORT_BY = ("day", "week", "month", "product", "category", "channel", "staff", "till")


@dataclass(frozen=True)
class ReportRange:
    date_from: str = arg("", key="from", flag="--from", metavar="DATE",
                         help="first day, YYYY-MM-DD (default: 30 days before --to)")
    date_to: str = arg("", key="to", flag="--to", metavar="DATE",
                       help="last day, YYYY-MM-DD (default: today)")
    till: str = arg("", help="only this till (its name, letter or id)")
    out: str = arg("", cli_form="path", help="also write it to FILE (.csv, .xlsx or .pdf)")


@dataclass(frozen=True)
class ReportSales(ReportRange):
    #: JSON key ``group_by``: ``by`` is every write command's staff member
    group_by: str = arg("day", flag="--by", choices=REPORT_BY, help="group sales by")


@dataclass(frozen=True)
class ReportCashup:
    till: str = arg("", help="this till only (its name, letter or id; default: the whole "
                             "shop)")
    date: str = arg("", metavar="DATE", help="the day, YYYY-MM-DD (default: today)")
    counted: Any = arg(None, help="the cash counted in the drawer: closes the day")
    opening_float: Any = arg(None, key="float", flag="--float",
                             help="cash in the drawer at opening")
    by: str = arg("", cli=False)  # who counted and closed the day (--staff)
    out: str = arg("", cli_form="path", help="also write it to FILE (.csv, .xlsx or .pdf)")


@dataclass(frozen=True)
class CashupList:
    limit: int = arg(50, help="at most this many")


@dataclass(frozen=True)
class BackupCreate:
    out: str = arg("", cli_form="path", help="the backup file to write (default: a dated "
                                             "file in the backup folder)")
    with_identity: bool = arg(False, help="include this till's identity (its keys): only "
                                          "to bring this same till back")


@dataclass(frozen=True)
class PrintTicket:
    order: str = arg(help="id or number", positional=True)
    kind: str = arg("receipt", choices=("receipt", "kitchen"), help="receipt (with prices) "
                    "or kitchen ticket (without)")
    printer: str = arg("", help="printer address (default: this till's setting), e.g. "
                                "tcp://192.0.2.5:9100, serial:/dev/ttyUSB0@19200, "
                                "usb:04b8:0202")


@dataclass(frozen=True)
class TillSetRole:
    till: str = arg("", help="the till's id (or its first characters)", positional=True,
                    metavar="till_id")
    role: str = arg("till", help="manager (may pair and remove tills) or till",
                    choices=("manager", "till"), positional=True)
    manager_pin: str = arg("", flag="--manager-pin-file", cli_form="secret_file",
                           metavar="FILE", help=MANAGER_PIN_HELP)
    by: str = arg("", cli=False)


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
    "product.update", ProductUpdate, ProductRow, "change a product's fields",
    cli=(Cli(("product", "edit")),), writes=True)
PRODUCT_ALIAS: Command[ProductAlias, ProductRow] = Command(
    "product.alias", ProductAlias, ProductRow, "remember another word for a product", writes=True)
# catalog: option aliases (issue 14)
PRODUCT_OPTION_ALIAS: Command[ProductOptionAlias, ProductRow] = Command(
    "product.option_alias", ProductOptionAlias, ProductRow,
    "remember another word for one of a product's options", cli=(Cli(("product",
                                                                     "option-alias")),),
    writes=True)
PRODUCT_LIST: Command[ProductList, list[ProductRow]] = Command(
    "product.list", ProductList, list[ProductRow], "the catalog", cli=(Cli(("product", "list")),))
STOCK_LIST: Command[NoParams, list[StockRow]] = Command(
    "stock.list", NoParams, list[StockRow], "stock levels", cli=(Cli(("stock",)),))
STOCK_ADJUST: Command[StockAdjust, StockAdjusted] = Command(
    "stock.adjust", StockAdjust, StockAdjusted,
    "count goods in or out (delivery, breakage, stock-take)", cli=(Cli(("stock", "adjust")),),
    writes=True)

# catalog: bulk edits, files, stock moves (issue 11)
PRODUCT_REPRICE: Command[ProductReprice, Repriced] = Command(
    "product.reprice", ProductReprice, Repriced,
    "change the prices of several products at once (by %, by an amount, or to a price)",
    cli=(Cli(("product", "reprice")),), writes=True)
PRODUCT_IMPORT: Command[ProductImport, ImportReport] = Command(
    "product.import", ProductImport, ImportReport,
    "add or update products from a CSV or XLSX file (every row checked first)",
    cli=(Cli(("product", "import")),), writes=True)
PRODUCT_EXPORT: Command[ProductExport, CatalogExported] = Command(
    "product.export", ProductExport, CatalogExported,
    "write the catalog to a CSV or XLSX file (the columns `product import` reads)",
    cli=(Cli(("product", "export")),))
STOCK_UNDO: Command[StockUndo, StockAdjusted] = Command(
    "stock.undo", StockUndo, StockAdjusted,
    "take back a stock adjustment, and clear the alerts it raised",
    cli=(Cli(("stock", "undo")),), writes=True)
STOCK_MOVES: Command[StockMoves, list[StockMoveRow]] = Command(
    "stock.moves", StockMoves, list[StockMoveRow], "stock moves, newest first",
    cli=(Cli(("stock", "moves")),))

# suppliers and purchase orders (issue 11)
SUPPLIER_ADD: Command[SupplierAdd, SupplierRow] = Command(
    "supplier.add", SupplierAdd, SupplierRow, "add a supplier",
    cli=(Cli(("supplier", "add")),), writes=True)
SUPPLIER_UPDATE: Command[SupplierUpdate, SupplierRow] = Command(
    "supplier.update", SupplierUpdate, SupplierRow, "change a supplier",
    cli=(Cli(("supplier", "edit")),), writes=True)
SUPPLIER_LIST: Command[SupplierList, list[SupplierRow]] = Command(
    "supplier.list", SupplierList, list[SupplierRow], "suppliers",
    cli=(Cli(("supplier", "list")),))
PO_CREATE: Command[PoCreate, PurchaseOrderDetail] = Command(
    "po.create", PoCreate, PurchaseOrderDetail, "draft a purchase order to a supplier",
    cli=(Cli(("po", "create")),), writes=True)
PO_SHOW: Command[PoRef, PurchaseOrderDetail] = Command(
    "po.show", PoRef, PurchaseOrderDetail,
    "a purchase order with what came in and what is still to come",
    cli=(Cli(("po", "show")),))
PO_LIST: Command[PoList, list[PurchaseOrderDetail]] = Command(
    "po.list", PoList, list[PurchaseOrderDetail], "purchase orders, newest first",
    cli=(Cli(("po", "list")),))
PO_SEND: Command[PoSend, PurchaseOrderDetail] = Command(
    "po.send", PoSend, PurchaseOrderDetail,
    "mark a purchase order sent to its supplier (the window makes the PDF)",
    cli=(Cli(("po", "send")),), writes=True)
PO_RECEIVE: Command[PoReceive, PurchaseOrderDetail] = Command(
    "po.receive", PoReceive, PurchaseOrderDetail,
    "book in a delivery against a purchase order (all or part); adds the stock",
    cli=(Cli(("po", "receive")),), writes=True)
PO_CANCEL: Command[PoCancel, PurchaseOrderDetail] = Command(
    "po.cancel", PoCancel, PurchaseOrderDetail, "cancel a purchase order nothing came in for",
    cli=(Cli(("po", "cancel")),), writes=True)
REORDER_LIST: Command[ReorderList, list[ReorderRow]] = Command(
    "po.suggest", ReorderList, list[ReorderRow],
    "what to reorder, from low stock, recent sales and lead times",
    cli=(Cli(("po", "suggest")),))

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
CUSTOMER_MERGE: Command[CustomerMerge, CustomerRow | MergePreview] = Command(
    "customer.merge", CustomerMerge, CustomerRow | MergePreview,
    "fold one customer into another (``preview``: what it would make)",
    cli=(Cli(("customer", "merge")),), writes=True)
CUSTOMER_DUPLICATES: Command[CustomerDuplicates, list[DuplicateGroup]] = Command(
    "customer.duplicates", CustomerDuplicates, list[DuplicateGroup],
    "phones and emails two customers share: candidates to merge",
    cli=(Cli(("customer", "duplicates")),))

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
    "order.return", OrderReturn, OrderDetail,
    "record goods coming back (all, or some lines), restocked or written off",
    cli=(Cli(("order", "return")),), writes=True)
ORDER_DISCOUNT: Command[OrderDiscount, OrderDetail] = Command(
    "order.discount", OrderDiscount, OrderDetail,
    "take a percentage or an amount off a line or the whole order",
    cli=(Cli(("order", "discount")),), writes=True)
ORDER_EXCHANGE: Command[OrderExchange, OrderDetail] = Command(
    "order.exchange", OrderExchange, OrderDetail,
    "goods back for others: a return and a new linked order, paid with the credit",
    cli=(Cli(("order", "exchange")),), writes=True)

STAFF_ADD: Command[StaffAdd, StaffRow] = Command(
    "staff.add", StaffAdd, StaffRow, "add a staff member with a PIN",
    cli=(Cli(("staff", "add")),), writes=True)
STAFF_UPDATE: Command[StaffUpdate, StaffRow] = Command(
    "staff.update", StaffUpdate, StaffRow, "rename a staff member, change their role or PIN",
    cli=(Cli(("staff", "edit")),), writes=True)
STAFF_LIST: Command[StaffList, list[StaffRow]] = Command(
    "staff.list", StaffList, list[StaffRow], "the shop's staff", cli=(Cli(("staff", "list")),))
STAFF_SIGN_IN: Command[StaffSignIn, SignedIn] = Command(
    "staff.sign_in", StaffSignIn, SignedIn, "sign in at this till (name and PIN)",
    cli=(Cli(("staff", "sign-in")),))
STAFF_SIGN_OUT: Command[NoParams, SignedIn] = Command(
    "staff.sign_out", NoParams, SignedIn, "sign out of this till",
    cli=(Cli(("staff", "sign-out")),))
STAFF_CURRENT: Command[NoParams, SignedIn] = Command(
    "staff.current", NoParams, SignedIn, "who is signed in at this till",
    cli=(Cli(("staff", "whoami")),))

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
    "write orders (with lines and payments) to a CSV, XLSX or JSON file",
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

MAILBOX_SET: Command[MailboxSet, MailboxStatus] = Command(
    "mailbox.set", MailboxSet, MailboxStatus,
    "give this till the shop's mailbox (settings and password stay on this till)",
    cli=(Cli(("mailbox", "set")),))
MAILBOX_STATUS: Command[NoParams, MailboxStatus] = Command(
    "mailbox.status", NoParams, MailboxStatus, "the mailbox this engine runs",
    cli=(Cli(("mailbox", "status")),), needs="mailbox")
MAILBOX_TEST: Command[NoParams, dict[str, Any]] = Command(
    "mailbox.test", NoParams, dict[str, Any], "log in to the IMAP and SMTP servers, send nothing",
    cli=(Cli(("mailbox", "test")),))
MESSAGE_REPLY: Command[MessageReply, Queued] = Command(
    "message.reply", MessageReply, Queued,
    "answer a message through the channel it came on (queued in the shop outbox)",
    cli=(Cli(("message", "reply")),), writes=True)
MESSAGE_CONFIRM: Command[MessageRef, Queued] = Command(
    "message.confirm", MessageRef, Queued, "send a prepared notification (a draft)",
    cli=(Cli(("message", "confirm")),), writes=True)
MESSAGE_DISCARD: Command[MessageRef, Ok] = Command(
    "message.discard", MessageRef, Ok, "drop a prepared notification without sending it",
    cli=(Cli(("message", "discard")),), writes=True)
CONVERSATION_LIST: Command[ConversationList, list[ConversationRow]] = Command(
    "conversation.list", ConversationList, list[ConversationRow],
    "one row per customer (or unknown sender) across channels, newest first",
    cli=(Cli(("conversation", "list")),))
CONVERSATION_SHOW: Command[ConversationRef, ConversationDetail] = Command(
    "conversation.show", ConversationRef, ConversationDetail,
    "a conversation with every message and call", cli=(Cli(("conversation", "show")),))
CONVERSATION_ASSIGN: Command[ConversationAssign, ConversationRow] = Command(
    "conversation.assign", ConversationAssign, ConversationRow,
    "give a conversation to a staff member", cli=(Cli(("conversation", "assign")),),
    writes=True)
CONVERSATION_TAG: Command[ConversationTag, ConversationRow] = Command(
    "conversation.tag", ConversationTag, ConversationRow, "tag a conversation",
    cli=(Cli(("conversation", "tag")),), writes=True)
CONVERSATION_SET_STATUS: Command[ConversationSetStatus, ConversationRow] = Command(
    "conversation.set_status", ConversationSetStatus, ConversationRow,
    "mark a conversation done, snooze it, or open it again",
    cli=(Cli(("conversation", "done"), help="mark it done", fixed={"status": "done"},
             only=("key",)),
         Cli(("conversation", "reopen"), help="open it again", fixed={"status": "open"},
             only=("key",)),
         Cli(("conversation", "snooze"), help="hide it until a time (or a new message)",
             fixed={"status": "snoozed"}, only=("key", "until", "hours"))), writes=True)
CONVERSATION_READ: Command[ConversationRef, ConversationRow] = Command(
    "conversation.read", ConversationRef, ConversationRow, "mark every message read",
    cli=(Cli(("conversation", "read")),), writes=True)
CONVERSATION_REPLY: Command[ConversationReply, Queued] = Command(
    "conversation.reply", ConversationReply, Queued,
    "answer a conversation on the channel the customer last used",
    cli=(Cli(("conversation", "reply")),), writes=True)
TEMPLATE_LIST: Command[NoParams, list[TemplateRow]] = Command(
    "template.list", NoParams, list[TemplateRow], "what customers are told when orders move",
    cli=(Cli(("template", "list")),))
TEMPLATE_SET: Command[TemplateSet, TemplateRow] = Command(
    "template.set", TemplateSet, TemplateRow, "change a status-change template",
    cli=(Cli(("template", "set")),), writes=True)
TEMPLATE_PREVIEW: Command[TemplatePreview, dict[str, str]] = Command(
    "template.preview", TemplatePreview, dict[str, str], "a template filled in",
    cli=(Cli(("template", "preview")),))
QUICK_REPLY_LIST: Command[NoParams, list[QuickReplyRow]] = Command(
    "quick_reply.list", NoParams, list[QuickReplyRow], "saved answers",
    cli=(Cli(("quick-reply", "list")),))
QUICK_REPLY_ADD: Command[QuickReplyAdd, QuickReplyRow] = Command(
    "quick_reply.add", QuickReplyAdd, QuickReplyRow, "save an answer staff insert by keyboard",
    cli=(Cli(("quick-reply", "add")),), writes=True)
QUICK_REPLY_UPDATE: Command[QuickReplyUpdate, QuickReplyRow] = Command(
    "quick_reply.update", QuickReplyUpdate, QuickReplyRow, "change or archive a saved answer",
    cli=(Cli(("quick-reply", "edit")),), writes=True)
QUICK_REPLY_FILL: Command[QuickReplyFill, dict[str, str]] = Command(
    "quick_reply.fill", QuickReplyFill, dict[str, str],
    "a saved answer with its placeholders filled in for a conversation",
    cli=(Cli(("quick-reply", "fill")),))
ORDER_NOTIFY: Command[OrderNotify, OrderDetail] = Command(
    "order.notify", OrderNotify, OrderDetail,
    "tell the customer about their order now (e.g. delayed)", cli=(Cli(("order", "notify")),),
    writes=True)
CUSTOMER_OPT_OUT: Command[CustomerOptOut, CustomerRow] = Command(
    "customer.opt_out", CustomerOptOut, CustomerRow,
    "the customer wants no messages the shop sends on its own",
    cli=(Cli(("customer", "opt-out")),
         Cli(("customer", "opt-in"), help="the customer wants notifications again",
             fixed={"opt_out": False})), writes=True)

REPORT_SALES: Command[ReportSales, Report] = Command(
    "report.sales", ReportSales, Report,
    "sales by day, week, month, product, category, channel, staff member or till",
    cli=(Cli(("report", "sales")),))
REPORT_ORDERS: Command[ReportRange, Report] = Command(
    "report.orders", ReportRange, Report,
    "orders by status and age; time from first message to order and to delivered/collected",
    cli=(Cli(("report", "orders")),))
REPORT_CUSTOMERS: Command[ReportRange, Report] = Command(
    "report.customers", ReportRange, Report, "top customers and the repeat rate",
    cli=(Cli(("report", "customers")),))
REPORT_REFUNDS: Command[ReportRange, Report] = Command(
    "report.refunds", ReportRange, Report, "refunds and returns, with their reasons",
    cli=(Cli(("report", "refunds")),))
REPORT_TAX: Command[ReportRange, Report] = Command(
    "report.tax", ReportRange, Report, "sales and tax per tax rate",
    cli=(Cli(("report", "tax")),))
REPORT_STOCK: Command[ReportRange, Report] = Command(
    "report.stock", ReportRange, Report, "stock value, slow movers and stock-outs",
    cli=(Cli(("report", "stock")),))
REPORT_MESSAGES: Command[ReportRange, Report] = Command(
    "report.messages", ReportRange, Report, "messages by channel and by hour of the day",
    cli=(Cli(("report", "messages")),))
REPORT_CASHUP: Command[ReportCashup, Report] = Command(
    "report.cashup", ReportCashup, Report,
    "end-of-day cash-up (Z report); with --counted it closes the day and keeps the record",
    cli=(Cli(("report", "cashup")),), writes=True)
CASHUP_LIST: Command[CashupList, list[CashupRecord]] = Command(
    "cashup.list", CashupList, list[CashupRecord], "days closed, newest first",
    cli=(Cli(("cashup", "list")),))
BACKUP_CREATE: Command[BackupCreate, BackupResult] = Command(
    "backup.create", BackupCreate, BackupResult,
    "write the whole shop to one file (consistent while the engine runs)",
    cli=(Cli(("backup",)),))
BACKUP_STATUS: Command[NoParams, BackupStatus] = Command(
    "backup.status", NoParams, BackupStatus, "when the last backup was made, and where",
    cli=(Cli(("backup", "status")),))
PRINT_TICKET: Command[PrintTicket, PrintResult] = Command(
    "print.ticket", PrintTicket, PrintResult,
    "print a receipt or a kitchen ticket on this till's ESC/POS printer",
    cli=(Cli(("print", "ticket")),))

COMMANDS: tuple[Command[Any, Any], ...] = (
    SHOP_CREATE, SHOP_INFO, SHOP_SET_SETTING,
    PRODUCT_ADD, PRODUCT_UPDATE, PRODUCT_ALIAS, PRODUCT_OPTION_ALIAS, PRODUCT_LIST,
    STOCK_LIST, STOCK_ADJUST,
    PRODUCT_REPRICE, PRODUCT_IMPORT, PRODUCT_EXPORT, STOCK_UNDO, STOCK_MOVES,
    SUPPLIER_ADD, SUPPLIER_UPDATE, SUPPLIER_LIST,
    PO_CREATE, PO_SHOW, PO_LIST, PO_SEND, PO_RECEIVE, PO_CANCEL, REORDER_LIST,
    CUSTOMER_ADD, CUSTOMER_UPDATE, CUSTOMER_LIST, CUSTOMER_FIND, CUSTOMER_MERGE,
    CUSTOMER_DUPLICATES,
    ORDER_ADD, ORDER_LIST, ORDER_SHOW, ORDER_SET_STATUS, ORDER_UNDO_STATUS, ORDER_PAY,
    ORDER_UPDATE, ORDER_ADD_LINE, ORDER_UPDATE_LINE, ORDER_RETURN, ORDER_DISCOUNT,
    ORDER_EXCHANGE,
    STAFF_ADD, STAFF_UPDATE, STAFF_LIST, STAFF_SIGN_IN, STAFF_SIGN_OUT, STAFF_CURRENT,
    MESSAGE_LIST, MESSAGE_UPDATE, MESSAGE_RECEIVE, CALL_LIST, ALERT_LIST, ALERT_RESOLVE,
    SMS_SEND, INTAKE_PARSE, INTAKE_CORRECT,
    EXPORT, REBUILD_READ_MODEL,
    DEVICES_STATUS, PEERS_STATUS, PAIR_PENDING, PAIR_APPROVE, PAIR_DECLINE, TILL_REMOVE,
    TILL_SET_ROLE,
    SYNC_HEADS,
    MAILBOX_SET, MAILBOX_STATUS, MAILBOX_TEST, MESSAGE_REPLY, MESSAGE_CONFIRM, MESSAGE_DISCARD,
    CONVERSATION_LIST, CONVERSATION_SHOW, CONVERSATION_ASSIGN, CONVERSATION_TAG,
    CONVERSATION_SET_STATUS, CONVERSATION_READ, CONVERSATION_REPLY,
    TEMPLATE_LIST, TEMPLATE_SET, TEMPLATE_PREVIEW,
    QUICK_REPLY_LIST, QUICK_REPLY_ADD, QUICK_REPLY_UPDATE, QUICK_REPLY_FILL,
    ORDER_NOTIFY, CUSTOMER_OPT_OUT,
    REPORT_SALES, REPORT_ORDERS, REPORT_CUSTOMERS, REPORT_REFUNDS, REPORT_TAX, REPORT_STOCK,
    REPORT_MESSAGES, REPORT_CASHUP, CASHUP_LIST, BACKUP_CREATE, BACKUP_STATUS, PRINT_TICKET,
)
BY_NAME: dict[str, Command[Any, Any]] = {c.name: c for c in COMMANDS}

SUBSCRIBE = "subscribe"
"""The IPC request that starts the event stream (served by the IPC server itself)."""

#: CLI groups: the first word of a command's CLI path, with its help
CLI_GROUPS = {
    "shop": "create or show the shop", "product": "catalog", "stock": "stock levels",
    "supplier": "suppliers", "po": "purchase orders: draft, send, receive",
    "customer": "customers", "order": "orders",
    "message": "inbox", "call": "calls", "alert": "stock alerts",
    "sms": "text messages through the shop's GSM modem",
    "intake": "turn messages into draft orders", "pair": "approve a till that asked to join",
    "till": "the shop's tills", "sync": "replication state",
    "staff": "staff members, their roles and PINs; who is signed in at this till",
    "mailbox": "the shop's email account (run by this till)",
    "conversation": "the inbox, one conversation per customer",
    "template": "what customers are told when their order moves",
    "quick-reply": "saved answers",
    "report": "sales, orders, customers, refunds, tax, stock and message reports; cash-up",
    "cashup": "days closed at the tills", "backup": "back the shop up to one file",
    "print": "print on this till's receipt or kitchen printer",
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

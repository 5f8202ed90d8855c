"""The registry: protocol commands bound to their handlers, and JSON -> typed parameters.

Built once where the engine is wired (``app.engine.commands.build_registry``), from one
module per domain, with the services the handlers need passed in (``EngineContext``).
IPC, the in-process CLI and tests all go through ``Registry.run`` (JSON in, JSON-shaped
out); engine code may call ``Registry.call`` with a parameter dataclass instead.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from app.engine.intake_bridge import IntakeService
from app.engine.services import DeviceBoard, MailboxControl, PeerControl
from app.engine.staff_desk import StaffDesk
from app.engine.till_engine import TillEngine
from app.protocol import BY_NAME, Command, field_types, is_unset_type, json_key
from sync.errors import CommandRejected, CommandUnavailable

P = TypeVar("P")
R = TypeVar("R")


@dataclass
class EngineContext:
    """What command handlers work with. ``peers``, ``devices`` and ``mailbox`` exist only
    in the long-running engine; commands that need them are not registered without them."""

    engine: TillEngine
    intake: IntakeService
    peers: PeerControl | None = None
    devices: DeviceBoard | None = None
    mailbox: MailboxControl | None = None
    staff: StaffDesk = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.staff = StaffDesk(self.engine)


Handler = Callable[[EngineContext, P], "R | Awaitable[R]"]
"""A handler answers at once, or (commands that wait on a peer, such as ``pair.approve``)
returns an awaitable the IPC server awaits on the engine's loop."""


@dataclass(frozen=True)
class _Bound(Generic[P, R]):
    spec: Command[P, R]
    handler: Handler[P, R]


class Registry:
    """Protocol commands this engine serves."""

    def __init__(self, context: EngineContext) -> None:
        self.context = context
        self._bound: dict[str, _Bound[Any, Any]] = {}

    def add(self, spec: Command[P, R], handler: Handler[P, R]) -> None:
        if spec.name in self._bound:
            raise ValueError(f"{spec.name} is registered twice")
        self._bound[spec.name] = _Bound(spec, handler)

    def names(self) -> list[str]:
        return sorted(self._bound)

    def call(self, spec: Command[P, R], params: P) -> R | Awaitable[R]:
        """Run a command with typed parameters (in-process callers)."""
        bound = self._lookup(spec.name)
        result: R | Awaitable[R] = bound.handler(self.context, self._who(bound.spec, params))
        return result

    def run(self, name: str, args: Mapping[str, Any] | None = None) -> Any:
        """Run a command from JSON arguments, refusing bad ones in plain words."""
        bound = self._lookup(name)
        params = params_from_json(bound.spec.params, dict(args or {}))
        return bound.handler(self.context, self._who(bound.spec, params))

    def _who(self, spec: Command[Any, Any], params: P) -> P:
        """``params`` with ``by`` resolved for a write command (the convention in
        ``app/protocol.py``): the staff member named, else whoever is signed in here."""
        if not spec.writes or not hasattr(params, "by"):
            return params
        by = self.context.staff.resolve(str(params.by or ""))
        return dataclasses.replace(params, by=by)  # type: ignore[type-var]

    def _lookup(self, name: str) -> _Bound[Any, Any]:
        bound = self._bound.get(name)
        if bound is not None:
            return bound
        spec = BY_NAME.get(name)
        if spec is None:
            raise CommandRejected(f"unknown command {name!r}")
        raise CommandUnavailable(f"{name} needs the running engine ({spec.needs}); start it "
                                 "with `countertop engine` or open the window")


# --------------------------------------------------------------------------- JSON adapter


def params_from_json(params: type[P], args: Mapping[str, Any]) -> P:
    """A parameter dataclass from a JSON object.

    Missing required parameters are refused ("order is required"); a missing optional one
    takes its default, and so does null, or an empty text where the default is not empty
    (the command table this replaced read ``a.get("channel") or "counter"``). Unknown keys
    are ignored, as they always were. Values are converted by the field's type: text,
    whole numbers ("limit must be a whole number, not 'x'"), flags, lists (a single value
    becomes a list of one) and objects; ``Any`` passes through for the handler to read.
    """
    values: dict[str, Any] = {}
    for f, tp in _fields(params):
        key = json_key(f)
        raw = args.get(key)
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if key not in args or raw is None:
            if required:
                raise CommandRejected(f"{key} is required")
            if key in args and _allows_none(tp):
                values[f.name] = None
            continue  # the dataclass default
        if raw == "" and not required and isinstance(f.default, str) and f.default:
            continue  # "" where the default is a word: the default
        values[f.name] = _convert(key, raw, tp)
    return params(**values)


_FIELDS: dict[type[Any], tuple[tuple[dataclasses.Field[Any], Any], ...]] = {}


def _fields(params: type[Any]) -> tuple[tuple[dataclasses.Field[Any], Any], ...]:
    """A parameter class's fields with their resolved types (worked out once per class)."""
    found = _FIELDS.get(params)
    if found is None:
        hints = field_types(params)
        found = _FIELDS[params] = tuple((f, hints[f.name]) for f in dataclasses.fields(params))
    return found


def _allows_none(tp: Any) -> bool:
    return tp is Any or (typing.get_origin(tp) in (typing.Union, types.UnionType)
                         and type(None) in typing.get_args(tp))


def _convert(key: str, value: Any, tp: Any) -> Any:
    """``value`` as a ``tp`` (see ``params_from_json``)."""
    tp = _without_none(tp)
    convert = _CONVERTERS.get(typing.get_origin(tp) or tp)
    return value if convert is None else convert(key, value, tp)


def _without_none(tp: Any) -> Any:
    """``X`` of ``X | None`` and ``X | Unset`` (other unions pass through as they are)."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return tp
    options = [a for a in typing.get_args(tp) if a is not type(None) and not is_unset_type(a)]
    return options[0] if len(options) == 1 else Any


def _text(key: str, value: Any, tp: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _flag(key: str, value: Any, tp: Any) -> bool:
    return bool(value)


def _whole(key: str, value: Any, tp: Any) -> int:
    try:
        if value == "":
            raise ValueError(value)
        return int(value)
    except (TypeError, ValueError):
        raise CommandRejected(f"{key} must be a whole number, not {value!r}") from None


def _list(key: str, value: Any, tp: Any) -> list[Any]:
    if not value:
        return []
    items = [value] if isinstance(value, (str, dict)) else list(value)
    (item_tp,) = typing.get_args(tp) or (Any,)
    return [_convert(key, item, item_tp) for item in items]


def _object(key: str, value: Any, tp: Any) -> dict[str, Any]:
    if not value:
        return {}
    if not isinstance(value, Mapping):
        raise CommandRejected(f"{key} must be an object of names and values")
    _, value_tp = typing.get_args(tp) or (str, Any)
    return {str(k): _convert(key, v, value_tp) for k, v in value.items()}


_CONVERTERS: dict[Any, Callable[[str, Any, Any], Any]] = {
    str: _text, bool: _flag, int: _whole, list: _list, dict: _object}

"""Per-till settings: one declarative schema, stored as JSON in the till's data dir.

Read by the UI (the settings dialog edits them) and by ``countertop engine``, which takes
the device ports from here when they are not given on its command line.

Shop-wide settings (currency, region, demo flag) live in the shop document and are
changed through the engine; these are the ones that belong to this machine: its name,
the serial ports of its devices, the theme, sounds.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("countertop.settings")

SETTINGS_FILE = "ui_settings.json"


@dataclass(frozen=True)
class Setting:
    """One till setting: its name, type, default, and a line of help for the dialog."""

    name: str
    type: type
    default: Any
    help: str
    label: str
    choices: tuple[tuple[str, str], ...] = ()


#: statuses a ticket may be printed on by itself ("" = never)
PRINT_ON = (("", "Never"), ("confirmed", "Confirmed"), ("preparing", "Preparing"),
            ("ready", "Ready"), ("collected", "Collected"), ("delivered", "Delivered"))

SCHEMA: tuple[Setting, ...] = (
    Setting("till_name", str, "Till 1", "Shown to other tills and on printed tickets.",
            "Till name"),
    Setting("modem_port", str, "", "Serial port of the GSM modem, e.g. /dev/ttyUSB0 "
            "(empty: no modem on this till).", "GSM modem port"),
    Setting("callerid_port", str, "", "Serial port of the caller-ID unit or modem, e.g. "
            "/dev/ttyACM0 (empty: none).", "Caller-ID port"),
    Setting("theme", str, "system", "Light, dark, or follow the system.", "Theme",
            (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark"))),
    Setting("sound", bool, True, "Beep on a new message, order or call.", "Sound"),
    Setting("tray_notifications", bool, True, "Show notifications in the system tray when it "
            "is available; otherwise inside the window.", "Tray notifications"),
    Setting("screen_pop", bool, True, "Open the caller's card when the phone rings.",
            "Screen-pop on calls"),
    Setting("staff_name", str, "", "Your name: orders you take are assigned to you.",
            "Staff name"),
    Setting("auto_backup", bool, True, "Back the shop up once a day while the engine runs.",
            "Daily backup"),
    Setting("backup_folder", str, "", "Folder or removable drive for backups (empty: "
            "'backups' in this till's data folder).", "Backup folder"),
    Setting("backup_keep", int, 14, "How many daily backups to keep (older ones are "
            "deleted).", "Backups kept"),
    Setting("receipt_printer", str, "", "ESC/POS receipt printer: tcp://HOST:9100, "
            "serial:/dev/ttyUSB0@19200 or usb:VENDOR:PRODUCT (hex), empty for none.",
            "Receipt printer"),
    Setting("kitchen_printer", str, "", "ESC/POS printer for kitchen tickets (no prices); "
            "empty: the receipt printer.", "Kitchen printer"),
    Setting("auto_print_kitchen", str, "", "Print a kitchen ticket when an order reaches this "
            "status.", "Kitchen ticket on", PRINT_ON),
    Setting("auto_print_receipt", str, "", "Print a receipt when an order reaches this "
            "status.", "Receipt on", PRINT_ON),
)

BY_NAME = {s.name: s for s in SCHEMA}

PRINTER_ADDRESS = re.compile(r"^(tcp://[^\s:/]+(:\d{1,5})?|serial:\S+?(@\d+)?|/dev/\S+|"
                             r"COM\d+|usb:[0-9a-fA-F]{1,4}:[0-9a-fA-F]{1,4})$")


def problem(name: str, value: Any) -> str:
    """What is wrong with ``value`` for setting ``name``, in plain words ("" if nothing)."""
    if name in ("receipt_printer", "kitchen_printer") and value \
            and not PRINTER_ADDRESS.match(str(value)):
        return (f"{BY_NAME[name].label}: {value!r} is not a printer address; use "
                "tcp://HOST:9100, serial:/dev/ttyUSB0@19200 or usb:VENDOR:PRODUCT")
    if name == "backup_folder" and value:
        folder = Path(str(value)).expanduser()
        if folder.exists() and not folder.is_dir():
            return f"Backup folder: {folder} is a file, not a folder"
    if name == "backup_keep" and (not isinstance(value, int) or value < 1):
        return "Backups kept: keep at least one"
    return ""


class TillSettings:
    """Typed access to the settings file; unknown or badly typed values fall back."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / SETTINGS_FILE
        self._values: dict[str, Any] = {}
        self.load()

    def load(self) -> None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raw = {}
        except (OSError, ValueError) as exc:
            log.warning("settings file %s unreadable (%s); using defaults", self.path, exc)
            raw = {}
        self._values = {}
        for setting in SCHEMA:
            value = raw.get(setting.name, setting.default)
            if not isinstance(value, setting.type) or (setting.type is int
                                                       and isinstance(value, bool)):
                log.warning("setting %s has a %s, expected %s; using the default",
                            setting.name, type(value).__name__, setting.type.__name__)
                value = setting.default
            self._values[setting.name] = value

    def get(self, name: str) -> Any:
        return self._values.get(name, BY_NAME[name].default)

    def set(self, name: str, value: Any) -> None:
        setting = BY_NAME[name]
        if not isinstance(value, setting.type):
            raise TypeError(f"{name} must be {setting.type.__name__}")
        self._values[name] = value

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self._values, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(self.path)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

"""A small ESC/POS decoder for tests: bytes a printer would receive -> what it would do.

It knows the commands a receipt uses (init, print modes, bold, alignment, code pages,
feed, cut, native QR) and refuses anything else, so a ticket that sends a command no
test has looked at fails loudly. Text is decoded with the code page last selected
(``ESC t``), as the printer would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CODE_PAGES = {0: "cp437", 2: "cp850", 16: "cp1252", 19: "cp858", 17: "cp866"}


@dataclass
class Printed:
    lines: list[str] = field(default_factory=list)
    bold_lines: list[str] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    cuts: int = 0
    initialised: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def decode(data: bytes) -> Printed:  # noqa: C901 - one branch per command, as a printer
    out = Printed()
    page = "cp437"
    bold = False
    line: list[str] = []
    qr_store = b""
    i = 0

    def flush() -> None:
        text = "".join(line)
        out.lines.append(text)
        if bold:
            out.bold_lines.append(text)
        line.clear()

    while i < len(data):
        b = data[i]
        if b == 0x0A:
            flush()
            i += 1
        elif b == 0x1B:
            cmd = data[i + 1]
            if cmd == 0x40:  # ESC @
                out.initialised = True
                i += 2
            elif cmd in (0x21, 0x2D, 0x4D, 0x7B, 0x33, 0x64):  # ESC ! - M { 3 d
                i += 3
            elif cmd == 0x45:  # ESC E n
                bold = bool(data[i + 2])
                i += 3
            elif cmd == 0x61:  # ESC a n
                i += 3
            elif cmd == 0x74:  # ESC t n: the code page of what follows
                page = CODE_PAGES[data[i + 2]]
                i += 3
            elif cmd == 0x32:  # ESC 2
                i += 2
            else:
                raise ValueError(f"unknown ESC command 0x{cmd:02x} at byte {i}")
        elif b == 0x1D:
            cmd = data[i + 1]
            if cmd in (0x21, 0x42, 0x62):  # GS ! n, GS B n, GS b n
                i += 3
            elif cmd == 0x56:  # GS V m [n]
                out.cuts += 1
                i += 3 if data[i + 2] in (0, 1, 48, 49) else 4
            elif cmd == 0x28 and data[i + 2] == 0x6B:  # GS ( k pL pH cn fn ...
                n = data[i + 3] + 256 * data[i + 4]
                body = data[i + 5:i + 5 + n]
                if body[:2] == b"1P":  # store the QR data
                    qr_store = body[3:]
                elif body[:2] == b"1Q":  # print it
                    out.qr.append(qr_store.decode("ascii"))
                i += 5 + n
            else:
                raise ValueError(f"unknown GS command 0x{cmd:02x} at byte {i}")
        elif b < 0x20 and b != 0x09:
            raise ValueError(f"unexpected control byte 0x{b:02x} at {i}")
        else:
            line.append(bytes([b]).decode(page))
            i += 1
    if line:
        flush()
    return out

"""What is new in a reply: quoted text and signatures trimmed, for the inbox preview.

The full text is always kept; this only decides what the list and the first look show.
Mail clients mark quotes in a handful of ways (``>`` lines, an attribution line "On ...
wrote:" in several languages, Outlook's "-----Original Message-----" or a From:/Sent:
header block), and signatures with the ``-- `` separator (RFC 3676) or a mobile footer.
"""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"^\s*(on\b.{0,300}\bwrote:|le\b.{0,300}a écrit\s?:|am\b.{0,300}schrieb.{0,60}:|"
    r"el\b.{0,300}escribió:|op\b.{0,300}schreef.{0,60}:|il\b.{0,300}ha scritto:)\s*$",
    re.IGNORECASE | re.DOTALL)
_SEPARATORS = re.compile(
    r"^\s*(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|"
    r"forwarded message)\s*-{2,}|_{10,})\s*$", re.IGNORECASE)
_OUTLOOK_HEADER = re.compile(r"^\s*\*?(from|von|de|van)\s*:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(sent|date|gesendet|envoyé|to|an|à|subject)\s*:",
                           re.IGNORECASE)
_MOBILE_FOOTER = re.compile(r"^\s*(sent from my \w+|get outlook for \w+|sent from mail for "
                            r"windows|von meinem \w+ gesendet)", re.IGNORECASE)


def preview_text(text: str) -> str:
    """``text`` without what it quotes and without its signature (the whole ``text`` when
    trimming would leave nothing, e.g. a forward with no words of its own)."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        if line.rstrip() in ("--", "-- ") or _SEPARATORS.match(line):
            break
        if _OUTLOOK_HEADER.match(line) and i + 1 < len(lines) and \
                _OUTLOOK_NEXT.match(lines[i + 1]):
            break
        if _ATTRIBUTION.match(line):
            break
        joined = f"{line} {lines[i + 1]}" if i + 1 < len(lines) else ""
        if joined and line.lower().lstrip().startswith("on ") and _ATTRIBUTION.match(joined):
            break  # an attribution wrapped over two lines
        if _MOBILE_FOOTER.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    out = "\n".join(kept).strip()
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out or text.strip()

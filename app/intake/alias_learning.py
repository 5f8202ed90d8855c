"""Learning the shop's words from staff corrections.

When staff fix a proposed line ("marg" was read as nothing, they picked the Margherita
pizza; "xtra chz" should be extra cheese) the words the customer used become an alias
of what staff chose, so the next message with those words parses right. This module
only decides *which* alias to record; the engine stores it in the shop document's
catalog, and :meth:`IntakeCatalog.with_aliases` applies it.

The alias is the part of the corrected span the parser could not account for: counts,
qualifiers, negations, grammar words, and other products/options it read correctly
are stripped ("2 large margs" corrected to the Margherita product gives "margs").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from app.intake.catalog_model import IntakeCatalog, PhraseTarget
from app.intake.order_parser import tag_message
from app.intake.text_tokens import tokenize
from sync.errors import IntakeError

log = logging.getLogger("countertop.intake.aliases")

MAX_ALIAS_WORDS = 4
_GRAMMAR_KINDS = frozenset({"num", "qual", "neg", "pos", "conj", "contrast", "break",
                            "size_marker", "category"})


class AliasRejected(IntakeError):
    """The correction names nothing in the catalog (unknown sku, group or option)."""


@dataclass(frozen=True)
class LearnedAlias:
    """An alias to record: for a product (``sku``) or an option (``group_id``/``option_id``)."""

    alias: str
    sku: str | None = None
    group_id: str | None = None
    option_id: str | None = None
    #: what these words meant before, if they already named something else
    previously: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The shape :meth:`IntakeCatalog.with_aliases` accepts."""
        out: dict[str, Any] = {"alias": self.alias}
        if self.sku:
            out["sku"] = self.sku
        if self.group_id:
            out["group_id"] = self.group_id
            out["option_id"] = self.option_id
        return out


def _describe(t: PhraseTarget) -> str:
    return f"product {t.sku}" if t.kind == "product" else f"option {t.group_id}/{t.option_id}"


def learn_alias(span_text: str, catalog: IntakeCatalog, *, sku: str | None = None,
                group_id: str | None = None, option_id: str | None = None
                ) -> LearnedAlias | None:
    """The alias to record for a correction, or None when there is nothing new to learn.

    Pass ``sku`` for a product correction, ``group_id`` + ``option_id`` (and optionally
    the ``sku`` whose group it is) for an option. Raises :class:`AliasRejected` when the
    chosen target is not in the catalog.
    """
    if group_id is None and sku is None:
        raise AliasRejected("a correction names a product (sku) or an option (group_id)")
    if group_id is not None:
        if option_id is None:
            raise AliasRejected("an option correction needs option_id")
        owners = catalog.products_accepting(group_id, option_id)
        if sku is not None:
            owners = [p for p in owners if p.sku == sku]
        if not owners:
            raise AliasRejected(f"no option {group_id}/{option_id} in the catalog")
        chosen = PhraseTarget(kind="option", group_id=group_id, option_id=option_id,
                              role=owners[0].group(group_id).role)  # type: ignore[union-attr]
    else:
        product = catalog.product(sku or "")
        if product is None:
            raise AliasRejected(f"no product {sku!r} in the catalog")
        chosen = PhraseTarget(kind="product", sku=product.sku)

    kept: list[str] = []
    previously: list[str] = []
    for word in tag_message(span_text, catalog):
        if word.kind in _GRAMMAR_KINDS:
            continue
        if word.kind == "word":
            if not word.stopword:
                kept.append(word.text)
            continue
        exact = word.score >= 1.0
        if _same_target(word.targets, chosen):
            if exact:
                return None  # the words already mean what staff chose
            kept.append(word.text)
            continue
        if exact and _is_other_part(word.targets, chosen, catalog):
            continue  # "large" in "2 large margs" was read right; it is not the alias
        kept.append(word.text)
        previously.extend(_describe(t) for t in word.targets)
    if not kept:
        return None
    alias = " ".join(kept[-MAX_ALIAS_WORDS:])
    if not tokenize(alias):
        return None
    log.info("learned alias %r for %s", alias, _describe(chosen))
    return LearnedAlias(alias=alias, sku=sku, group_id=group_id, option_id=option_id,
                        previously=tuple(dict.fromkeys(previously)))


def _same_target(targets: tuple[PhraseTarget, ...], chosen: PhraseTarget) -> bool:
    for t in targets:
        if chosen.kind == "product" and t.kind == "product" and t.sku == chosen.sku:
            return True
        if chosen.kind == "option" and t.kind == "option" and t.group_id == chosen.group_id \
                and t.option_id == chosen.option_id:
            return True
    return False


def _is_other_part(targets: tuple[PhraseTarget, ...], chosen: PhraseTarget,
                   catalog: IntakeCatalog) -> bool:
    """Words that read as a *different slot* of the same line (size next to a product)."""
    if chosen.kind == "product":
        product = catalog.product(chosen.sku or "")
        return product is not None and any(
            t.kind == "option" and product.group(t.group_id or "") is not None for t in targets)
    # correcting an option: a product noun or an option of another group is another part
    return any(t.kind == "product" or t.group_id != chosen.group_id for t in targets)

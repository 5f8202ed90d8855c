"""The JSON entry point the CLI prints, and the draft-or-suggestion decision."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.intake.catalog_model import CatalogError
from app.intake.intake_json import intake_decision, load_catalog_file, parse_message_json
from app.intake.order_parser import parse_order
from tests.intake.shop_catalog import shop_catalog, shop_catalog_dict

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def test_catalog_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(shop_catalog_dict()), encoding="utf-8")
    out = parse_message_json("2 large ham pizzas tomorrow at 6", load_catalog_file(path), NOW)
    assert json.loads(json.dumps(out)) == out
    assert out["decision"] == "draft"
    assert out["lines"][0]["sku"] == "PIZZA" and out["lines"][0]["quantity"] == "2"
    assert out["requested_time"]["at"] == "2026-11-24T18:00:00+01:00"


def test_bad_catalog_file(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogError):
        load_catalog_file(path)
    with pytest.raises(CatalogError):
        load_catalog_file(tmp_path / "missing.json")


def test_decision_follows_the_threshold() -> None:
    cat = shop_catalog()
    exact = parse_order("a large ham pizza", cat, NOW)
    guess = parse_order("a large ham and olives", cat, NOW)  # no product noun
    nothing = parse_order("are you open today?", cat, NOW)
    assert intake_decision(exact) == "draft"
    assert intake_decision(guess) == "suggestion"
    assert intake_decision(guess, threshold=0.5) == "draft"
    assert intake_decision(nothing) == "nothing"


def test_now_defaults_to_the_shop_zone() -> None:
    out = parse_message_json("a coke", shop_catalog_dict(), tz="Europe/Berlin")
    assert out["lines"][0]["sku"] == "COKE"
    with pytest.raises(ValueError):
        parse_message_json("a coke", shop_catalog_dict(), tz="Mars/Olympus")

"""A small made-up shop catalog for intake unit tests (pizzeria + bakery counter)."""

from __future__ import annotations

from typing import Any

from app.intake.catalog_model import IntakeCatalog


def shop_catalog_dict() -> dict[str, Any]:
    return {
        "currency": "EUR",
        "option_groups": [
            {"id": "size", "name": "Size", "role": "size", "options": [
                {"id": "S", "name": "small"},
                {"id": "M", "name": "medium", "aliases": ["med"]},
                {"id": "L", "name": "large", "aliases": ["big"]},
                {"id": "FAM", "name": "family size"},
            ]},
            {"id": "crust", "name": "Crust", "role": "variant", "max_choices": 1, "options": [
                {"id": "THIN", "name": "thin crust", "aliases": ["thin"]},
                {"id": "STUFFED", "name": "stuffed crust"},
            ]},
            {"id": "topping", "name": "Toppings", "role": "modifier", "options": [
                {"id": "CHEESE", "name": "cheese", "aliases": ["mozzarella"]},
                {"id": "HAM", "name": "ham"},
                {"id": "OLIVE", "name": "olive", "aliases": ["black olive"]},
                {"id": "MUSHROOM", "name": "mushroom"},
                {"id": "PEPPERONI", "name": "pepperoni"},
                {"id": "ONION", "name": "onion"},
                {"id": "PINEAPPLE", "name": "pineapple"},
            ]},
        ],
        "products": [
            {"sku": "PIZZA", "name": "pizza", "aliases": ["pie"],
             "option_groups": ["size", "crust", "topping"]},
            {"sku": "MARG", "name": "Margherita", "aliases": ["margherita pizza"],
             "option_groups": ["size", "crust", "topping"]},
            {"sku": "COKE", "name": "Coca-Cola", "aliases": ["coke"],
             "option_groups": [{"id": "pack", "name": "Pack", "role": "variant", "options": [
                 {"id": "CAN", "name": "can", "measure": "330 ml"},
                 {"id": "BOTTLE", "name": "bottle", "measure": "1.5 l"}]}]},
            {"sku": "CROISSANT", "name": "croissant"},
            {"sku": "EGG", "name": "egg", "aliases": ["free range egg"]},
            {"sku": "COMTE", "name": "Comté", "aliases": ["comte cheese"], "unit": "kg"},
        ],
    }


def shop_catalog() -> IntakeCatalog:
    return IntakeCatalog.from_dict(shop_catalog_dict())

"""The part of the Adaptive Card 1.5 JSON schema that the Teams cards use, as a JSON schema
(draft 6) the tests validate every card against.

Written for this project from the schema's published definitions (adaptivecards.io
``schemas/1.5.0/adaptive-card.json``: element and action types, their properties, the enums of
colours, sizes, weights, font types and container styles, which the schema matches without regard
to case). Narrower on purpose: only the elements the renderers use are allowed, every object
refuses unknown properties (as the official schema does), and the top-level card must declare
version 1.5. The cards were also checked once against the official 1.5 schema (see the report of
issue 15).
"""

from __future__ import annotations

from typing import Any


def _enum(*values: str) -> dict[str, Any]:
    return {"type": "string", "pattern": "(?i)^(" + "|".join(values) + ")$"}


COLORS = _enum("default", "dark", "light", "accent", "good", "warning", "attention")
FONT_SIZE = _enum("default", "small", "medium", "large", "extraLarge")
FONT_WEIGHT = _enum("default", "lighter", "bolder")
FONT_TYPE = _enum("default", "monospace")
CONTAINER_STYLE = _enum("default", "emphasis", "good", "attention", "warning", "accent")


def _object(type_name: str, properties: dict[str, Any], required: tuple[str, ...] = ()) -> Any:
    return {
        "type": "object",
        "properties": {"type": {"enum": [type_name]}, **properties},
        "required": ["type", *required],
        "additionalProperties": False,
    }


TEXT_STYLE = {
    "color": COLORS,
    "size": FONT_SIZE,
    "weight": FONT_WEIGHT,
    "fontType": FONT_TYPE,
    "isSubtle": {"type": "boolean"},
}

ADAPTIVE_CARD_1_5_SUBSET: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-06/schema#",
    "definitions": {
        "TextBlock": _object(
            "TextBlock",
            {"text": {"type": "string"}, "wrap": {"type": "boolean"}, **TEXT_STYLE},
            ("text",),
        ),
        "TextRun": _object("TextRun", {"text": {"type": "string"}, **TEXT_STYLE}, ("text",)),
        "RichTextBlock": _object(
            "RichTextBlock",
            {"inlines": {"type": "array", "items": {"$ref": "#/definitions/TextRun"}}},
            ("inlines",),
        ),
        "Fact": {
            "type": "object",
            "properties": {"title": {"type": "string"}, "value": {"type": "string"}},
            "required": ["title", "value"],
            "additionalProperties": False,
        },
        "FactSet": _object(
            "FactSet",
            {"facts": {"type": "array", "items": {"$ref": "#/definitions/Fact"}}},
            ("facts",),
        ),
        "Container": _object(
            "Container",
            {
                "items": {"type": "array", "items": {"$ref": "#/definitions/Element"}},
                "style": CONTAINER_STYLE,
                "bleed": {"type": "boolean"},
                "separator": {"type": "boolean"},
            },
            ("items",),
        ),
        "Element": {
            "anyOf": [
                {"$ref": "#/definitions/TextBlock"},
                {"$ref": "#/definitions/RichTextBlock"},
                {"$ref": "#/definitions/FactSet"},
                {"$ref": "#/definitions/Container"},
            ]
        },
        "Action.OpenUrl": _object(
            "Action.OpenUrl",
            {"title": {"type": "string"}, "url": {"type": "string", "pattern": "^https://"}},
            ("url",),
        ),
    },
    "type": "object",
    "properties": {
        "type": {"enum": ["AdaptiveCard"]},
        "$schema": {"enum": ["http://adaptivecards.io/schemas/adaptive-card.json"]},
        "version": {"enum": ["1.5"]},
        "fallbackText": {"type": "string", "minLength": 1},
        "body": {"type": "array", "items": {"$ref": "#/definitions/Element"}, "minItems": 1},
        "actions": {"type": "array", "items": {"$ref": "#/definitions/Action.OpenUrl"}},
    },
    "required": ["type", "version", "body", "fallbackText"],
    "additionalProperties": False,
}

ENVELOPE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"enum": ["message"]},
        "attachments": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "contentType": {"enum": ["application/vnd.microsoft.card.adaptive"]},
                    "content": {"type": "object"},
                },
                "required": ["contentType", "content"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["type", "attachments"],
    "additionalProperties": False,
}
"""The Workflows webhook message: one Adaptive Card attachment."""

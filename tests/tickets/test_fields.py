"""Custom fields: a type's template is checked, a ticket's values are validated and normalised against it."""

from __future__ import annotations

import pytest

from tickets.errors import InvalidCustomFields
from tickets.fields import clean_custom_fields, schema_errors

SCHEMA = [
    {"name": "meter_no", "label": "水表号", "kind": "text", "required": True},
    {"name": "reading", "label": "Reading", "kind": "number", "required": False},
    {"name": "visit_on", "label": "Visit", "kind": "date", "required": False},
    {"name": "district", "label": "District", "kind": "choice", "required": False, "choices": ["north", "south"]},
    {"name": "urgent_leak", "label": "Leak", "kind": "bool", "required": False},
]


def test_a_well_formed_template_has_no_errors() -> None:
    assert schema_errors(SCHEMA) == []


def test_a_template_with_an_unknown_kind_a_duplicate_and_a_choice_without_choices_is_refused() -> None:
    errors = schema_errors(
        [
            {"name": "a", "kind": "colour"},
            {"name": "a", "kind": "text"},
            {"name": "b", "kind": "choice"},
            {"name": "Bad Name", "kind": "text"},
        ]
    )
    assert len(errors) == 4


def test_values_of_every_kind_are_accepted_and_dates_normalised() -> None:
    cleaned = clean_custom_fields(
        schema=SCHEMA, values={"meter_no": "M-1", "reading": 12.5, "visit_on": "2026-03-02", "district": "north", "urgent_leak": True}
    )
    assert cleaned == {"meter_no": "M-1", "reading": 12.5, "visit_on": "2026-03-02", "district": "north", "urgent_leak": True}


def test_a_missing_required_field_an_unknown_field_and_wrong_types_are_reported_per_field() -> None:
    with pytest.raises(InvalidCustomFields) as caught:
        clean_custom_fields(
            schema=SCHEMA, values={"reading": "12", "district": "east", "urgent_leak": "yes", "colour": "red", "visit_on": "02/03"}
        )
    assert set(caught.value.details["fields"]) == {"meter_no", "reading", "district", "urgent_leak", "colour", "visit_on"}
    assert caught.value.code == "invalid_custom_fields"


def test_a_partial_update_may_leave_a_required_field_out_but_not_empty_it() -> None:
    assert clean_custom_fields(schema=SCHEMA, values={"reading": 3}, partial=True) == {"reading": 3}
    with pytest.raises(InvalidCustomFields):
        clean_custom_fields(schema=SCHEMA, values={"meter_no": ""}, partial=True)


def test_a_boolean_is_not_a_number() -> None:
    with pytest.raises(InvalidCustomFields):
        clean_custom_fields(schema=SCHEMA, values={"meter_no": "M", "reading": True})

"""Custom fields of a ticket type: checking a type's field template and a ticket's values against it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils.translation import gettext as _

from tickets.errors import InvalidCustomFields

KINDS = ("text", "number", "date", "choice", "bool")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_TEXT = 5000
MAX_FIELDS = 50


def schema_errors(schema: Any) -> list[str]:
    """What is wrong with a type's field template (empty when it is fine)."""
    if not isinstance(schema, list):
        return [_("The fields must be a list.")]
    if len(schema) > MAX_FIELDS:
        return [_("At most %(n)d fields.") % {"n": MAX_FIELDS}]
    errors: list[str] = []
    seen: set[str] = set()
    for position, spec in enumerate(schema, start=1):
        if not isinstance(spec, dict):
            errors.append(_("Field %(n)d is not an object.") % {"n": position})
            continue
        name = spec.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            errors.append(_("Field %(n)d needs a name of lower-case letters, digits and _.") % {"n": position})
            continue
        if name in seen:
            errors.append(_("Field %(name)s appears twice.") % {"name": name})
        seen.add(name)
        if spec.get("kind") not in KINDS:
            errors.append(_("Field %(name)s: kind must be one of %(kinds)s.") % {"name": name, "kinds": ", ".join(KINDS)})
        if not isinstance(spec.get("label", ""), str) or not isinstance(spec.get("required", False), bool):
            errors.append(_("Field %(name)s: label must be text and required true or false.") % {"name": name})
        if spec.get("kind") == "choice":
            choices = spec.get("choices")
            if not isinstance(choices, list) or not choices or not all(isinstance(c, str) and c for c in choices):
                errors.append(_("Field %(name)s: a choice field needs a list of choices.") % {"name": name})
        unknown = set(spec) - {"name", "label", "kind", "required", "choices"}
        if unknown:
            errors.append(_("Field %(name)s: unknown keys %(keys)s.") % {"name": name, "keys": ", ".join(sorted(unknown))})
    return errors


def clean_custom_fields(*, schema: list[dict[str, Any]], values: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """The values checked and normalised against the template; raises InvalidCustomFields with per-field messages.

    ``partial``: only the given fields are checked (an update), required ones may be missing but not emptied."""
    if not isinstance(values, dict):
        raise InvalidCustomFields(fields={"custom_fields": _("Custom fields must be an object.")})
    specs = {str(spec["name"]): spec for spec in schema}
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name in values:
        if name not in specs:
            errors[name] = _("This type has no such field.")
    for name, spec in specs.items():
        if name not in values:
            if spec.get("required") and not partial:
                errors[name] = _("This field is required.")
            continue
        value = values[name]
        if value is None or value == "":
            if spec.get("required"):
                errors[name] = _("This field is required.")
            else:
                cleaned[name] = None
            continue
        try:
            cleaned[name] = _clean_value(spec, value)
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        raise InvalidCustomFields(fields=errors)
    return cleaned


def _clean_value(spec: dict[str, Any], value: Any) -> Any:
    kind = spec["kind"]
    if kind == "text":
        if not isinstance(value, str):
            raise ValueError(_("Enter text."))
        if len(value) > MAX_TEXT:
            raise ValueError(_("At most %(n)d characters.") % {"n": MAX_TEXT})
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(_("Enter a number."))
        return value
    if kind == "date":
        if not isinstance(value, str):
            raise ValueError(_("Enter a date as YYYY-MM-DD."))
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None
    if kind == "choice":
        if value not in spec.get("choices", []):
            raise ValueError(_("Choose one of the offered values."))
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(_("Enter true or false."))
        return value
    raise ValueError(_("Unknown field kind."))

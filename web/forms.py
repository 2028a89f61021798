"""Reading HTML forms, and putting a service's error message next to the field it is about."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fastapi import Request

from centre.errors import InvalidInput, UserError

_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,12}")  # ASCII digits only: int() also reads "٣" and refuses "²"

# Never sent back to the browser when a form is shown again with its errors.
_SECRET_FIELDS = {"api_key", "password", "license_key", "csrf_token", "aes_key", "secret"}


class Form:
    """The fields of a submitted form, as text; typed getters raise InvalidInput with a clear message."""

    def __init__(self, data: dict[str, str]) -> None:
        self._data = data

    def text(self, name: str, label: str | None = None) -> str:
        """The field's text ("" when absent); refuses a NUL character, which no database stores."""
        value = self._data.get(name, "")
        if "\x00" in value:
            raise InvalidInput(f"{label or name.replace('_', ' ')} must not contain a NUL character")
        return value

    def optional(self, name: str, label: str | None = None) -> str | None:
        """The field's text, or None when it is empty (for "leave empty to keep" fields)."""
        return self.text(name, label) or None

    def integer(self, name: str, label: str) -> int:
        raw = self.text(name, label).strip()
        if not _WHOLE_NUMBER.fullmatch(raw):
            raise InvalidInput(f"{label} must be a whole number, not {raw[:20]!r}")
        return int(raw)

    def number(self, name: str, label: str) -> float:
        raw = self.text(name, label).strip()
        try:
            value = float(raw)
        except ValueError:
            raise InvalidInput(f"{label} must be a number, not {raw[:20]!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidInput(f"{label} must be a number, not {raw[:20]!r}")
        return value

    def checked(self, name: str) -> bool:
        """A checkbox: ticked when sent (browsers leave unticked boxes out)."""
        return self._data.get(name, "false") not in ("", "false", "off", "0")

    def refill(self) -> dict[str, str]:
        """What to put back into the form when it is shown again: everything but secrets."""
        return {k: v for k, v in self._data.items() if k not in _SECRET_FIELDS}


async def read_form(request: Request) -> Form:
    """The request's form fields (the first value of each; uploaded files are ignored)."""
    data: dict[str, str] = {}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        for name, value in (await request.form()).multi_items():
            if isinstance(value, str) and name not in data:
                data[name] = value
    return Form(data)


@dataclass
class FormState:
    """A form shown again after an error: which form, its values, and messages by field ("" = whole form)."""

    key: str
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def value(self, name: str, default: object = "") -> str:
        return self.values.get(name, "" if default is None else str(default))

    def error(self, name: str) -> str | None:
        return self.errors.get(name)


def failed(key: str, form: Form, error: UserError, labels: dict[str, str]) -> FormState:
    """The state of form ``key`` after ``error``: the message goes next to the field it names.

    ``labels`` maps field names to the words the services' messages use for them ("server address");
    the longest matching label wins, so "user name" beats "name". No match: the message is shown
    at the top of the form.
    """
    message = str(error)
    lowered = message.lower()
    target = ""
    for name, label in sorted(labels.items(), key=lambda item: -len(item[1])):
        if label.lower() in lowered:
            target = name
            break
    return FormState(key, form.refill(), {target: message})


NO_FORM = FormState("")

"""Select widgets rendered in Python.

Django renders every <option> through a template; a region list of 160 options then costs more
than the whole rest of a list page. These produce the same markup with format_html, as fast as
the browser needs it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def _selected(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, list | tuple | set):
        return {str(v) for v in value}
    return {str(value)}


class FastSelect(forms.Select):
    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        chosen = _selected(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(v), mark_safe(" selected") if str(v) in chosen else "", label)
                for v, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)


class FastCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        base_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        chosen = _selected(value)
        items = format_html_join(
            "",
            '<div><label for="{}_{}"><input type="checkbox" name="{}" value="{}" '
            'id="{}_{}"{}> {}</label></div>',
            (
                (
                    base_id,
                    i,
                    name,
                    str(v),
                    base_id,
                    i,
                    mark_safe(" checked") if str(v) in chosen else "",
                    label,
                )
                for i, (v, label) in enumerate(self.choices)
            ),
        )
        return format_html('<div id="{}">{}</div>', base_id, items)

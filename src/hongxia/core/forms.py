from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext_lazy as _

from hongxia.core.models import AuditLog, User

# The largest id any of the database's integer columns can hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field, saying "not one of the choices" for an id too large for any integer
    column instead of failing: Django's `__in` lookup passes such a number to SQLite, which
    raises OverflowError (a 500) where it should find no row."""

    def _check_values(self, value: Any) -> Any:
        for val in value if isinstance(value, (list, tuple)) else ():
            try:
                too_large = abs(int(str(val).strip())) > MAX_ID
            except ValueError:
                continue  # not a number: Django's own check names it
            if too_large:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": val},
                )
        return super()._check_values(value)  # type: ignore[misc]


class LoginForm(AuthenticationForm):
    """Django's login form, saying so when an account is locked rather than 'wrong password'."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The user name or password is not right. Check both and try again."),
        "locked": _(
            "Too many failed attempts: this account is locked until %(until)s. "
            "Try again later or ask an administrator."
        ),
    }

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError:
            username = self.cleaned_data.get("username")
            user = User.objects.filter(username=username).only("locked_until").first()
            if user and user.locked_until and user.locked_until > timezone.now():
                until = timezone.localtime(user.locked_until)
                raise forms.ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"until": time_format(until, "H:i")},
                ) from None
            raise


class AuditFilterForm(forms.Form):
    person = forms.IntegerField(label=_("Person id"), required=False, min_value=1)
    user = forms.CharField(label=_("User name"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", "—"), *AuditLog.Action.choices]
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

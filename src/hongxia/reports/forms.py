"""Forms of the statistics pages."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FileReportForm(forms.Form):
    """What filing a summary takes: the region's code, the year, and an optional note."""

    region = forms.RegexField(regex=r"^\d{6,12}$", label=_("Region"),
                              error_messages={"invalid": _("Not a region code.")})
    year = forms.IntegerField(label=_("Year"), min_value=1949)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def clean_year(self) -> int:
        year: int = self.cleaned_data["year"]
        last = timezone.localdate().year + 1
        if year > last:
            raise forms.ValidationError(_("No later than %(year)s."), params={"year": last})
        return year

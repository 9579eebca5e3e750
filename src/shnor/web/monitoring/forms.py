"""Forms of monitoring: a manual indicator value, an effectiveness analysis, a municipality website."""

from __future__ import annotations

from typing import Any

from django import forms

from shnor.web.regionconf import selectors as regionconf


def _manual_choices() -> list[tuple[str, str]]:
    return regionconf.manual_indicator_choices()


def enterable_indicators(*, level: str, unit: Any) -> list[tuple[str, str]]:
    """The manual indicators of the unit's region that are entered at ``level`` (``(code, name)``): the
    only ones the entry form offers, so it never preselects one the service would refuse."""
    indicators, _ = regionconf.indicators_for(region=regionconf.region_of_unit(unit))
    return [(i.code, i.name) for i in indicators if not i.computed and level in i.levels]


class IndicatorValueForm(forms.Form):
    """A manual value for the unit shown on the page."""

    indicator = forms.ChoiceField(label="Показатель", choices=_manual_choices)
    year = forms.IntegerField(label="Год", min_value=2015, max_value=2100)
    value = forms.FloatField(label="Значение (для «да/нет»: 1 — да, 0 — нет)", min_value=0)
    note = forms.CharField(label="Источник, примечание", max_length=500, required=False)
    level = forms.ChoiceField(
        choices=[("school", "школа"), ("municipality", "муниципалитет"), ("region", "регион")],
        widget=forms.HiddenInput,
    )
    unit = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, indicators: list[tuple[str, str]] | None = None, **kwargs):
        """``indicators``: the only ones to offer (those the unit's level takes by hand); the first is
        preselected. Without it every manual indicator is accepted (the service checks the level)."""
        super().__init__(*args, **kwargs)
        if indicators is not None:
            self.fields["indicator"].choices = indicators
            if indicators and not self.initial.get("indicator"):
                self.initial["indicator"] = indicators[0][0]


class AnalysisForm(forms.Form):
    """The start year of support to analyse."""

    start_year = forms.IntegerField(label="Год начала сопровождения", min_value=2015, max_value=2100)


class WebsiteForm(forms.Form):
    """A municipality's website (empty clears it)."""

    url = forms.URLField(
        label="Сайт органа управления образованием", required=False, max_length=500, assume_scheme="https"
    )

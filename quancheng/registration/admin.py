"""Django admin for the holiday schedules (节假日安排); every change goes through schedules.py."""

from django import forms
from django.contrib import admin

from quancheng.lib.workdays import ScheduleError, parse_schedule
from quancheng.orgs import capabilities as caps

from .models import HolidaySchedule
from .schedules import _load_schedule, _remove_schedule


class HolidayScheduleForm(forms.ModelForm):
    class Meta:
        model = HolidaySchedule
        fields = ["year", "holidays", "workdays", "source"]

    def clean(self):
        data = super().clean()
        try:
            parse_schedule(
                {
                    "year": data.get("year", self.instance.year),
                    "holidays": data.get("holidays"),
                    "workdays": data.get("workdays") or [],
                }
            )
        except ScheduleError as e:
            raise forms.ValidationError(str(e)) from e
        return data


@admin.register(HolidaySchedule)
class HolidayScheduleAdmin(admin.ModelAdmin):
    form = HolidayScheduleForm
    list_display = ["year", "source", "loaded_by", "loaded_at"]
    readonly_fields = ["loaded_by", "loaded_at"]

    def get_readonly_fields(self, request, obj=None):
        # A year's schedule is replaced, never moved to another year.
        return ["year", *self.readonly_fields] if obj else self.readonly_fields

    def has_add_permission(self, request):
        return caps.can(request.user, caps.SCHEDULES_LOAD)

    def has_change_permission(self, request, obj=None):
        return caps.can(request.user, caps.SCHEDULES_LOAD)

    def has_delete_permission(self, request, obj=None):
        return caps.can(request.user, caps.SCHEDULES_LOAD)

    def save_model(self, request, obj, form, change):
        data = {
            "year": obj.year,
            "holidays": form.cleaned_data["holidays"],
            "workdays": form.cleaned_data.get("workdays") or [],
            "source": form.cleaned_data["source"],
        }
        # The admin's change view holds the transaction: the service's body, not its durable
        # wrapper (docs/transactions.md).
        saved, _ = _load_schedule(request.user, data)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        _remove_schedule(request.user, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            _remove_schedule(request.user, obj)

"""Django admin for the records' reference data: kinds of terminal data and their schemas."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from quancheng.ledger.admin_mixins import LedgeredAdmin

from .datakinds import DATA_KIND_FIELDS, check_schema
from .models import DataKind


class DataKindForm(forms.ModelForm):
    class Meta:
        model = DataKind
        fields = DATA_KIND_FIELDS

    def clean(self):
        data = super().clean()
        if "schema" in data:
            try:
                check_schema(data["schema"])
            except ValidationError as e:
                self.add_error("schema", e.message_dict["schema"])
        previous = self.instance if self.instance.pk else None
        if (
            previous is not None
            and "schema" in self.changed_data
            and data.get("version", 0) <= DataKind.objects.get(pk=previous.pk).version
        ):
            self.add_error(
                "version", "修改 Schema 时须提高版本号（已登记的数据保留其校验时的版本）"
            )
        return data


@admin.register(DataKind)
class DataKindAdmin(LedgeredAdmin, admin.ModelAdmin):
    form = DataKindForm
    ledger_fields = DATA_KIND_FIELDS
    list_display = ["code", "name", "version"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        return False  # records refer to their kind; a kind is never removed

"""The city administrator's catalogue editing (A9) and the agencies' numbering formats."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from quancheng.ledger.admin_mixins import LedgeredAdmin

from .catalogue import TYPE_FIELDS, check_definition
from .models import AgencyCertificate, DocumentType, NumberingConfig, TrustedCA


class DocumentTypeForm(forms.ModelForm):
    class Meta:
        model = DocumentType
        fields = [f for f in TYPE_FIELDS if f != "version"]

    def clean(self):
        data = super().clean()
        try:
            check_definition(
                data.get("fields") or [],
                data.get("signers") or [],
                data.get("act_kinds") or [],
                data.get("has_times", False),
                data.get("number_style") or "wenhao",
            )
        except ValidationError as e:
            raise ValidationError(e.messages) from e
        return data


@admin.register(DocumentType)
class DocumentTypeAdmin(LedgeredAdmin, admin.ModelAdmin):
    form = DocumentTypeForm
    ledger_fields = TYPE_FIELDS
    list_display = [
        "name",
        "code",
        "origin",
        "numbered",
        "number_style",
        "category",
        "nature",
        "active",
        "version",
    ]
    list_filter = ["origin", "numbered", "number_style", "active"]
    search_fields = ["name", "code"]

    def save_model(self, request, obj, form, change):
        if change and form.changed_data:
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(NumberingConfig)
class NumberingConfigAdmin(LedgeredAdmin, admin.ModelAdmin):
    ledger_fields = [
        "agency",
        "region",
        "sector",
        "serial_width",
        "region_source",
        "categories",
        "bianhao_width",
    ]
    list_display = ["agency", "region", "sector", "serial_width", "bianhao_width"]


@admin.register(TrustedCA)
class TrustedCAAdmin(admin.ModelAdmin):
    list_display = ["name", "fingerprint", "created_at"]

    def has_add_permission(self, request):
        return False  # import_agency_certificate --trust-ca / make_demo_ca

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AgencyCertificate)
class AgencyCertificateAdmin(admin.ModelAdmin):
    list_display = ["agency", "subject", "serial", "not_after", "active"]
    exclude = ["encrypted_key_pem"]

    def has_add_permission(self, request):
        return False  # import_agency_certificate

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

from django import forms
from django.contrib import admin

from quancheng.lib.note import NoteError, parse_verifier_key

from .models import WitnessedLog
from .witnessing import _register_log


class WitnessedLogForm(forms.ModelForm):
    class Meta:
        model = WitnessedLog
        fields = ["origin", "verifier_key", "agency"]

    def clean(self):
        data = super().clean()
        origin, vkey = data.get("origin"), data.get("verifier_key")
        if origin and vkey:
            try:
                name, _, _ = parse_verifier_key(vkey)
            except NoteError as e:
                raise forms.ValidationError(f"验证公钥无效：{e}") from e
            if name != origin:
                raise forms.ValidationError(f"验证公钥的名称 {name} 与日志标识 {origin} 不一致")
        return data


@admin.register(WitnessedLog)
class WitnessedLogAdmin(admin.ModelAdmin):
    """Logs are registered here (or by ``manage.py witness_add_log``); their witnessed state
    changes only through add-checkpoint."""

    form = WitnessedLogForm
    list_display = ["origin", "agency", "latest_size", "latest_at"]
    readonly_fields = ["latest_size", "latest_root", "latest_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ["origin", "verifier_key", "agency", *self.readonly_fields]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing editable once registered
        # The admin's change view holds the transaction: the service's body, not its durable
        # wrapper (docs/transactions.md).
        saved = _register_log(request.user, obj.origin, obj.verifier_key, obj.agency)
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False

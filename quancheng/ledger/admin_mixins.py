"""Admin changes to reference data are ledger events too, in the same transaction."""

from django.db import transaction

from .actions import Action
from .services import record_event
from .snapshot import snapshot


class LedgeredAdmin:
    ledger_fields: list[str] = []

    def save_model(self, request, obj, form, change):
        # not durable: Django's admin runs its change view in a transaction of its own.
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            form.save_m2m()
            action = "updated" if change else "created"
            body = snapshot(obj, self.ledger_fields)
            if change:
                body = {"changed": sorted(form.changed_data), **body}
            record_event(request.user, Action(f"{obj._meta.model_name}.{action}"), obj, body)

    def save_related(self, request, form, formsets, change):
        # m2m already saved in save_model, inside the ledgered transaction.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        # not durable: Django's admin runs its delete view in a transaction of its own.
        with transaction.atomic():
            record_event(
                request.user,
                Action(f"{obj._meta.model_name}.deleted"),
                obj,
                snapshot(obj, self.ledger_fields),
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

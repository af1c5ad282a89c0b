from django.core.management.base import BaseCommand

from quancheng.cases.models import Act
from quancheng.compliance.evaluate import evaluate_all


class Command(BaseCommand):
    help = "Re-evaluate the compliance rules on every act (or the acts given by id)."

    def add_arguments(self, parser):
        parser.add_argument("act_ids", nargs="*", type=int)

    def handle(self, *args, act_ids, **options):
        queryset = Act.objects.filter(pk__in=act_ids) if act_ids else None
        summary = evaluate_all(queryset)
        self.stdout.write(
            f"evaluated {summary.acts} acts; "
            f"findings opened {summary.opened}, closed {summary.closed}"
        )

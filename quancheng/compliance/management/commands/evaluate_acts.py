from django.core.management.base import BaseCommand

from quancheng.cases.models import Act
from quancheng.compliance.evaluate import evaluate_all


class Command(BaseCommand):
    help = "Re-evaluate the compliance rules on every act (or the acts given by id)."

    def add_arguments(self, parser):
        parser.add_argument("act_ids", nargs="*", type=int)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="processes sharing the batches (PostgreSQL; e.g. the number of cores)",
        )

    def handle(self, *args, act_ids, workers, **options):
        queryset = Act.objects.filter(pk__in=act_ids) if act_ids else None
        summary = evaluate_all(queryset, workers=workers)
        self.stdout.write(
            f"evaluated {summary.acts} acts; "
            f"findings opened {summary.opened}, closed {summary.closed}"
        )

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from quancheng.documents.sm2sign import import_certificate, trust_root
from quancheng.orgs.models import Agency


class Command(BaseCommand):
    help = (
        "Import an agency's SM2 signing certificate (PEM, its chain may follow) and its SM2 key "
        "(unencrypted PEM PKCS#8, as a CA's toolkit exports it; stored encrypted with the "
        "document-key passphrase). Finalised PDFs then also get a detached SM2/SM3 signature."
    )

    def add_arguments(self, parser):
        parser.add_argument("agency", help="agency code, e.g. d03-zf")
        parser.add_argument("certificate", type=Path, help="the certificate (PEM)")
        parser.add_argument("key", type=Path, help="the SM2 private key (PEM)")
        parser.add_argument(
            "--trust-ca",
            type=Path,
            action="append",
            default=[],
            help="an SM2 CA certificate (PEM) to trust for SM2 signatures",
        )

    def handle(self, *args, agency, certificate, key, trust_ca, **options):
        target = Agency.objects.filter(code=agency).first()
        if target is None:
            raise CommandError(f"unknown agency: {agency}")
        try:
            for path in trust_ca:
                trust_root(None, path.read_bytes())
            stored = import_certificate(None, target, certificate.read_bytes(), key.read_bytes())
        except (OSError, ValidationError) as e:
            raise CommandError(str(e)) from None
        self.stdout.write(f"{stored.subject}: SM2 certificate {stored.serial} in use")

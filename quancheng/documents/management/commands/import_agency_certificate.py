import getpass
import os
from pathlib import Path

from cryptography import x509
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from quancheng.documents.certificates import import_pkcs12, trust_root
from quancheng.orgs.models import Agency


class Command(BaseCommand):
    help = (
        "Import an agency's signing certificate and key from a PKCS#12 file; the key is stored "
        "encrypted with the document-key passphrase. The file's password comes from "
        "QC_P12_PASSWORD or a prompt."
    )

    def add_arguments(self, parser):
        parser.add_argument("agency", help="agency code, e.g. d03-zf")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--trust-ca",
            type=Path,
            action="append",
            default=[],
            help="a CA certificate (PEM) to add to the platform's trust roots",
        )

    def handle(self, *args, agency, file, trust_ca, **options):
        target = Agency.objects.filter(code=agency).first()
        if target is None:
            raise CommandError(f"unknown agency: {agency}")
        password = os.environ.get("QC_P12_PASSWORD")
        if password is None:
            password = getpass.getpass(f"password for {file}: ")
        try:
            for path in trust_ca:
                trust_root(None, x509.load_pem_x509_certificate(path.read_bytes()))
            stored = import_pkcs12(None, target, file.read_bytes(), password.encode() or None)
        except OSError as e:
            raise CommandError(str(e)) from e
        except ValidationError as e:
            raise CommandError("; ".join(e.messages)) from e
        self.stdout.write(
            f"imported {stored.subject} (serial {stored.serial}, valid until "
            f"{stored.not_after:%Y-%m-%d}) for {target.name}"
        )

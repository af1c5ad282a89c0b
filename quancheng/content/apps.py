from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "quancheng.content"
    label = "content"
    verbose_name = "内容识别"

    def ready(self):
        # New segments and scans are read after their commit (docs/architecture.md).
        from quancheng.records.models import Document, Segment
        from quancheng.records.signals import item_created

        from .osd import read_osd_of_new_segment
        from .scans import read_new_scan

        item_created.connect(read_osd_of_new_segment, sender=Segment, dispatch_uid="content.osd")
        item_created.connect(read_new_scan, sender=Document, dispatch_uid="content.scans")

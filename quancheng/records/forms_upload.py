"""The fields the upload page sends with a finished upload (per file)."""

from django import forms

from .attach import DOCUMENT, KINDS
from .models import Document

DATETIME_LOCAL = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

# Common enforcement documents (执法文书), offered as suggestions; any text is accepted.
DOC_TYPES = [
    "现场笔录",
    "询问笔录",
    "卫生监督意见书",
    "卫生行政执法文书送达回执",
    "证据先行登记保存决定书",
    "行政处罚事先告知书",
    "行政处罚决定书",
    "案件受理记录",
    "立案报告",
    "结案报告",
]


class AttachForm(forms.Form):
    upload_id = forms.UUIDField(error_messages={"invalid": "上传编号无效"})
    kind = forms.ChoiceField(choices=list(KINDS.items()))
    doc_type = forms.CharField(
        required=False, max_length=Document._meta.get_field("doc_type").max_length
    )
    number = forms.CharField(
        required=False, max_length=Document._meta.get_field("number").max_length
    )
    written_started_at = forms.DateTimeField(required=False, input_formats=DATETIME_LOCAL)
    written_ended_at = forms.DateTimeField(required=False, input_formats=DATETIME_LOCAL)
    is_evidence = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("kind") == DOCUMENT and not data.get("doc_type"):
            self.add_error("doc_type", "请填写文书种类")
        return data

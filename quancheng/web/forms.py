"""Forms of the pages of subjects, acts and cases: they parse and check input; the services decide
and make the change. The helpers every app's forms share are in quancheng/ui/forms.py.

Choices that name other objects (subjects, cases, officers, agencies) come only from the user's
scope, so an id from another district is refused like one that does not exist.
"""

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from quancheng.cases.models import Act, Case
from quancheng.compliance.queries import completeness_field
from quancheng.compliance.rules import RULES
from quancheng.lib import uscc
from quancheng.orgs.models import Agency, User
from quancheng.orgs.scoping import agencies_visible_to, officers_visible_to
from quancheng.subjects.models import Subject
from quancheng.ui.forms import NOT_VISIBLE, DateInput, DateTimeLocalInput, Form, with_all


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确，请重新输入（密码区分大小写）。",
        "inactive": "该账号已停用，请联系管理员。",
    }

    def __init__(self, request=None, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["password"].label = "密码"


class OfficerChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj.full_name or obj.username}（{obj.certificate_number}，{obj.agency}）"


def visible_subjects(user: User):
    return Subject.objects.visible_to(user).select_related("agency")


def visible_cases(user: User):
    return Case.objects.visible_to(user).select_related("subject")


class SubjectForm(Form):
    name = forms.CharField(label="名称", max_length=200)
    kind = forms.ChoiceField(label="类别", choices=Subject.Kind.choices)
    credit_code = forms.CharField(
        label="统一社会信用代码",
        required=False,
        max_length=40,  # longer than 18, so the service names what is wrong with a long code
        help_text="18位，个人或无代码的单位可不填",
    )
    address = forms.CharField(label="地址", max_length=300)
    licence_number = forms.CharField(label="许可证号", max_length=100, required=False)
    legal_representative = forms.CharField(label="法定代表人/负责人", max_length=50, required=False)
    phone = forms.CharField(label="联系电话", max_length=30, required=False)

    def __init__(self, *args, agencies=None, **kwargs):
        """agencies: the enforcement agencies to choose from, when the user's own is not one."""
        super().__init__(*args, **kwargs)
        if agencies is not None:
            self.fields["agency"] = forms.ModelChoiceField(
                label="所属执法机构",
                queryset=agencies,
                error_messages={"invalid_choice": f"机构{NOT_VISIBLE}"},
            )
            self.order_fields(["agency"])

    def clean_credit_code(self):
        # Checked here as well as in the service, so that the code's problem shows together with
        # the form's own (a missing address, say); the service's message names what fails.
        code = self.cleaned_data["credit_code"]
        if not code.strip():
            return ""
        try:
            return uscc.validate(code)
        except uscc.InvalidCreditCode as e:
            raise forms.ValidationError(str(e), code="invalid_credit_code") from e


class SubjectFilterForm(Form):
    q = forms.CharField(label="名称或代码", required=False, max_length=100)
    kind = forms.ChoiceField(label="类别", required=False, choices=with_all(Subject.Kind.choices))


class ActForm(Form):
    kind = forms.ChoiceField(label="类型", choices=Act.Kind.choices)
    subject = forms.ModelChoiceField(
        label="执法对象",
        queryset=Subject.objects.none(),
        error_messages={"invalid_choice": f"执法对象{NOT_VISIBLE}"},
    )
    case = forms.ModelChoiceField(
        label="所属案件",
        queryset=Case.objects.none(),
        required=False,
        empty_label="（不属于案件）",
        error_messages={"invalid_choice": f"案件{NOT_VISIBLE}"},
    )
    started_at = forms.DateTimeField(label="开始时间", widget=DateTimeLocalInput)
    ended_at = forms.DateTimeField(label="结束时间", widget=DateTimeLocalInput)
    place = forms.CharField(label="地点", max_length=300)
    # Not required here: the service's message says that two officers are needed.
    officers = OfficerChoiceField(
        label="执法人员",
        queryset=User.objects.none(),
        required=False,
        help_text="至少两名持有效执法证的执法人员",
        error_messages={"invalid_choice": f"执法人员（编号%(value)s）{NOT_VISIBLE}"},
    )
    involves_life_or_property = forms.BooleanField(
        label="直接涉及生命健康、重大财产权益（须全过程音像记录）", required=False
    )
    description = forms.CharField(
        label="说明", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = visible_subjects(user)  # type: ignore[attr-defined]  # a ModelChoiceField
        self.fields["case"].queryset = visible_cases(user)  # type: ignore[attr-defined]  # a ModelChoiceField
        self.fields["officers"].queryset = officers_visible_to(user)  # type: ignore[attr-defined]  # a ModelChoiceField


def subject_filter_fields() -> tuple[forms.Field, forms.Field]:
    """A list's subject filter: a text search, and the subject's id from links (hidden).

    Not a drop-down of every subject in scope: a district has thousands, and rendering them
    was most of a list page's time on a generated city (docs/performance.md, "Pages").
    """
    return (
        forms.CharField(
            label="执法对象",
            required=False,
            max_length=100,
            widget=forms.TextInput(attrs={"placeholder": "名称、信用代码或许可证号"}),
        ),
        forms.ModelChoiceField(
            label="执法对象",
            queryset=Subject.objects.none(),
            required=False,
            widget=forms.HiddenInput,
        ),
    )


def filter_by_subject(rows, filters: dict):
    """Rows (acts, cases) of the subject chosen by id, or of subjects matching the search."""
    if filters.get("subject"):
        rows = rows.filter(subject=filters["subject"])
    if text := filters.get("subject_q"):
        rows = rows.filter(subject__in=Subject.objects.search(text).values("pk"))
    return rows


def finding_choices():
    return [("", "全部"), *((rule.id, f"{rule.title}（{rule.id}）") for rule in RULES)]


class ActFilterForm(Form):
    kind = forms.ChoiceField(label="类型", required=False, choices=with_all(Act.Kind.choices))
    subject_q, subject = subject_filter_fields()
    officer = forms.ModelChoiceField(
        label="执法人员", queryset=User.objects.none(), required=False, empty_label="全部"
    )
    date_from = forms.DateField(label="开始日期自", required=False, widget=DateInput)
    date_to = forms.DateField(label="至", required=False, widget=DateInput)
    completeness = completeness_field()
    finding = forms.ChoiceField(label="待处理的检查发现", required=False, choices=finding_choices)

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = visible_subjects(user)  # type: ignore[attr-defined]  # a ModelChoiceField
        self.fields["officer"].queryset = officers_visible_to(user)  # type: ignore[attr-defined]  # a ModelChoiceField


class CaseForm(Form):
    number = forms.CharField(label="案件编号", max_length=64, help_text="如：渝中卫医罚〔2026〕1号")
    cause = forms.CharField(label="案由", max_length=300)
    subject = forms.ModelChoiceField(
        label="执法对象",
        queryset=Subject.objects.none(),
        error_messages={"invalid_choice": f"执法对象{NOT_VISIBLE}"},
    )
    filed_on = forms.DateField(label="立案日期", widget=DateInput)
    officers = OfficerChoiceField(
        label="承办人员",
        queryset=User.objects.none(),
        required=False,
        help_text="至少两名持有效执法证的执法人员",
        error_messages={"invalid_choice": f"执法人员（编号%(value)s）{NOT_VISIBLE}"},
    )

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = visible_subjects(user)  # type: ignore[attr-defined]  # a ModelChoiceField
        self.fields["officers"].queryset = officers_visible_to(user)  # type: ignore[attr-defined]  # a ModelChoiceField


class CaseFilterForm(Form):
    q = forms.CharField(label="编号或案由", required=False, max_length=100)
    stage = forms.ChoiceField(label="阶段", required=False, choices=with_all(Case.Stage.choices))
    subject_q, subject = subject_filter_fields()
    completeness = completeness_field()

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = visible_subjects(user)  # type: ignore[attr-defined]  # a ModelChoiceField


class StageForm(Form):
    """The next stage of a case. Only the allowed stages are offered; any stage is accepted
    here so that the service, which owns the rule, refuses an illegal one with its message."""

    stage = forms.ChoiceField(label="变更为", choices=Case.Stage.choices)
    note = forms.CharField(
        label="说明", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, case, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].widget.choices = [
            (stage, Case.Stage(stage).label) for stage in case.allowed_next_stages()
        ]


def enforcement_agencies_for(user: User):
    """The agencies a user picks from for new data, or None when it goes to the user's own."""
    if user.agency is not None and user.agency.kind == Agency.Kind.ENFORCEMENT:
        return None
    return agencies_visible_to(user).filter(kind=Agency.Kind.ENFORCEMENT)

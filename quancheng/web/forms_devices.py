"""Forms of the device pages: they parse input; the services in orgs/devices.py decide.

Officers and agencies offered come only from the user's scope, so an id from another district is
refused like one that does not exist.
"""

from django import forms
from django.utils import timezone

from quancheng.orgs.models import Agency, Device, DeviceMaintenance, User
from quancheng.orgs.scoping import agencies_visible_to
from quancheng.ui.forms import DateInput, Form


class DeviceFilterForm(Form):
    q = forms.CharField(label="设备编号或名称", required=False, max_length=64)
    kind = forms.ChoiceField(
        label="类型", required=False, choices=[("", "全部"), *Device.Kind.choices]
    )
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *Device.Status.choices]
    )
    agency = forms.ModelChoiceField(
        label="所属机构", required=False, queryset=Agency.objects.none()
    )
    undocked = forms.BooleanField(label="只看长期未对接", required=False)

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(*args, **kwargs)
        agencies = agencies_visible_to(user).order_by("level", "code")
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]  # a ModelChoiceField
        self.fields["agency"].empty_label = "全部"  # type: ignore[attr-defined]  # as above
        if not user.sees_whole_city:
            del self.fields["agency"]


class DeviceForm(Form):
    """Register a device (登记设备)."""

    kind = forms.ChoiceField(label="类型", choices=Device.Kind.choices)
    serial_number = forms.CharField(label="设备编号", max_length=64)
    name = forms.CharField(label="名称", required=False, max_length=100)
    agency = forms.ModelChoiceField(label="所属机构", queryset=Agency.objects.none())

    def __init__(self, agencies, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        only = list(agencies[:2])
        if len(only) == 1:
            self.fields["agency"].initial = only[0].pk

    def clean_serial_number(self):
        serial = self.cleaned_data["serial_number"].strip()
        if Device.objects.filter(serial_number=serial).exists():
            raise forms.ValidationError("该设备编号已登记")
        return serial


class OfficerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name or obj.username}（{obj.username}，{obj.agency}）"


class AssignForm(Form):
    officer = OfficerChoice(label="领用人", queryset=User.objects.none())
    starts_on = forms.DateField(label="起始日期", widget=DateInput())
    ends_on = forms.DateField(label="截止日期", required=False, widget=DateInput())

    def __init__(self, device, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = (
            # Devices go to enforcement officers: people of the district with a certificate.
            User.objects.filter(agency__district=device.agency.district, is_active=True)
            .exclude(certificate_number="")
            .select_related("agency")
            .order_by("agency__code", "username")
        )
        self.fields["starts_on"].initial = timezone.localdate()


class EndAssignmentForm(Form):
    ends_on = forms.DateField(label="归还日期", widget=DateInput())


class ClockOffsetForm(Form):
    seconds = forms.IntegerField(
        label="时钟偏差（秒）",
        min_value=-86400 * 366,
        max_value=86400 * 366,
        help_text="设备时钟减去标准北京时间：设备快则为正，慢则为负",
    )
    note = forms.CharField(
        label="测量说明",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="如何测得，例如：与国家授时中心时间比对，设备快95秒",
    )


class StatusForm(Form):
    status = forms.ChoiceField(label="状态", choices=Device.Status.choices)
    note = forms.CharField(label="原因", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class MaintenanceForm(Form):
    performed_on = forms.DateField(label="日期", widget=DateInput())
    kind = forms.ChoiceField(label="类型", choices=DeviceMaintenance.Kind.choices)
    performed_by = forms.CharField(label="维护人", max_length=100)
    description = forms.CharField(
        label="内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["performed_on"].initial = timezone.localdate()

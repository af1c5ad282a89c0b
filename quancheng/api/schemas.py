"""Request and response shapes of the terminal API, in one place.

Input: unknown fields are refused, strings are stripped, lengths follow the model fields (so a
long value is a 422 here, never a database error), datetimes must carry an offset. Output:
datetimes in the platform's time zone (Asia/Shanghai) with their offset.
"""

import datetime as dt
import re
from typing import Annotated, ClassVar, Literal

from django.conf import settings
from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, ConfigDict, field_validator
from pydantic_core import PydanticCustomError

from quancheng.cases.models import Act, Case
from quancheng.orgs import capabilities as caps
from quancheng.orgs.models import Agency, Device, Role, User
from quancheng.subjects.models import Subject


def _max(model, field: str) -> int:
    return model._meta.get_field(field).max_length


Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
SubjectKind = Literal[*Subject.Kind.values]  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
ActKind = Literal[*Act.Kind.values]  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
CaseStage = Literal[*Case.Stage.values]  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
MAX_OFFICERS = 20
MAX_TEXT = 10000

# Output: aware datetimes shown in the platform's time zone, e.g. 2026-03-01T09:30:00+08:00.
LocalDateTime = Annotated[dt.datetime, AfterValidator(timezone.localtime)]

_SPACE_OFFSET = re.compile(r"^(\d{4}-\d\d-\d\dT[\d:.]+) (\d\d(?::?\d\d)?)$")


def _restore_plus(value):
    # In a query string an unencoded "+08:00" arrives as " 08:00"; put the plus back.
    if isinstance(value, str):
        return _SPACE_OFFSET.sub(r"\1+\2", value.strip())
    return value


# Datetimes the platform accepts: 1970 to 2100. Outside, a time is a typing error, and near the
# ends of Python's range (years 1 and 9999) converting it to UTC overflows.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


def _in_platform_range(value: dt.datetime) -> dt.datetime:
    # The year first: comparing an aware datetime converts it to UTC, which may overflow.
    if not EARLIEST.year <= value.year <= LATEST.year or not EARLIEST <= value <= LATEST:
        raise PydanticCustomError("datetime_range", "datetime outside 1970-2100")
    return value


InputDateTime = Annotated[AwareDatetime, AfterValidator(_in_platform_range)]
QueryDateTime = Annotated[InputDateTime, BeforeValidator(_restore_plus)]


def _refuse_nul(value):
    """NUL cannot be stored in PostgreSQL text; it is refused on every database alike."""
    if isinstance(value, str):
        if "\x00" in value:
            raise PydanticCustomError("nul_character", "NUL character")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_nul(key)
            _refuse_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_nul(item)
    return value


class Error(Schema):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["对象不存在"])
    fields: dict[str, list[str]] | None = Field(
        None, description="按字段列出的错误信息（数据校验失败时）"
    )


class Input(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value):
        return _refuse_nul(value)


class PatchInput(Input):
    """A partial update: absent fields are left as they are; null only where it means "none"."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _not_null(cls, value, info):
        if value is None and info.field_name not in cls.nullable:
            raise PydanticCustomError("null_not_allowed", "null is not allowed here")
        return value

    def changes(self) -> dict:
        return self.model_dump(exclude_unset=True)


class Paging(Schema):
    limit: int = Field(settings.QC_PAGE_SIZE, ge=1, le=200, description="每页条数（最多200）")
    offset: int = Field(0, ge=0, le=2**63 - 1, description="跳过的条数")


# References shown inside other objects.


class AgencyRef(Schema):
    id: int
    code: str
    name: str


class PersonRef(Schema):
    id: int
    username: str
    full_name: str


class SubjectRef(Schema):
    id: int
    name: str
    credit_code: str


class CaseRef(Schema):
    id: int
    number: str


# Subjects.


class SubjectOut(Schema):
    id: int
    agency: AgencyRef
    name: str
    kind: SubjectKind
    kind_label: str
    address: str
    licence_number: str
    credit_code: str
    legal_representative: str
    phone: str
    created_at: LocalDateTime
    updated_at: LocalDateTime

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()


class SubjectPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SubjectOut]


class SubjectFilters(Paging):
    q: str | None = Field(
        None, max_length=100, description="按名称、统一社会信用代码或许可证号搜索"
    )
    kind: SubjectKind | None = None


class SubjectCreate(Input):
    agency_id: Id | None = Field(None, description="市级用户可指定辖区内机构；默认为本人所在机构")
    name: str = Field(max_length=_max(Subject, "name"))
    kind: SubjectKind
    address: str = Field(max_length=_max(Subject, "address"))
    licence_number: str = Field("", max_length=_max(Subject, "licence_number"))
    credit_code: str = Field("", max_length=64, description="统一社会信用代码（18位）")
    legal_representative: str = Field("", max_length=_max(Subject, "legal_representative"))
    phone: str = Field("", max_length=_max(Subject, "phone"))


class SubjectPatch(PatchInput):
    name: str | None = Field(None, max_length=_max(Subject, "name"))
    kind: SubjectKind | None = None
    address: str | None = Field(None, max_length=_max(Subject, "address"))
    licence_number: str | None = Field(None, max_length=_max(Subject, "licence_number"))
    credit_code: str | None = Field(None, max_length=64)
    legal_representative: str | None = Field(None, max_length=_max(Subject, "legal_representative"))
    phone: str | None = Field(None, max_length=_max(Subject, "phone"))


# Acts.


class ActOut(Schema):
    id: int
    agency: AgencyRef
    kind: ActKind
    kind_label: str
    started_at: LocalDateTime
    ended_at: LocalDateTime
    place: str
    subject: SubjectRef
    case: CaseRef | None
    officers: list[PersonRef]
    involves_life_or_property: bool
    description: str
    created_at: LocalDateTime
    updated_at: LocalDateTime

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()


class ActPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ActOut]


class ActFilters(Paging):
    kind: ActKind | None = None
    subject_id: Id | None = None
    case_id: Id | None = None
    started_after: QueryDateTime | None = Field(None, description="开始时间不早于（带时区偏移）")
    started_before: QueryDateTime | None = Field(None, description="开始时间早于（带时区偏移）")


class ActCreate(Input):
    agency_id: Id | None = Field(None, description="市级用户可指定辖区内机构；默认为本人所在机构")
    kind: ActKind
    started_at: InputDateTime = Field(description="开始时间，ISO 8601 带时区偏移")
    ended_at: InputDateTime = Field(description="结束时间，ISO 8601 带时区偏移")
    place: str = Field(max_length=_max(Act, "place"))
    subject_id: Id
    case_id: Id | None = None
    officer_ids: list[Id] = Field(max_length=MAX_OFFICERS, description="执法人员（至少两名）")
    involves_life_or_property: bool = False
    description: str = Field("", max_length=MAX_TEXT)


class ActPatch(PatchInput):
    nullable: ClassVar[frozenset[str]] = frozenset({"case_id"})

    kind: ActKind | None = None
    started_at: InputDateTime | None = None
    ended_at: InputDateTime | None = None
    place: str | None = Field(None, max_length=_max(Act, "place"))
    subject_id: Id | None = None
    case_id: Id | None = Field(None, description="null 表示不属于任何案件")
    officer_ids: list[Id] | None = Field(None, max_length=MAX_OFFICERS)
    involves_life_or_property: bool | None = None
    description: str | None = Field(None, max_length=MAX_TEXT)


# Cases.


class CaseOut(Schema):
    id: int
    agency: AgencyRef
    number: str
    cause: str
    subject: SubjectRef
    officers: list[PersonRef]
    stage: CaseStage
    stage_label: str
    allowed_next_stages: list[CaseStage]
    filed_on: dt.date
    created_at: LocalDateTime
    updated_at: LocalDateTime

    @staticmethod
    def resolve_stage_label(obj) -> str:
        return obj.get_stage_display()

    @staticmethod
    def resolve_allowed_next_stages(obj) -> list[str]:
        return obj.allowed_next_stages()


class CasePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CaseOut]


class CaseFilters(Paging):
    stage: CaseStage | None = None
    subject_id: Id | None = None


class CaseCreate(Input):
    agency_id: Id | None = Field(None, description="市级用户可指定辖区内机构；默认为本人所在机构")
    number: str = Field(max_length=_max(Case, "number"), description="案件编号")
    cause: str = Field(max_length=_max(Case, "cause"), description="案由")
    subject_id: Id
    officer_ids: list[Id] = Field(max_length=MAX_OFFICERS, description="承办人员（至少两名）")
    filed_on: dt.date = Field(description="立案日期")


class CasePatch(PatchInput):
    number: str | None = Field(None, max_length=_max(Case, "number"))
    cause: str | None = Field(None, max_length=_max(Case, "cause"))
    subject_id: Id | None = None
    officer_ids: list[Id] | None = Field(None, max_length=MAX_OFFICERS)
    filed_on: dt.date | None = None


class StageChange(Input):
    stage: CaseStage
    note: str = Field("", max_length=1000, description="变更说明")


# Who is calling.


class AgencyOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    level: Literal[*Agency.Level.values]  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
    kind: Literal[*Agency.Kind.values]  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
    district: str


class DeviceOut(Schema):
    id: int
    kind: Literal[*Device.Kind.values]  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
    serial_number: str
    name: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: LocalDateTime
    expires_at: LocalDateTime = Field(description="有效期至；到期前用 POST /me/token/rotate 轮换")
    last_used_at: LocalDateTime | None = Field(description="最近一次使用（精确到分钟）")


class RotatedTokenOut(Schema):
    token: TokenOut
    secret: str = Field(description="新令牌的密钥，只返回这一次；旧令牌已失效")


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    role: Literal[*Role.values]  # type: ignore[valid-type]  # choices read at run time (the OpenAPI enum)
    role_label: str
    agency: AgencyOut | None
    can_write: bool
    sees_whole_city: bool
    certificate_number: str
    certificate_valid_until: dt.date | None
    token: TokenOut
    device: DeviceOut | None


def me(user: User, api_token) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "role_label": user.get_role_display(),
        "agency": user.agency,
        # Whether the caller creates enforcement data at all (the table's act.create row).
        "can_write": caps.can(user, caps.ACT_CREATE),
        "sees_whole_city": user.sees_whole_city,
        "certificate_number": user.certificate_number,
        "certificate_valid_until": user.certificate_valid_until,
        "token": api_token,
        "device": api_token.device,
    }

"""Use cases for agencies, people, devices and API tokens."""

import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from quancheng.ledger.actions import Action
from quancheng.ledger.services import record_event
from quancheng.ledger.snapshot import snapshot

from .models import Agency, ApiToken, Device, DeviceAssignment, User

AGENCY_FIELDS = ["code", "name", "short_name", "level", "kind", "district", "parent"]
USER_FIELDS = [
    "username",
    "full_name",
    "agency",
    "role",
    "certificate_number",
    "certificate_valid_from",
    "certificate_valid_until",
    "is_active",
]


@transaction.atomic(durable=True)
def create_agency(actor: User | None, **data) -> Agency:
    """Create an agency (a ledger event; actor None: the system, e.g. seeding)."""
    return _create_agency(actor, **data)


def _create_agency(actor: User | None, **data) -> Agency:
    """create_agency inside the caller's transaction (load_organisation)."""
    agency = Agency.objects.create(**data)
    record_event(
        actor, Action.AGENCY_CREATED, agency, snapshot(agency, AGENCY_FIELDS), agency=agency
    )
    return agency


@transaction.atomic(durable=True)
def create_user(actor: User, password: str, **data) -> User:
    """Create a person with a validated password (a ledger event, never the password)."""
    user = User(**data)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    record_event(actor, Action.USER_CREATED, user, snapshot(user, USER_FIELDS), agency=user.agency)
    return user


@transaction.atomic(durable=True)
def create_users(actor: User | None, password: str, people: list[dict]) -> list[User]:
    """Create several people who start with one password (the demo, an import of accounts),
    each recorded as ``create_user`` records one. The password is checked against each person
    and hashed once: PBKDF2 takes most of a second, and separate salts would hide nothing
    among people whose shared starting password is known to whoever created them."""
    users = [User(**data) for data in people]
    for user in users:
        validate_password(password, user)
    encoded = make_password(password)
    for user in users:
        user.password = encoded
        user.save()
        record_event(
            actor, Action.USER_CREATED, user, snapshot(user, USER_FIELDS), agency=user.agency
        )
    return users


@transaction.atomic(durable=True)
def create_device(actor: User | None, **data) -> Device:
    """Register a recording device (a ledger event; actor None: the system)."""
    device = Device.objects.create(**data)
    record_event(
        actor,
        Action.DEVICE_CREATED,
        device,
        snapshot(device, ["agency", "kind", "serial_number", "name", "status"]),
    )
    return device


@transaction.atomic(durable=True)
def assign_device(actor: User | None, device: Device, officer: User, starts_on, ends_on=None):
    """Issue a device to an officer; overlapping assignments of one device are refused, and so
    are officers of another district and devices not in service."""
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": "截止日期不能早于起始日期"})
    if officer.agency is None or officer.agency.district != device.agency.district:
        raise ValidationError({"officer": "只能领用给本辖区的执法人员"})
    if device.status != Device.Status.IN_SERVICE:
        raise ValidationError({"starts_on": f"设备{device.get_status_display()}，不能领用"})
    overlapping = device.assignments.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    if overlapping.exists():
        raise ValidationError({"starts_on": "该设备在此期间已有领用记录"})
    assignment = DeviceAssignment.objects.create(
        device=device, officer=officer, starts_on=starts_on, ends_on=ends_on
    )
    record_event(
        actor,
        Action.DEVICE_ASSIGNED,
        device,
        {
            "officer": officer.get_username(),
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat() if ends_on else None,
        },
    )
    return assignment


@transaction.atomic(durable=True)
def set_device_clock_offset(actor: User, device: Device, seconds: int, note: str = "") -> Device:
    """Record a device's measured clock offset (_set_device_clock_offset says how)."""
    return _set_device_clock_offset(actor, device, seconds, note)


def _set_device_clock_offset(actor: User, device: Device, seconds: int, note: str = "") -> Device:
    """Record a device's measured clock offset (device clock minus true time) and how it was
    measured (the note: e.g. "对比授时中心时间，设备快95秒")."""
    before = device.clock_offset_seconds
    device.clock_offset_seconds = seconds
    device.save(update_fields=["clock_offset_seconds"])
    body: dict[str, int | str] = {"before": before, "after": seconds}
    if note.strip():
        body["note"] = note.strip()
    record_event(actor, Action.DEVICE_CLOCK_OFFSET_SET, device, body)
    return device


@transaction.atomic(durable=True)
def issue_api_token(actor: User, user: User, name: str, device: Device | None = None):
    """A new token; the secret is returned once and only its hash is kept."""
    return _issue_api_token(actor, user, name, device)


def _issue_api_token(actor: User, user: User, name: str, device: Device | None):
    """``issue_api_token``'s body, in the caller's transaction (rotation revokes and issues in
    one)."""
    secret = settings.QC_API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name,
        user=user,
        device=device,
        token_hash=ApiToken.hash_secret(secret),
        prefix=secret[:10],
        created_by=actor,
    )
    record_event(
        actor,
        Action.API_TOKEN_ISSUED,
        token,
        {
            "name": name,
            "user": user.pk,
            "device": device.pk if device else None,
            "prefix": token.prefix,
            "expires_at": token.expires_at.isoformat(),
        },
        agency=user.agency,
    )
    return token, secret


@transaction.atomic(durable=True)
def rotate_api_token(actor: User, token: ApiToken):
    """Replace a working token by a new one for the same user, device and name.

    The old token is revoked in the same transaction, so exactly one of the two works at any
    time; the new one runs for QC_API_TOKEN_DAYS from now. Returns (new token, its secret).
    """
    old = ApiToken.objects.select_for_update().get(pk=token.pk)
    if old.revoked_at is not None or old.expires_at <= timezone.now():
        raise ValidationError("该令牌已吊销或已过期，不能轮换，请重新签发", code="token_inactive")
    old.revoked_at = timezone.now()
    old.save(update_fields=["revoked_at"])
    new, secret = _issue_api_token(actor, old.user, old.name, old.device)
    record_event(
        actor,
        Action.API_TOKEN_ROTATED,
        old,
        {"prefix": old.prefix, "new_token": new.pk, "new_prefix": new.prefix},
        agency=old.user.agency,
    )
    return new, secret


@transaction.atomic(durable=True)
def revoke_api_token(actor: User, token: ApiToken) -> ApiToken:
    """Revoke an API token now; revoking it again changes nothing (a ledger event)."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(
            actor,
            Action.API_TOKEN_REVOKED,
            token,
            {"prefix": token.prefix},
            agency=token.user.agency,
        )
    return token

"""Writes to the foundation's records. Each is one function, atomic, audited, policy-checked."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from jiedao.core import figures, pii
from jiedao.core.audit import acting_as
from jiedao.core.models import (
    Enterprise,
    Gender,
    Notification,
    OfficeBuilding,
    OrgKind,
    OrgUnit,
    Person,
    PiiField,
    PiiReveal,
)
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.core.validators import clean_id_number, clean_phone, clean_uscc

log = logging.getLogger(__name__)

Outcome = Literal["created", "updated", "unchanged"]


def name_search_keys(name: str) -> tuple[str, str]:
    """Full pinyin and initials of a name: 张三 → ("zhangsan", "zs")."""
    syllables = lazy_pinyin(name, errors="ignore")
    initials = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(syllables).lower(), "".join(initials).lower()


@dataclass
class PersonData:
    """Validated input for a person; the form, the API and the importer all build one."""

    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    warnings: tuple[str, ...] = ()

    @classmethod
    def clean(
        cls, *, name: str, id_number: str = "", phone: str = "", address: str = ""
    ) -> PersonData:
        errors: dict[str, list[str]] = {}
        warnings: list[str] = []
        # NUL cannot be stored in PostgreSQL text; forms refuse it, the API and files may not.
        name = (name or "").replace("\x00", "").strip()
        address = (address or "").replace("\x00", "")
        if not name:
            errors["name"] = [_("请填写姓名。")]
        elif len(name) > 50:
            errors["name"] = [_("姓名不能超过50个字符。")]
        clean_id = ""
        if (id_number or "").strip():
            try:
                check = clean_id_number(id_number)
                clean_id = check.value
                if check.warning:
                    warnings.append(check.warning)
            except ValidationError as exc:
                errors["id_number"] = list(exc.messages)
        clean_tel = ""
        if (phone or "").strip():
            try:
                clean_tel = clean_phone(phone)
            except ValidationError as exc:
                errors["phone"] = list(exc.messages)
        if len(address or "") > 200:
            errors["address"] = [_("地址不能超过200个字符。")]
        if errors:
            raise ValidationError(errors)
        return cls(name, clean_id, clean_tel, (address or "").strip(), tuple(warnings))


def _apply_person_data(person: Person, data: PersonData) -> list[str]:
    """Set the person's fields from data; return the names of the fields that changed."""
    changed: list[str] = []

    def put(field: str, value: Any) -> None:
        if getattr(person, field) != value:
            setattr(person, field, value)
            changed.append(field)

    put("name", data.name)
    pinyin, initials = name_search_keys(data.name)
    put("name_pinyin", pinyin)
    put("name_initials", initials)
    put("address", data.address)
    id_hash = pii.blind_index(data.id_number)
    if id_hash != person.id_number_hash:
        put("id_number_hash", id_hash)
        put("id_number_encrypted", pii.encrypt(data.id_number))
        put("id_number_masked", pii.mask_id_number(data.id_number))
        if data.id_number:
            from stdnum.cn import ric

            put("birth_date", ric.get_birth_date(data.id_number))
            put("gender", Gender.MALE if int(data.id_number[16]) % 2 else Gender.FEMALE)
    phone_hash = pii.blind_index(data.phone)
    if phone_hash != person.phone_hash:
        put("phone_hash", phone_hash)
        put("phone_encrypted", pii.encrypt(data.phone))
        put("phone_masked", pii.mask_phone(data.phone))
    return changed


def _check_duplicate_id(data: PersonData, exclude_pk: int | None) -> None:
    if not data.id_number:
        return
    clash = Person.objects.filter(id_number_hash=pii.blind_index(data.id_number))
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"id_number": [_("该身份证号已登记在另一位居民名下。")]})


def _check_org(org_unit: OrgUnit, kinds: set[str]) -> None:
    if org_unit.kind not in kinds:
        raise ValidationError({"org_unit": [_("请选择居委会或街道。")]})


def person_create(*, actor: Any, org_unit: OrgUnit, data: PersonData) -> Person:
    policy.require_in_org(actor, Person, Action.ADD, org_unit)
    _check_org(org_unit, {OrgKind.COMMITTEE, OrgKind.SUBDISTRICT, OrgKind.AREA})
    _check_duplicate_id(data, None)
    person = Person(org_unit=org_unit)
    _apply_person_data(person, data)
    with transaction.atomic(), acting_as(actor):
        person.full_clean(exclude=["household", "user"])
        person.save()
    return person


def person_edit_data(
    *,
    person: Person,
    name: str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
    address: str | None = None,
) -> PersonData:
    """Validated data for an edit in which a value left out (None or blank) keeps the stored
    one: forms and the API never show ID numbers or phones in clear, so they cannot echo
    them back."""
    return PersonData.clean(
        name=person.name if name is None else name,
        id_number=id_number or pii.decrypt(person.id_number_encrypted),
        phone=phone or pii.decrypt(person.phone_encrypted),
        address=person.address if address is None else address,
    )


def person_update(
    *, actor: Any, person: Person, data: PersonData, org_unit: OrgUnit | None = None
) -> Person:
    if not policy.can(actor, Action.CHANGE, person):
        raise NotPermitted(Action.CHANGE)
    _check_duplicate_id(data, person.pk)
    changed = _apply_person_data(person, data)
    if org_unit is not None and org_unit.pk != person.org_unit_id:
        policy.require_in_org(actor, Person, Action.ADD, org_unit)
        _check_org(org_unit, {OrgKind.COMMITTEE, OrgKind.SUBDISTRICT, OrgKind.AREA})
        person.org_unit = org_unit
        changed.append("org_unit")
    if changed:
        with transaction.atomic(), acting_as(actor):
            person.save(update_fields=[*changed, "updated_at"])
    return person


def person_upsert(*, actor: Any, org_unit: OrgUnit, data: PersonData) -> tuple[Person, Outcome]:
    """Create or update the person keyed by ID-number hash (the residents roll's natural key)."""
    existing = Person.objects.filter(id_number_hash=pii.blind_index(data.id_number)).first()
    if existing is None:
        return person_create(actor=actor, org_unit=org_unit, data=data), "created"
    changed = _apply_person_data(existing, data)
    outcome = _save_upsert(
        actor=actor,
        obj=existing,
        changed=changed,
        org_unit=org_unit,
        refused=_("该身份证号属于您无权修改的居民。"),
    )
    return existing, outcome


def _save_upsert(
    *, actor: Any, obj: Person | Enterprise, changed: list[str], org_unit: OrgUnit, refused: str
) -> Outcome:
    """The update half of an upsert: move to `org_unit`, save what changed, if permitted."""
    if obj.org_unit_id != org_unit.pk:
        obj.org_unit = org_unit
        changed.append("org_unit")
    if not changed:
        return "unchanged"
    if not policy.can(actor, Action.CHANGE, obj):
        raise ValidationError(refused)
    # A moved enterprise may change what the modules' figures count (e.g. council coverage).
    with transaction.atomic(), acting_as(actor), figures.tracking(type(obj), [obj.pk]):
        obj.save(update_fields=[*changed, "updated_at"])
    return "updated"


def person_reveal(
    *, actor: Any, person: Person, field: str, reason: str, remote_addr: str | None = None
) -> str:
    """The clear value of one personal field, logged with who, when, which record and why."""
    if not policy.can(actor, Action.REVEAL, person):
        raise NotPermitted(Action.REVEAL)
    reason = (reason or "").replace("\x00", "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": [_("请说明查看理由。")]})
    if field not in PiiField.values:
        raise ValidationError({"field": [_("不能查看该字段。")]})
    encrypted = (
        person.id_number_encrypted if field == PiiField.ID_NUMBER else person.phone_encrypted
    )
    PiiReveal.objects.create(
        user=actor, person=person, field=field, reason=reason[:200], remote_addr=remote_addr
    )
    log.info("pii reveal: user=%s person=%s field=%s", actor.pk, person.pk, field)
    return pii.decrypt(encrypted)


@dataclass
class EnterpriseData:
    name: str
    credit_code: str
    building: OfficeBuilding | None = None
    floor: int | None = None

    @classmethod
    def clean(
        cls,
        *,
        name: str,
        credit_code: str,
        building: OfficeBuilding | None = None,
        floor: int | str | None = None,
    ) -> EnterpriseData:
        errors: dict[str, list[str]] = {}
        name = (name or "").replace("\x00", "").strip()
        if not name:
            errors["name"] = [_("请填写企业名称。")]
        elif len(name) > 200:
            errors["name"] = [_("企业名称不能超过200个字符。")]
        code = ""
        try:
            code = clean_uscc(credit_code)
        except ValidationError as exc:
            errors["credit_code"] = list(exc.messages)
        floor_value: int | None = None
        if floor not in (None, ""):
            try:
                floor_value = int(str(floor))
                if not -10 <= floor_value <= 200:
                    raise ValueError
            except ValueError:
                errors["floor"] = [_("楼层应为-10到200之间的整数。")]
        if errors:
            raise ValidationError(errors)
        return cls(name, code, building, floor_value)


def _apply_enterprise_data(enterprise: Enterprise, data: EnterpriseData) -> list[str]:
    changed: list[str] = []
    for field, value in (
        ("name", data.name),
        ("credit_code", data.credit_code),
        ("building", data.building),
        ("floor", data.floor),
    ):
        if getattr(enterprise, field) != value:
            setattr(enterprise, field, value)
            changed.append(field)
    return changed


def _check_building(actor: Any, building: OfficeBuilding | None) -> None:
    if building is not None and not policy.can(actor, Action.VIEW, building):
        raise ValidationError({"building": [_("所选楼宇不存在。")]})


def enterprise_create(
    *, actor: Any, org_unit: OrgUnit, data: EnterpriseData, contact: Person | None = None
) -> Enterprise:
    policy.require_in_org(actor, Enterprise, Action.ADD, org_unit)
    _check_building(actor, data.building)
    if Enterprise.objects.filter(credit_code=data.credit_code).exists():
        raise ValidationError({"credit_code": [_("该统一社会信用代码已登记。")]})
    enterprise = Enterprise(org_unit=org_unit, contact=contact)
    _apply_enterprise_data(enterprise, data)
    with transaction.atomic(), acting_as(actor):
        enterprise.save()
        figures.added(Enterprise, [enterprise.pk])
    return enterprise


def enterprise_update(*, actor: Any, enterprise: Enterprise, data: EnterpriseData) -> Enterprise:
    if not policy.can(actor, Action.CHANGE, enterprise):
        raise NotPermitted(Action.CHANGE)
    _check_building(actor, data.building)
    if Enterprise.objects.filter(credit_code=data.credit_code).exclude(pk=enterprise.pk).exists():
        raise ValidationError({"credit_code": [_("该统一社会信用代码已登记。")]})
    changed = _apply_enterprise_data(enterprise, data)
    if changed:
        with transaction.atomic(), acting_as(actor), figures.tracking(Enterprise, [enterprise.pk]):
            enterprise.save(update_fields=[*changed, "updated_at"])
    return enterprise


def enterprise_upsert(
    *,
    actor: Any,
    org_unit: OrgUnit,
    data: EnterpriseData,
    contact: PersonData | None = None,
) -> tuple[Enterprise, Outcome]:
    """Create or update the enterprise keyed by credit code (the enterprise roll's key)."""
    existing = Enterprise.objects.filter(credit_code=data.credit_code).first()
    contact_person: Person | None = None
    if contact is not None:
        contact_person = _contact_for(actor=actor, org_unit=org_unit, data=contact)
    if existing is None:
        enterprise = enterprise_create(
            actor=actor, org_unit=org_unit, data=data, contact=contact_person
        )
        return enterprise, "created"
    changed = _apply_enterprise_data(existing, data)
    if contact_person is not None and existing.contact_id != contact_person.pk:
        existing.contact = contact_person
        changed.append("contact")
    outcome = _save_upsert(
        actor=actor,
        obj=existing,
        changed=changed,
        org_unit=org_unit,
        refused=_("该信用代码属于您无权修改的企业。"),
    )
    return existing, outcome


def _contact_for(*, actor: Any, org_unit: OrgUnit, data: PersonData) -> Person:
    """The contact person: matched by ID number, else by name and phone, else created."""
    if data.id_number:
        person, _outcome = person_upsert(actor=actor, org_unit=org_unit, data=data)
        return person
    match = Person.objects.filter(
        name=data.name, phone_hash=pii.blind_index(data.phone), org_unit=org_unit
    ).first()
    if match is not None:
        return match
    policy.require_in_org(actor, Enterprise, Action.ADD, org_unit)
    person = Person(org_unit=org_unit)
    _apply_person_data(person, data)
    with acting_as(actor):
        person.save()
    return person


def age_on(person: Person, day: date) -> int | None:
    if person.birth_date is None:
        return None
    b = person.birth_date
    return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


# --- in-app notifications -----------------------------------------------------------------------
def notification_send(*, user_ids: Iterable[int], key: str, message: str, url: str = "") -> int:
    """Send one in-app message per user. A user who already holds `key` gets nothing new, so a
    job that runs twice notifies once. Returns how many messages were created."""
    wanted = set(user_ids)
    if not wanted:
        return 0
    already = set(
        Notification.objects.filter(key=key, user_id__in=wanted).values_list("user_id", flat=True)
    )
    new = [
        Notification(user_id=uid, key=key[:120], message=message[:300], url=url[:200])
        for uid in sorted(wanted - already)
    ]
    # A concurrent run may have sent some meanwhile: the unique (user, key) keeps one.
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def notification_mark_read(*, user: Any, pk: int | None = None) -> int:
    """Mark the user's unread notifications (or only one of them) as read."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if pk is not None:
        unread = unread.filter(pk=pk)
    return unread.update(read_at=timezone.now(), updated_at=timezone.now())

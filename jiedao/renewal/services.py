"""Writes of urban renewal: one function each, atomic, audited, checked.

Household writes take the `version` the user's form was built from: a stale save is refused
instead of silently overwriting a colleague's change (optimistic locking).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from jiedao.core import figures
from jiedao.core.audit import acting_as
from jiedao.core.permissions import Action, NotPermitted, policy
from jiedao.renewal.models import (
    PHASE_TRANSITIONS,
    Agreement,
    Answer,
    EntryCategory,
    EntryKind,
    FundingSource,
    Household,
    LedgerEntry,
    Phase,
    RenewalProject,
    Visit,
    WorkMethod,
)


class IllegalTransition(ValidationError):
    pass


class StaleEdit(ValidationError):
    """Someone else saved this household after the form was opened."""


def _require(actor: Any, action: Action, obj: Any) -> None:
    if not policy.can(actor, action, obj):
        raise NotPermitted(action)


def _bump(household: Household, expected_version: int, **changes: Any) -> Household:
    """Write `changes` only if nobody saved since `expected_version`; then bump the version."""
    updated = Household.objects.filter(pk=household.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now(), **changes
    )
    if not updated:
        raise StaleEdit(
            _("该户信息已被其他工作人员修改，请刷新页面，核对最新信息后再保存。"), code="stale"
        )
    household.refresh_from_db()
    return household


def _audit_household(actor: Any, household: Household, before: dict[str, Any]) -> None:
    """queryset.update bypasses auditlog's signals: log the change with its diff explicitly."""
    from auditlog.models import LogEntry

    changes = {
        k: [
            str(v) if v is not None else None,
            str(getattr(household, k)) if getattr(household, k) is not None else None,
        ]
        for k, v in before.items()
        if v != getattr(household, k)
    }
    if changes:
        with acting_as(actor):
            LogEntry.objects.log_create(
                household, action=LogEntry.Action.UPDATE, changes=changes, force_log=True
            )


# --- projects ---------------------------------------------------------------------------------
def project_move_phase(
    *, actor: Any, project: RenewalProject, to_phase: str, on: date | None = None
) -> RenewalProject:
    """Move a project along its phases. Closing round one or the signing period decides from
    the households' records whether the project may go on."""
    from jiedao.renewal.selectors import consultation_result, signing_result

    _require(actor, Action.CHANGE, project)
    if to_phase not in PHASE_TRANSITIONS.get(project.phase, frozenset()):
        raise IllegalTransition(
            _("项目当前阶段为“%(now)s”，不能进入“%(to)s”。")
            % {
                "now": Phase(project.phase).label,
                "to": Phase(to_phase).label if to_phase in Phase.values else to_phase,
            }
        )
    on = on or timezone.localdate()
    fields = ["phase", "updated_at"]
    if project.phase == Phase.CONSULTATION and to_phase == Phase.SIGNING:
        result = consultation_result(project)
        project.consultation_passed = result.passed
        project.consultation_closed_on = on
        fields += ["consultation_passed", "consultation_closed_on"]
        if not result.passed:
            with transaction.atomic(), acting_as(actor):
                project.save(update_fields=fields[1:])
            raise ValidationError(
                _("意愿征询未达到通过比例（%(share)s，需 %(need)s），项目不能进入签约。")
                % {"share": result.share_text, "need": result.threshold_text}
            )
    if project.phase == Phase.SIGNING and to_phase == Phase.MOVING_OUT:
        result = signing_result(project)
        project.agreements_effective = result.passed
        fields.append("agreements_effective")
        if not result.passed:
            with transaction.atomic(), acting_as(actor):
                project.save(update_fields=fields[1:])
            raise ValidationError(
                _("签约比例未达到生效比例（%(share)s，需 %(need)s），协议不生效。")
                % {"share": result.share_text, "need": result.threshold_text}
            )
    if project.phase == Phase.PLANNED and project.started_on is None:
        project.started_on = on
        fields.append("started_on")
    if to_phase == Phase.DONE:
        project.completed_on = on
        fields.append("completed_on")
    project.phase = to_phase
    with transaction.atomic(), acting_as(actor), figures.tracking(RenewalProject, [project.pk]):
        project.save(update_fields=fields)
    return project


# --- households -------------------------------------------------------------------------------
def household_record_answer(
    *, actor: Any, household: Household, expected_version: int, answer: str, on: date | None = None
) -> Household:
    """Round one: the household's answer with its date."""
    _require(actor, Action.CHANGE, household)
    if household.project.phase != Phase.CONSULTATION:
        raise ValidationError(_("项目不在意愿征询阶段。"))
    if answer not in Answer.values:
        raise ValidationError({"answer": [_("请选择意愿。")]})
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"answered_on": [_("答复日期不能晚于今天。")]})
    before = {"answer": household.answer, "answered_on": household.answered_on}
    with transaction.atomic():
        _bump(household, expected_version, answer=answer, answered_on=on if answer else None)
        _audit_household(actor, household, before)
    return household


def agreement_sign(
    *,
    actor: Any,
    household: Household,
    expected_version: int,
    option: str,
    number: str,
    signed_on: date,
    signed_by: str,
    compensation: Decimal = Decimal("0"),
    relocation_allowance: Decimal = Decimal("0"),
) -> Agreement:
    """Round two: sign the household's agreement; its compensation is committed in the ledger."""
    _require(actor, Action.CHANGE, household)
    project = household.project
    errors: dict[str, list[str]] = {}
    if project.phase != Phase.SIGNING:
        errors["__all__"] = [_("项目不在签约阶段。")]
    codes = {o.get("code") for o in project.options or []}
    if option not in codes:
        errors["option"] = [_("请选择本项目的安置方式。")]
    if not number.strip():
        errors["number"] = [_("请填写协议编号。")]
    if not signed_by.strip():
        errors["signed_by"] = [_("请填写签约人。")]
    if signed_on > timezone.localdate():
        errors["signed_on"] = [_("签约日期不能晚于今天。")]
    if compensation < 0 or relocation_allowance < 0:
        errors["compensation"] = [_("金额不能为负数。")]
    if household.agreements.filter(revoked_at__isnull=True).exists():
        errors["__all__"] = [_("该户已有有效协议。")]
    if Agreement.objects.filter(number=number.strip()).exists():
        errors["number"] = [_("协议编号已存在。")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), acting_as(actor), figures.tracking(RenewalProject, [project.pk]):
        _bump(household, expected_version)  # the household's card changes with it
        agreement = Agreement.objects.create(
            household=household,
            number=number.strip(),
            option=option,
            signed_on=signed_on,
            signed_by=signed_by.strip(),
            compensation=compensation,
            relocation_allowance=relocation_allowance,
        )
        for category, amount in (
            (EntryCategory.COMPENSATION, compensation),
            (EntryCategory.RELOCATION, relocation_allowance),
        ):
            if amount:
                LedgerEntry.objects.create(
                    project=project,
                    kind=EntryKind.COMMITMENT,
                    category=category,
                    amount=amount,
                    date=signed_on,
                    household=household,
                    agreement=agreement,
                    note=_("协议 %(n)s") % {"n": agreement.number},
                )
    return agreement


def agreement_revoke(*, actor: Any, agreement: Agreement, reason: str) -> Agreement:
    """Only a supervisor may revoke, with a reason; the agreement's commitments are reversed."""
    _require(actor, Action.DELETE, agreement)
    if agreement.revoked_at is not None:
        raise ValidationError(_("该协议已撤销。"))
    if len(reason.strip()) < 2:
        raise ValidationError({"reason": [_("请填写撤销原因。")]})
    with (
        transaction.atomic(),
        acting_as(actor),
        figures.tracking(RenewalProject, [agreement.household.project_id]),
    ):
        agreement.revoked_at = timezone.now()
        agreement.revoked_by = actor
        agreement.revoke_reason = reason.strip()[:300]
        agreement.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "updated_at"])
        for entry in agreement.ledger.filter(kind=EntryKind.COMMITMENT):
            LedgerEntry.objects.create(
                project=entry.project,
                kind=EntryKind.COMMITMENT,
                category=entry.category,
                amount=-entry.amount,
                date=timezone.localdate(),
                household=entry.household,
                agreement=agreement,
                note=_("撤销协议 %(n)s") % {"n": agreement.number},
            )
    return agreement


def household_record_move(
    *,
    actor: Any,
    household: Household,
    expected_version: int,
    moved_on: date | None = None,
    keys_on: date | None = None,
    inspected_on: date | None = None,
) -> Household:
    """Moving out: date moved, keys handed over, inspection; "cleared" only with all three."""
    _require(actor, Action.CHANGE, household)
    if not household.agreements.filter(revoked_at__isnull=True).exists():
        raise ValidationError(_("该户尚未签约，不能登记搬场。"))
    today = timezone.localdate()
    if any(d and d > today for d in (moved_on, keys_on, inspected_on)):
        raise ValidationError(_("日期不能晚于今天。"))
    changes = {
        k: v
        for k, v in (("moved_on", moved_on), ("keys_on", keys_on), ("inspected_on", inspected_on))
        if v is not None
    }
    if not changes:
        raise ValidationError(_("请至少填写一项日期。"))
    before = {k: getattr(household, k) for k in changes}
    with transaction.atomic(), figures.tracking(RenewalProject, [household.project_id]):
        _bump(household, expected_version, **changes)
        _audit_household(actor, household, before)
    return household


def household_assign(
    *, actor: Any, household: Household, expected_version: int, staff: Any
) -> Household:
    _require(actor, Action.CHANGE, household)
    if not policy.can(staff, Action.CHANGE, household):
        raise ValidationError({"assigned_to": [_("所选人员无权负责该户。")]})
    before = {"assigned_to": household.assigned_to}
    with transaction.atomic():
        _bump(household, expected_version, assigned_to=staff)
        _audit_household(actor, household, before)
    return household


def visit_record(
    *,
    actor: Any,
    household: Household,
    day: date,
    discussed: str,
    concerns: str = "",
    promises: str = "",
    follow_up: str = "",
    concern_open: bool = False,
    method: WorkMethod | None = None,
) -> Visit:
    _require(actor, Action.CHANGE, household)
    errors: dict[str, list[str]] = {}
    if not discussed.strip():
        errors["discussed"] = [_("请填写沟通内容。")]
    if day > timezone.localdate():
        errors["date"] = [_("走访日期不能晚于今天。")]
    if concern_open and not concerns.strip():
        errors["concerns"] = [_("请写明未解决的顾虑。")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), acting_as(actor):
        return Visit.objects.create(
            household=household,
            date=day,
            staff=actor,
            discussed=discussed.strip(),
            concerns=concerns.strip(),
            promises=promises.strip(),
            follow_up=follow_up.strip(),
            concern_open=concern_open,
            method=method,
        )


# --- money ------------------------------------------------------------------------------------
def funding_source_add(
    *, actor: Any, project: RenewalProject, kind: str, amount: Decimal, note: str = ""
) -> FundingSource:
    _require(actor, Action.CHANGE, project)
    if amount <= 0:
        raise ValidationError({"amount": [_("金额必须大于零。")]})
    with transaction.atomic(), acting_as(actor):
        source = FundingSource(project=project, kind=kind, amount=amount, note=note[:200])
        source.full_clean()
        source.save()
    return source


def ledger_add(
    *,
    actor: Any,
    project: RenewalProject,
    kind: str,
    category: str,
    amount: Decimal,
    day: date,
    household: Household | None = None,
    note: str = "",
) -> LedgerEntry:
    _require(actor, Action.CHANGE, project)
    if amount <= 0:
        raise ValidationError({"amount": [_("金额必须大于零。")]})
    if household is not None and household.project_id != project.pk:
        raise ValidationError({"household": [_("该户不属于本项目。")]})
    with transaction.atomic(), acting_as(actor):
        entry = LedgerEntry(
            project=project,
            kind=kind,
            category=category,
            amount=amount,
            date=day,
            household=household,
            note=note[:200],
        )
        entry.full_clean()
        entry.save()
    return entry


# --- household roll (importer) ----------------------------------------------------------------
def _household_contact(*, actor: Any, project: RenewalProject, data: Any) -> Any:
    """The contact person: matched by name and phone in the project's org subtree, else
    created in the committee that looks after the compound."""
    from jiedao.core import pii
    from jiedao.core.models import Person
    from jiedao.core.services import _apply_person_data

    match = (
        Person.objects.filter(
            name=data.name,
            phone_hash=pii.blind_index(data.phone),
            org_unit__path__startswith=project.org_unit.path,
        )
        .order_by("pk")
        .first()
    )
    if match is not None:
        return match
    person = Person(org_unit=project.compound.org_unit)
    _apply_person_data(person, data)
    with acting_as(actor):
        person.save()
    return person


def household_upsert(
    *, actor: Any, project: RenewalProject, data: dict[str, Any]
) -> tuple[Household, Any]:
    """Create or update the household keyed by project, block, unit and room (the household
    roll's natural key). `data` holds block, unit, room, floor_area, tenure, special and
    optionally contact (a PersonData). An update goes through the optimistic version check."""
    _require(actor, Action.CHANGE, project)
    key = {"block": data["block"], "unit": data.get("unit", ""), "room": data["room"]}
    with transaction.atomic(), figures.tracking(RenewalProject, [project.pk]):
        contact = (
            _household_contact(actor=actor, project=project, data=data["contact"])
            if data.get("contact") is not None
            else None
        )
        fields: dict[str, Any] = {
            "floor_area": data["floor_area"],
            "tenure": data["tenure"],
            "special": list(data.get("special") or []),
        }
        if contact is not None:
            fields["contact"] = contact
        existing = Household.objects.filter(project=project, **key).first()
        if existing is None:
            household = Household(project=project, **key, **fields)
            household.full_clean()
            with acting_as(actor):
                household.save()
            return household, "created"
        changes = {k: v for k, v in fields.items() if getattr(existing, k) != v}
        if not changes:
            return existing, "unchanged"
        before = {k: getattr(existing, k) for k in changes}
        _bump(existing, existing.version, **changes)
        _audit_household(actor, existing, before)
        return existing, "updated"

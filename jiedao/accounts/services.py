"""Writes for accounts: API tokens and memberships."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiedao.accounts.models import ApiToken, Membership, User
from jiedao.core.audit import acting_as
from jiedao.core.models import OrgUnit

TOKEN_PREFIX = "jd_"  # noqa: S105  (a marker, not a secret)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(*, user: User, name: str = "") -> str:
    """A new token for the user. Only its hash is stored; the caller shows it once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name[:100], prefix=token[:10], key_hash=_hash(token))
    return token


def token_authenticate(token: str) -> User | None:
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def token_revoke(*, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at", "updated_at"])


def membership_grant(*, actor: Any, user: User, role: str, org_unit: OrgUnit) -> Membership:
    with transaction.atomic(), acting_as(actor):
        membership, _created = Membership.objects.get_or_create(
            user=user, role=role, org_unit=org_unit
        )
    if hasattr(user, "_jiedao_memberships"):
        del user._jiedao_memberships
    return membership

"""API tokens: created once in clear, stored as a hash, authenticated, revoked."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from jiedao.accounts.models import ApiToken
from jiedao.accounts.services import (
    TOKEN_PREFIX,
    token_authenticate,
    token_create,
    token_revoke,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker(users):
    return users["hx_worker"]


# --- token_create ----------------------------------------------------------------------------
def test_create_returns_prefixed_token_and_stores_only_its_hash(worker):
    # when
    token = token_create(user=worker, name="夜间同步")
    # then
    assert token.startswith(TOKEN_PREFIX)
    assert len(token) > 40
    row = ApiToken.objects.get()
    assert row.user == worker
    assert row.name == "夜间同步"
    assert row.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.prefix == token[:10]
    assert row.revoked_at is None
    assert row.last_used_at is None
    assert all(token not in str(v) for v in ApiToken.objects.values().get().values())


def test_create_gives_a_new_token_each_time(worker):
    tokens = {token_create(user=worker) for _ in range(5)}
    assert len(tokens) == 5
    assert ApiToken.objects.filter(user=worker).count() == 5
    assert len(set(ApiToken.objects.values_list("key_hash", flat=True))) == 5


def test_create_cuts_a_long_name(worker):
    token_create(user=worker, name="x" * 300)
    assert ApiToken.objects.get().name == "x" * 100


# --- token_authenticate ----------------------------------------------------------------------
def test_authenticate_returns_the_tokens_user(users):
    worker_token = token_create(user=users["hx_worker"])
    admin_token = token_create(user=users["tmx_admin"])
    assert token_authenticate(worker_token) == users["hx_worker"]
    assert token_authenticate(admin_token) == users["tmx_admin"]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "jd_",
        "jd_not-a-token-that-exists",
        "no-prefix-at-all",
        "JD_UPPERCASE",
    ],
)
def test_authenticate_refuses_unknown_tokens(worker, bad):
    token_create(user=worker)
    assert token_authenticate(bad) is None


def test_authenticate_refuses_token_without_prefix_even_if_hash_matches(worker):
    # given: a row whose hash is that of a string without our prefix
    raw = "plain-secret-without-prefix"
    ApiToken.objects.create(
        user=worker, prefix=raw[:10], key_hash=hashlib.sha256(raw.encode()).hexdigest()
    )
    # then
    assert token_authenticate(raw) is None


def test_authenticate_refuses_overlong_token(worker):
    token = token_create(user=worker)
    assert token_authenticate(token + "x" * 200) is None


def test_authenticate_refuses_altered_token(worker):
    token = token_create(user=worker)
    assert token_authenticate(token[:-1] + ("a" if token[-1] != "a" else "b")) is None
    assert token_authenticate(token + "a") is None
    assert token_authenticate(token[:-1]) is None


def test_authenticate_refuses_the_stored_hash_itself(worker):
    token_create(user=worker)
    assert token_authenticate(ApiToken.objects.get().key_hash) is None
    assert token_authenticate(TOKEN_PREFIX + ApiToken.objects.get().key_hash) is None


def test_authenticate_refuses_token_of_inactive_user(worker):
    token = token_create(user=worker)
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    assert token_authenticate(token) is None


def test_authenticate_records_last_use(worker):
    # given
    token = token_create(user=worker)
    before = timezone.now()
    # when
    token_authenticate(token)
    # then
    last = ApiToken.objects.get().last_used_at
    assert last is not None
    assert last >= before


def test_authenticate_does_not_rewrite_recent_last_use(worker):
    token = token_create(user=worker)
    recent = timezone.now() - timedelta(seconds=10)
    ApiToken.objects.update(last_used_at=recent)
    token_authenticate(token)
    assert ApiToken.objects.get().last_used_at == recent


def test_authenticate_refreshes_old_last_use(worker):
    token = token_create(user=worker)
    old = timezone.now() - timedelta(minutes=5)
    ApiToken.objects.update(last_used_at=old)
    token_authenticate(token)
    assert ApiToken.objects.get().last_used_at > old + timedelta(minutes=4)


# --- token_revoke ----------------------------------------------------------------------------
def test_revoke_stops_the_token(worker):
    # given
    token = token_create(user=worker)
    assert token_authenticate(token) == worker
    row = ApiToken.objects.get()
    # when
    token_revoke(token=row)
    # then
    assert token_authenticate(token) is None
    row.refresh_from_db()
    assert row.revoked_at is not None
    assert row.revoked_at <= timezone.now()


def test_revoke_leaves_the_users_other_tokens_working(worker):
    first = token_create(user=worker, name="first")
    second = token_create(user=worker, name="second")
    token_revoke(token=ApiToken.objects.get(name="first"))
    assert token_authenticate(first) is None
    assert token_authenticate(second) == worker


def test_revoked_token_row_is_kept(worker):
    token_create(user=worker)
    token_revoke(token=ApiToken.objects.get())
    assert ApiToken.objects.count() == 1

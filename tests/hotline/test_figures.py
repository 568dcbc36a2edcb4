"""The 12345 figures: roll-ups kept exact by every write (equal to `figures.verify()`), the three
rates and the weighted score, time-dependent response counts, merged calls counted once, the
ranking of units and subdistricts, and the figures in the registry (report card)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from jiedao.core import figures as registry
from jiedao.core.figures import ALL, Sums, read
from jiedao.hotline import figures, selectors, services
from jiedao.hotline.figures import HotlineRates, order_rates
from jiedao.hotline.models import OrderStatus, ReviewKind, Satisfaction, WorkOrder
from tests.hotline.factories import dispatch, receive, step, to_replied, visit

S = OrderStatus
pytestmark = pytest.mark.django_db


def _busy_day(tree, users, cats, centre, worker):
    """One of everything the services write."""
    admin = users["tmx_admin"]
    a = to_replied(receive(centre, tree.sub_a, cats.property), centre, tree.committee_a, worker)
    visit(a, centre)
    step(a, centre, S.ASSESSED)
    b = to_replied(receive(centre, tree.sub_a, cats.consult), centre, tree.committee_a, worker)
    visit(b, centre, Satisfaction.UNSATISFIED, resolved=False)  # a warning order
    step(b, worker, S.REPLIED)
    c = receive(centre, tree.sub_a, cats.property, caller_phone=a.phone_masked.replace("*", "0"))
    d = receive(centre, tree.sub_a, cats.complex)
    e = receive(centre, tree.sub_a, cats.complex, caller_phone="13800000009")
    receive(centre, tree.sub_a, cats.complex, caller_phone="13800000009")  # merged at intake
    services.order_merge(actor=centre, order=c, into=d)
    dispatch(d, centre, tree.committee_a, assisting_units=[tree.committee_b])
    step(d, worker, S.SIGNED)
    review = services.review_request(
        actor=worker, order=d, kind=ReviewKind.REASSIGN, reason="不属本居委", lead_unit=tree.committee_b
    )  # fmt: skip
    services.review_decide(actor=admin, review=review, approve=True)
    d.refresh_from_db()
    step(d, users["fgn_worker"], S.SIGNED)
    step(d, users["fgn_worker"], S.CONTACTED)
    ext = services.review_request(
        actor=users["fgn_worker"], order=d, kind=ReviewKind.EXTENSION, reason="协调", extra_days=4
    )
    services.review_decide(actor=admin, review=ext, approve=True)
    out = dispatch(receive(centre, tree.sub_a, cats.outside), centre, tree.committee_a)
    back = services.review_request(
        actor=worker, order=out, kind=ReviewKind.SEND_BACK, reason="外区"
    )
    services.review_decide(actor=admin, review=back, approve=True)
    dispatch(e, centre, tree.committee_b)
    receive(users["bz_admin"], tree.sub_b, cats.property)


def test_every_write_keeps_the_rollups_equal_to_a_recount(tree, users, cats, centre, worker):
    _busy_day(tree, users, cats, centre, worker)

    assert registry.verify() == []
    assert registry.rebuild() > 0
    assert registry.verify() == []


def test_a_write_that_bypasses_the_services_is_found(tree, cats, centre):
    order = receive(centre, tree.sub_a, cats.property)
    WorkOrder.objects.filter(pk=order.pk).update(status=S.MERGED)

    assert registry.verify() != []


def test_the_rates_read_from_the_rollups_equal_a_count_of_the_records(
    tree, users, cats, centre, worker
):
    _busy_day(tree, users, cats, centre, worker)
    now = timezone.now()

    from_rollups = selectors.rates_for(user=users["tmx_leader"], now=now)
    counted = order_rates(WorkOrder.objects.filter(subdistrict=tree.sub_a), now=now)

    assert from_rollups == counted
    # merged calls and sent-back orders are not in the orders (a matter counts once)
    assert (counted.orders, counted.merged, counted.sent_back) == (4, 2, 1)
    assert counted.warnings == 1
    assert (counted.visited, counted.satisfied, counted.resolved) == (2, 1, 1)
    assert counted.response_rate == 100.0
    assert counted.satisfaction_rate == counted.resolution_rate == 50.0


def test_a_signed_order_counts_against_the_response_rate_once_its_deadline_passed(
    tree, cats, centre, worker
):
    order = dispatch(receive(centre, tree.sub_a, cats.property), centre, tree.committee_a)
    step(order, worker, S.SIGNED)
    order.refresh_from_db()
    qs = WorkOrder.objects.all()

    before = order_rates(qs, now=order.contact_due - timedelta(minutes=1))
    after = order_rates(qs, now=order.contact_due + timedelta(minutes=1))

    assert (before.contact_counted, before.response_rate) == (0, None)
    assert (after.contact_counted, after.contact_on_time, after.response_rate) == (1, 0, 0.0)


def test_a_late_contact_is_late_forever(tree, cats, centre, worker):
    from tests.hotline.factories import sh

    order = receive(centre, tree.sub_a, cats.property, received_at=sh(2025, 6, 3, 9))
    dispatch(order, centre, tree.committee_a, at=sh(2025, 6, 3, 9, 30))
    step(order, worker, S.SIGNED, at=sh(2025, 6, 3, 10))  # due by the end of 4 June
    step(order, worker, S.CONTACTED, at=sh(2025, 6, 5, 9))

    rates = order_rates(WorkOrder.objects.all())
    assert (rates.contact_counted, rates.contact_on_time) == (1, 0)


def test_the_score_weighs_the_three_rates(settings):
    rates = HotlineRates(
        contact_counted=10, contact_on_time=8, visited=10, resolved=9, satisfied=10
    )

    assert rates.score() == round(0.2 * 80 + 0.4 * 90 + 0.4 * 100, 2)
    settings.JIEDAO_HOTLINE_WEIGHTS = {"response": 1, "resolution": 1, "satisfaction": 2}
    assert rates.score() == round((80 + 90 + 200) / 4, 2)
    assert HotlineRates(contact_counted=1, contact_on_time=1).score() is None


@pytest.mark.parametrize(
    "weights",
    [{"response": 0.5}, {"response": -1, "resolution": 1, "satisfaction": 1},
     {"response": 0, "resolution": 0, "satisfaction": 0}],
)  # fmt: skip
def test_bad_weights_are_a_configuration_error(settings, weights):
    settings.JIEDAO_HOTLINE_WEIGHTS = weights
    with pytest.raises(ImproperlyConfigured):
        figures.weights()


def _two_subdistricts(tree, users, cats, centre, worker):
    """TMX: fast contact, one unsatisfied visit out of two. BZ: a late contact, all satisfied."""
    from tests.hotline.factories import sh

    bz = users["bz_admin"]
    for n in range(2):
        o = to_replied(receive(centre, tree.sub_a, cats.property), centre, tree.committee_a, worker)
        visit(o, centre, Satisfaction.SATISFIED if n else Satisfaction.UNSATISFIED, n == 1)
        if n == 0:
            step(o, worker, S.REPLIED)
            visit(o, centre, Satisfaction.UNSATISFIED, resolved=False)
    for n in range(2):
        o = receive(bz, tree.sub_b, cats.property, received_at=sh(2025, 6, 3, 9))
        dispatch(o, bz, tree.committee_c, at=sh(2025, 6, 3, 9, 30))
        step(o, bz, S.SIGNED, at=sh(2025, 6, 3, 10))
        step(o, bz, S.CONTACTED, at=sh(2025, 6, 9 if n == 0 else 3, 11))
        step(o, bz, S.HANDLING, at=sh(2025, 6, 9, 12))
        step(o, bz, S.REPLIED, at=sh(2025, 6, 9, 13))
        visit(o, bz)


def test_the_district_ranking_follows_the_weights(tree, users, cats, centre, worker, settings):
    _two_subdistricts(tree, users, cats, centre, worker)
    leader = users["ja_leader"]

    ranked = selectors.subdistrict_ranking(user=leader)
    # TMX: response 100, resolution 50, satisfaction 50 → 60; BZ: 50, 100, 100 → 90
    assert [(r.org.code, r.rank, r.score) for r in ranked] == [("BZ", 1, 90.0), ("TMX", 2, 60.0)]

    settings.JIEDAO_HOTLINE_WEIGHTS = {"response": 0.9, "resolution": 0.05, "satisfaction": 0.05}
    ranked = selectors.subdistrict_ranking(user=leader)
    assert [(r.org.code, r.rank) for r in ranked] == [("TMX", 1), ("BZ", 2)]


def test_a_subdistrict_sees_only_itself_in_the_ranking(tree, users, cats, centre, worker):
    _two_subdistricts(tree, users, cats, centre, worker)
    assert [r.org.code for r in selectors.subdistrict_ranking(user=users["tmx_leader"])] == ["TMX"]
    assert selectors.subdistrict_ranking(user=users["expert1"]) == []


def test_equal_scores_share_a_rank(tree):
    rows = [
        selectors.RankRow(tree.committee_a, HotlineRates(), 90.0),
        selectors.RankRow(tree.committee_b, HotlineRates(), 95.0),
        selectors.RankRow(tree.committee_c, HotlineRates(), 90.0),
        selectors.RankRow(tree.area_a, HotlineRates(), None),
    ]
    ranked = selectors.rank(rows)
    assert [(r.org.code, r.rank) for r in ranked] == [
        ("TMX-FGN", 1),
        ("BZ-HS", 2),
        ("TMX-HX", 2),
        ("TMX-S", None),
    ]


def test_units_are_ranked_from_their_own_rollup_rows(tree, users, cats, centre, worker):
    a = to_replied(receive(centre, tree.sub_a, cats.property), centre, tree.committee_a, worker)
    visit(a, centre)
    fgn = users["fgn_worker"]
    b = to_replied(receive(centre, tree.sub_a, cats.property), centre, tree.committee_b, fgn)
    visit(b, centre, Satisfaction.UNSATISFIED, resolved=False)

    ranked = selectors.unit_ranking(user=users["tmx_leader"], subdistrict=tree.sub_a)

    assert [(r.org.code, r.rank, r.rates.orders) for r in ranked] == [
        ("TMX-HX", 1, 1),
        ("TMX-FGN", 2, 1),
    ]
    assert selectors.unit_ranking(user=users["bz_admin"], subdistrict=tree.sub_a) == []


def test_the_figures_are_in_the_registry_for_every_report_card(tree, users, cats, centre, worker):
    _two_subdistricts(tree, users, cats, centre, worker)
    keys = [f.key for f in registry.figures(module="hotline")]
    assert keys == [
        "hotline.orders",
        "hotline.response_rate",
        "hotline.resolution_rate",
        "hotline.satisfaction_rate",
        "hotline.score",
        "hotline.warnings",
    ]
    values = registry.values_for(tree.district, registry.figures(module="hotline"))
    assert values["hotline.orders"][ALL] == 4
    assert values["hotline.warnings"][ALL] == 1
    # the district is the sum of its subdistricts
    sums = read([tree.sub_a, tree.sub_b], figures.METRICS, by="month")
    both = Sums()
    for sub in (tree.sub_a, tree.sub_b):
        both.merge(sums[(sub.pk, ALL)])
    assert values["hotline.score"][ALL] == HotlineRates.from_sums(both).score()


def test_the_report_card_and_comparison_show_the_hotline(tree, users, cats, centre, worker):
    from tests.conftest import login

    _two_subdistricts(tree, users, cats, centre, worker)
    body = login(users["ja_leader"]).get(f"/report/{tree.district.code}/").content.decode()
    assert "12345响应率" in body and "接诉即办综合得分" in body

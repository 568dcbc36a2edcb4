"""The module's menu entry: staff reach the desk or dashboard, residents their own tickets."""

from tests.conftest import login


def test_resident_gets_my_tickets_and_staff_the_desk(tree, users):
    resident_nav = login(users["resident1"]).get("/").content.decode()
    assert 'href="/affairs/tickets/"' in resident_nav
    assert "我的办件" in resident_nav
    clerk_nav = login(users["tmx_clerk"]).get("/").content.decode()
    assert 'href="/affairs/"' in clerk_nav
    expert_nav = login(users["expert1"]).get("/").content.decode()
    assert "/affairs/" not in expert_nav

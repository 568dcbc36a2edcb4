from tests.conftest import login
from tests.factories import make_person


def test_committee_worker_sees_own_committee_person_but_not_other(tree, users):
    # given
    mine = make_person(tree.committee_a, "张三")
    theirs = make_person(tree.committee_b, "李四")
    client = login(users["hx_worker"])
    # when / then
    assert client.get(f"/people/{mine.pk}/").status_code == 200
    assert client.get(f"/people/{theirs.pk}/").status_code == 404

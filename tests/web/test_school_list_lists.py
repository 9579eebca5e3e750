"""The school list's «Списки» column and «В списке» filter agree with the lists of all visible schools
(the column is read for the page's schools only, the filter as a subquery)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.identification import selectors as ident


def test_column_and_filter_agree_with_every_schools_status(world) -> None:
    user = world.users["region"]
    client = Client()
    client.force_login(user)
    visible = schools_visible_to(user=user)
    status = ident.school_status(schools=visible, run=ident.run_pick())
    assert any(status.values())  # some school is on some list
    page = client.get(reverse("identification:schools")).context["page"]
    assert len(page) == visible.count()
    for s in page:
        assert s.lists == sorted(ident.LISTS[c].short for c in status.get(s.pk, ()))
    for code in ident.LISTS:
        got = client.get(reverse("identification:schools") + f"?list={code}").context["page"]
        assert {s.pk for s in got} == {pk for pk, st in status.items() if code in st}

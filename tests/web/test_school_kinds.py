"""The school list's «Вид» filter names each kind of the visible schools once."""

from __future__ import annotations

import re

from django.test import Client

from shnor.web.accounts.selectors import schools_visible_to
from shnor.web.registry.selectors import school_kinds


def test_each_kind_once_however_many_schools_have_it(world) -> None:
    user = world.users["region"]
    visible = schools_visible_to(user=user)
    several = visible.filter(kind="СОШ").count()
    assert several >= 2  # the kind the filter used to repeat once per school
    kinds = sorted(set(visible.exclude(kind="").values_list("kind", flat=True)))
    assert school_kinds(schools=visible) == kinds
    client = Client()
    client.force_login(user)
    html = client.get("/schools/").content.decode()
    select = re.search(r'<select name="kind">(.*?)</select>', html, re.S)
    assert select is not None
    options = re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))
    assert options == ["все", *kinds]

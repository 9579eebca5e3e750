"""The roles a profile can hold, free of model imports so that querysets and scopes can use them anywhere."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    """What a user is: the role decides which schools the user may see."""

    REGION = "region", "Регион (министерство, институт развития образования)"
    MUNICIPALITY = "municipality", "Муниципалитет (координатор МОУО)"
    SCHOOL = "school", "Школа (директор, заместитель)"
    TEACHER = "teacher", "Учитель"
    CURATOR = "curator", "Куратор (закреплённые школы)"
    OBSERVER = "observer", "Наблюдатель (только чтение по региону)"


#: Roles whose scope is the whole region (they see region dashboards and imports).
REGION_WIDE = frozenset({Role.REGION, Role.OBSERVER})
#: Roles bound to one school.
SCHOOL_ROLES = frozenset({Role.SCHOOL, Role.TEACHER})

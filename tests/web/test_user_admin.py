"""User management by the region's administrator: import from CSV/XLSX (check, preview, confirm), one-time
invitations by e-mail and on a printed sheet, role and scope changes with the audit log, switching users off,
password reset by e-mail; and the import → preview → confirm flow in real Chromium."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from shnor.web.accounts.models import AuditEntry, Invitation, Profile, Role
from shnor.web.accounts.services import user_create
from shnor.web.accounts.users import user_admin_grant
from tests.web.world import PASSWORD

User = get_user_model()
NEW_PASSWORD = "Весенний-ветер-2025"
HEADER = ["Логин", "ФИО", "E-mail", "Роль", "Область"]
REGION_SCHOOLS = ["sch0001", "sch0002", "sch0003", *[f"sch01{i:02d}" for i in range(6)]]


def fifty_rows() -> list[list[str]]:
    """50 users of the test region: directors, teachers, coordinators, curators, observers, an analyst."""
    rows = [
        [f"dir_{s}", f"Директорова Анна {s}", f"dir.{s}@school.example.ru", "Школа", s]
        for s in REGION_SCHOOLS
    ]
    rows += [
        [
            f"teach_{k:02d}",
            f"Учителев Пётр №{k}",
            f"teach{k}@school.example.ru",
            "teacher",
            REGION_SCHOOLS[k % 9],
        ]
        for k in range(30)
    ]
    rows += [
        [
            "mouo_1",
            "Координаторова Ольга",
            "mouo1@mouo.example.ru",
            "Муниципалитет (координатор МОУО)",
            "m01",
        ],
        ["mouo_2", "Координатов Иван", "mouo2@mouo.example.ru", "координатор", "Сельский район"],
        ["mouo_3", "Методистова Елена", "mouo3@mouo.example.ru", "municipality", "m02"],
        ["mouo_4", "Специалистов Олег", "mouo4@mouo.example.ru", "Муниципалитет", "город первый"],
        ["mouo_5", "Ёлкина Вера", "mouo5@mouo.example.ru", "МОУО", "M01"],
    ]
    rows += [
        ["cur_1", "Кураторова Нина", "cur1@iro.example.ru", "Куратор", "sch0001, sch0003"],
        ["cur_2", "Кураторов Денис", "cur2@iro.example.ru", "куратор", "sch0100 sch0101"],
        ["cur_3", "Наставникова Лидия", "cur3@iro.example.ru", "curator", "sch0102"],
    ]
    rows += [
        ["obs_1", "Наблюдателев Максим", "obs1@iro.example.ru", "Наблюдатель", ""],
        ["obs_2", "Общественникова Зоя", "obs2@iro.example.ru", "observer", "Тестовый край"],
        ["analyst_1", "Аналитикова Ирина", "analyst@iro.example.ru", "регион", "r01"],
    ]
    assert len(rows) == 50
    return rows


def csv_bytes(rows: list[list[str]], *, delimiter: str = ";", encoding: str = "cp1251") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[str]], sheet: str = "Пользователи") -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "Инструкция"
    book.active.append(["Заполните лист «Пользователи»"])
    ws = book.create_sheet(sheet)
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client: Client, content: bytes, name: str = "users.csv"):
    f = io.BytesIO(content)
    f.name = name
    return client.post(reverse("accounts:users_import"), {"file": f})


def confirm(client: Client, preview, update: bool = False):
    data = {"key": preview.context["key"], "signature": preview.context["plan"].signature}
    if update:
        data["update_changed"] = "1"
    return client.post(reverse("accounts:users_import_confirm"), data)


@pytest.fixture
def admin(world):
    """The region analyst made «администратор пользователей», logged in."""
    user = world.users["region"]
    user_admin_grant(user=user)
    client = Client()
    client.force_login(user)
    return client


def link_of(message) -> str:
    return re.search(r"https?://\S+/accounts/invite/[A-Z0-9-]+/", message.body).group(0)


def test_region_admin_imports_fifty_users_and_one_logs_in_through_the_invitation(world, admin) -> None:
    before = User.objects.count()
    preview = upload(admin, csv_bytes(fifty_rows()))  # Windows-1251, «;»
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert plan.ok, [str(e) for e in plan.errors]
    assert (plan.count("new"), plan.count("changed"), plan.count("same")) == (50, 0, 0)
    assert User.objects.count() == before  # the preview stores nothing
    page = preview.content.decode()
    assert "Загрузить: новых 50" in page
    assert "Кураторова Нина" in page

    result = confirm(admin, preview)
    assert result.status_code == 200
    assert "создано 50" in result.content.decode()
    assert User.objects.count() == before + 50
    profiles = {
        p.user.username: p for p in Profile.objects.select_related("user", "school", "municipality", "region")
    }
    assert profiles["dir_sch0003"].role == Role.SCHOOL
    assert profiles["dir_sch0003"].school.school_id == "sch0003"
    assert profiles["dir_sch0003"].municipality == world.mun2
    assert profiles["dir_sch0003"].region == world.region
    assert profiles["teach_10"].role == Role.TEACHER
    assert profiles["teach_10"].school.school_id == "sch0002"
    assert {profiles[f"mouo_{k}"].municipality.code for k in range(1, 6)} == {"m01", "m02"}
    assert profiles["mouo_2"].municipality == world.mun2
    assert profiles["mouo_4"].municipality == world.mun
    assert sorted(profiles["cur_1"].curated_schools.values_list("school_id", flat=True)) == [
        "sch0001",
        "sch0003",
    ]
    assert profiles["obs_2"].role == Role.OBSERVER
    assert profiles["obs_2"].region == world.region
    assert profiles["analyst_1"].role == Role.REGION
    new_user = User.objects.get(username="teach_07")
    assert new_user.first_name == "Учителев Пётр №7"
    assert not new_user.has_usable_password()
    assert AuditEntry.objects.filter(action="создание пользователя").count() == 50
    entry = AuditEntry.objects.get(action="создание пользователя", object_repr="dir_sch0001")
    assert entry.changes["Роль"] == {"было": "", "стало": "Школа (директор, заместитель)"}
    assert AuditEntry.objects.filter(action="импорт пользователей").get().changes["создано"] == 50

    # invitations by e-mail to all the new users: one letter each, with a one-time link
    ids = [u.pk for u in result.context["result"].created]
    sent = admin.post(reverse("accounts:users_invite"), {"users": ids, "how": "email"}, follow=True)
    assert "Отправлено приглашений: 50" in sent.content.decode()
    assert len(mail.outbox) == 50
    letter = next(m for m in mail.outbox if m.to == ["teach7@school.example.ru"])
    assert "teach_07" in letter.body
    assert "Приглашение" in letter.subject
    link = link_of(letter)
    code = link.rstrip("/").rsplit("/", 1)[1]
    assert not Invitation.objects.filter(key_hash__contains=code.replace("-", "")).exists()  # stored hashed
    assert Invitation.objects.filter(user=new_user, used_at=None).count() == 1

    guest = Client()
    opened = guest.get(link)
    assert opened.status_code == 302
    assert opened["Location"] == reverse("accounts:invite_password")
    weak = guest.post(
        reverse("accounts:invite_password"), {"new_password1": "12345", "new_password2": "12345"}
    )
    assert weak.status_code == 200
    assert weak.context["form"].errors
    done = guest.post(
        reverse("accounts:invite_password"),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert done.status_code == 200
    assert int(guest.session["_auth_user_id"]) == new_user.pk
    assert done.redirect_chain[-1][0] == "/schools/sch0104/"  # a teacher lands on their school
    # the link works once
    again = Client().get(link)
    assert again.status_code == 404
    assert "Код не подходит" in again.content.decode()
    # and from now on the user logs in with the password
    assert (
        Client().post("/accounts/login/", {"username": "teach_07", "password": NEW_PASSWORD}).status_code
        == 302
    )


def test_a_bad_row_is_reported_with_row_and_column_and_nothing_is_stored(world, admin) -> None:
    rows = fifty_rows()[:5]
    rows[1][4] = "sch9999"  # row 3: no such school
    rows[2][3] = "завуч-методист"  # row 4: unknown role
    rows[3][0] = "dir sch0100"  # row 5: a space in the login
    rows.append(["dir_sch0001", "Повтор", "", "школа", "sch0001"])  # row 7: the login of row 2 again
    rows.append(
        ["foreign_dir", "Чужой Директор", "x@example.ru", "школа", "sch0009"]
    )  # row 8: another region
    before = (
        User.objects.count(),
        Profile.objects.count(),
        AuditEntry.objects.filter(action="создание пользователя").count(),
    )
    preview = upload(admin, csv_bytes(rows, delimiter=",", encoding="utf-8"))
    plan = preview.context["plan"]
    assert not plan.ok
    got = {(e.row, e.column): e.message for e in plan.errors}
    assert "не найдена в реестре" in got[(3, "Область")]
    assert "неизвестная роль" in got[(4, "Роль")]
    assert "только буквы, цифры" in got[(5, "Логин")]
    assert got[(7, "Логин")] == "логин уже встречается в строке 2"
    assert "другому региону" in got[(8, "Область")]
    page = preview.content.decode()
    assert "Файл не загружен: есть ошибки" in page
    assert "sch9999" in page
    assert "Ничего не сохранено" in page
    assert 'id="confirm"' not in page
    # confirming anyway stores nothing
    forced = admin.post(
        reverse("accounts:users_import_confirm"), {"key": preview.context["key"], "signature": plan.signature}
    )
    assert not forced.context["plan"].ok
    after = (
        User.objects.count(),
        Profile.objects.count(),
        AuditEntry.objects.filter(action="создание пользователя").count(),
    )
    assert after == before

    # the same in XLSX: the sheet is named, the instruction sheet is passed over
    rows = fifty_rows()[:3]
    rows[1][3] = ""
    preview = upload(admin, xlsx_bytes(rows), "пользователи.xlsx")
    (error,) = preview.context["plan"].errors
    assert (error.file, error.sheet, error.row, error.column) == (
        "пользователи.xlsx",
        "Пользователи",
        3,
        "Роль",
    )
    assert "не указана роль" in error.message
    assert "лист «Пользователи», строка 3, столбец «Роль»" in str(error)

    # a file without the columns
    preview = upload(admin, "Фамилия;Школа\nИванов;sch0001\n".encode())
    assert "не найден столбец «Логин»" in preview.content.decode()


def test_reimport_is_idempotent_and_updates_only_after_confirmation(world, admin) -> None:
    rows = fifty_rows()[:12]
    confirm(admin, upload(admin, csv_bytes(rows)))
    audit_before = AuditEntry.objects.exclude(
        action__in=["проверка файла пользователей", "импорт пользователей"]
    ).count()
    snapshot = list(
        User.objects.order_by("pk").values_list(
            "username",
            "first_name",
            "email",
            "profile__role",
            "profile__school_id",
            "profile__municipality_id",
        )
    )
    again = upload(admin, csv_bytes(rows))
    plan = again.context["plan"]
    assert plan.ok
    assert (plan.count("new"), plan.count("changed"), plan.count("same")) == (0, 0, 12)
    assert "загружать нечего" in again.content.decode()
    confirm(admin, again)
    assert (
        AuditEntry.objects.exclude(
            action__in=["проверка файла пользователей", "импорт пользователей"]
        ).count()
        == audit_before
    )
    assert (
        list(
            User.objects.order_by("pk").values_list(
                "username",
                "first_name",
                "email",
                "profile__role",
                "profile__school_id",
                "profile__municipality_id",
            )
        )
        == snapshot
    )

    # one teacher becomes the director of another school: shown, and stored only when asked for
    rows[9] = ["teach_00", "Учителев Пётр №0", "teach0@school.example.ru", "директор", "sch0003"]
    changed = upload(admin, csv_bytes(rows))
    plan = changed.context["plan"]
    assert (plan.count("new"), plan.count("changed"), plan.count("same")) == (0, 1, 11)
    row = next(r for r in plan.rows if r.status == "changed")
    assert row.changes["Роль"] == {"было": "Учитель", "стало": "Школа (директор, заместитель)"}
    assert row.changes["Школа"] == {"было": "sch0001 МБОУ СОШ №1", "стало": "sch0003 МКОУ Сельская ООШ"}
    assert "Обновить изменившихся пользователей (1)" in changed.content.decode()
    confirm(admin, changed)  # without the tick: nothing changes
    assert Profile.objects.get(user__username="teach_00").role == Role.TEACHER
    changed = upload(admin, csv_bytes(rows))
    confirm(admin, changed, update=True)
    profile = Profile.objects.get(user__username="teach_00")
    assert (profile.role, profile.school.school_id, profile.municipality) == (
        Role.SCHOOL,
        "sch0003",
        world.mun2,
    )
    entry = AuditEntry.objects.filter(action="изменение пользователя (импорт)", object_repr="teach_00").get()
    assert entry.username == "u_region"
    assert entry.changes["Роль"]["стало"] == "Школа (директор, заместитель)"

    # a stale preview is not applied: someone changed the user in between
    rows[9][1] = "Учителев Пётр Петрович"
    stale = upload(admin, csv_bytes(rows))
    User.objects.filter(username="teach_00").update(first_name="Другое имя")
    response = confirm(admin, stale, update=True)
    assert "изменились" in response.content.decode()
    assert User.objects.get(username="teach_00").first_name == "Другое имя"


@pytest.mark.parametrize(
    "who", ["municipality", "school", "curator", "observer", "region_without_permission"]
)
def test_other_roles_cannot_reach_user_management(world, who) -> None:
    client = Client()
    client.force_login(world.users["region" if who == "region_without_permission" else who])
    target = world.users["teacher"].pk
    for url in (
        reverse("accounts:users"),
        reverse("accounts:users_import"),
        reverse("accounts:user_new"),
        reverse("accounts:user_detail", kwargs={"pk": target}),
    ):
        assert client.get(url).status_code == 403, url
    assert (
        client.post(reverse("accounts:users_invite"), {"users": [target], "how": "sheet"}).status_code == 403
    )
    assert (
        client.post(reverse("accounts:user_active", kwargs={"pk": target}), {"active": "0"}).status_code
        == 403
    )
    assert User.objects.get(pk=target).is_active
    assert "Пользователи</a>" not in client.get(reverse("accounts:profile")).content.decode()
    assert Client().get(reverse("accounts:users")).status_code == 302  # anonymous: to the login page


def test_region_admin_cannot_manage_users_outside_the_region(world, admin) -> None:
    stranger = user_create(username="alien_dir", password=PASSWORD, role=Role.SCHOOL, school=world.foreign)
    boss = User.objects.create_superuser("root", password=PASSWORD)
    listing = admin.get(reverse("accounts:users")).content.decode()
    assert "u_teacher" in listing
    assert "alien_dir" not in listing
    assert "root" not in listing
    for user in (stranger, boss):
        assert admin.get(reverse("accounts:user_detail", kwargs={"pk": user.pk})).status_code == 404
        assert (
            admin.post(reverse("accounts:user_active", kwargs={"pk": user.pk}), {"active": "0"}).status_code
            == 404
        )
    admin.post(reverse("accounts:users_invite"), {"users": [stranger.pk], "how": "sheet"})
    assert not Invitation.objects.filter(user=stranger).exists()
    stranger.refresh_from_db()
    assert stranger.is_active
    # nor through the import: the login is taken outside the region
    preview = upload(
        admin,
        csv_bytes(
            [["alien_dir", "Захватов Семён", "", "школа", "sch0001"], ["root", "Корнев", "", "регион", ""]]
        ),
    )
    got = {(e.row, e.column): e.message for e in preview.context["plan"].errors}
    assert "вне вашего региона" in got[(2, "Логин")]
    assert "администратора системы" in got[(3, "Логин")]
    # nor by moving a user of the region to a school of another region
    teacher = world.users["teacher"]
    response = admin.post(
        reverse("accounts:user_detail", kwargs={"pk": teacher.pk}),
        {"full_name": "Учитель", "email": "", "role": "school", "school": "sch0009"},
    )
    assert "Не относятся к региону" in response.content.decode()
    assert Profile.objects.get(user=teacher).school == world.school


def test_a_switched_off_user_cannot_log_in(world, admin) -> None:
    director = world.users["school"]
    session = Client()
    session.post("/accounts/login/", {"username": "u_school", "password": PASSWORD})
    assert session.get("/schools/sch0001/").status_code == 200
    response = admin.post(
        reverse("accounts:user_active", kwargs={"pk": director.pk}), {"active": "0"}, follow=True
    )
    assert "отключён" in response.content.decode()
    refused = Client().post("/accounts/login/", {"username": "u_school", "password": PASSWORD})
    assert refused.status_code == 200
    assert "_auth_user_id" not in refused.client.session
    assert session.get("/schools/sch0001/").status_code == 302  # the open session ends too
    entry = AuditEntry.objects.get(action="отключение пользователя")
    assert entry.changes == {"Активен": {"было": "да", "стало": "нет"}}
    assert entry.username == "u_region"
    # an invitation is refused for a switched-off user; switched on again, they log in
    admin.post(reverse("accounts:users_invite"), {"users": [director.pk], "how": "sheet"})
    assert not Invitation.objects.filter(user=director).exists()
    admin.post(reverse("accounts:user_active", kwargs={"pk": director.pk}), {"active": "1"})
    assert (
        Client().post("/accounts/login/", {"username": "u_school", "password": PASSWORD}).status_code == 302
    )
    # an administrator cannot switch themselves off
    admin.post(reverse("accounts:user_active", kwargs={"pk": world.users["region"].pk}), {"active": "0"})
    assert User.objects.get(pk=world.users["region"].pk).is_active


def test_role_change_is_checked_and_audited(world, admin) -> None:
    teacher = world.users["teacher"]
    url = reverse("accounts:user_detail", kwargs={"pk": teacher.pk})
    page = admin.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["school"] == "sch0001"
    # a school user needs a school
    response = admin.post(url, {"full_name": "Петрова Анна", "email": "", "role": "school", "school": ""})
    assert "Укажите одну школу" in response.content.decode()
    # a municipality of another region is not offered
    response = admin.post(
        url,
        {
            "full_name": "Петрова Анна",
            "email": "",
            "role": "municipality",
            "municipality": world.other_mun.pk,
        },
    )
    assert response.context["form"].errors["municipality"]
    # a curator needs schools of the region
    response = admin.post(
        url, {"full_name": "Петрова Анна", "email": "", "role": "curator", "curated": "sch0002 sch0404"}
    )
    assert "Нет в реестре: sch0404" in response.content.decode()
    assert not AuditEntry.objects.filter(action="изменение пользователя").exists()
    assert Profile.objects.get(user=teacher).role == Role.TEACHER

    response = admin.post(
        url,
        {
            "full_name": "Петрова Анна",
            "email": "petrova@school.example.ru",
            "role": "municipality",
            "municipality": world.mun.pk,
            "school": "sch0001",
        },
        follow=True,
    )
    assert "Изменения сохранены" in response.content.decode()
    profile = Profile.objects.get(user=teacher)
    assert (profile.role, profile.municipality, profile.school) == (Role.MUNICIPALITY, world.mun, None)
    entry = AuditEntry.objects.get(action="изменение пользователя")
    assert entry.username == "u_region"
    assert entry.object_repr == "u_teacher"
    assert entry.changes["Роль"] == {"было": "Учитель", "стало": "Муниципалитет (координатор МОУО)"}
    assert entry.changes["Школа"] == {"было": "sch0001 МБОУ СОШ №1", "стало": ""}
    assert "Муниципалитет" not in entry.changes  # the teacher's school was in the same municipality
    assert entry.changes["Эл. почта"]["стало"] == "petrova@school.example.ru"
    assert "Учитель → Муниципалитет" in response.content.decode()  # the user's page shows the history
    # saving the same again writes nothing
    admin.post(
        url,
        {
            "full_name": "Петрова Анна",
            "email": "petrova@school.example.ru",
            "role": "municipality",
            "municipality": world.mun.pk,
        },
    )
    assert AuditEntry.objects.filter(action="изменение пользователя").count() == 1
    # the flag «администратор пользователей» only for the region role; granting it is audited
    observer = world.users["observer"]
    response = admin.post(
        reverse("accounts:user_detail", kwargs={"pk": observer.pk}),
        {"full_name": "Наблюдатель", "role": "observer", "users_admin": "on"},
    )
    assert "только пользователь с ролью «Регион»" in response.content.decode()
    admin.post(
        reverse("accounts:user_detail", kwargs={"pk": observer.pk}),
        {"full_name": "Наблюдатель", "role": "region", "users_admin": "on"},
    )
    observer = User.objects.get(pk=observer.pk)
    assert observer.has_perm("accounts.manage_users")
    assert AuditEntry.objects.filter(object_repr="u_observer", action="изменение пользователя").get().changes[
        "Администратор пользователей"
    ] == {"было": "нет", "стало": "да"}


def test_printed_sheet_codes_and_expiry(world, admin, settings) -> None:
    settings.SITE_URL = "https://shnor.example.ru"
    director = world.users["school"]
    sheet = admin.post(
        reverse("accounts:users_invite"), {"users": [director.pk, world.users["teacher"].pk], "how": "sheet"}
    )
    assert sheet.status_code == 200
    text = sheet.content.decode()
    assert "https://shnor.example.ru/accounts/invite/" in text
    assert text.count('class="invite"') == 2
    code = next(i["code"] for i in sheet.context["items"] if i["user"] == director)
    # the code typed by hand (lower case, without dashes) works once
    guest = Client()
    assert (
        guest.post(reverse("accounts:invite_enter"), {"code": code.replace("-", "").lower()}).status_code
        == 302
    )
    guest.post(
        reverse("accounts:invite_password"), {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert int(guest.session["_auth_user_id"]) == director.pk
    assert Client().post(reverse("accounts:invite_enter"), {"code": code}).status_code == 404
    # an expired code does not work; a new invitation revokes the older one
    teacher_code = next(i["code"] for i in sheet.context["items"] if i["user"] != director)
    Invitation.objects.filter(user=world.users["teacher"]).update(expires_at="2000-01-01T00:00:00Z")
    assert Client().get(reverse("accounts:invite_open", kwargs={"code": teacher_code})).status_code == 404
    pdf = admin.post(reverse("accounts:users_invite"), {"users": [world.users["teacher"].pk], "how": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert Invitation.objects.filter(user=world.users["teacher"], revoked_at=None, used_at=None).count() == 1
    # guessing codes is throttled
    for _ in range(20):
        Client().post(reverse("accounts:invite_enter"), {"code": "AAAA-BBBB-CCCC-DDDD"})
    assert Client().post(reverse("accounts:invite_enter"), {"code": "AAAA-BBBB-CCCC-DDDD"}).status_code == 429


def test_password_reset_by_email_is_throttled(world, settings) -> None:
    settings.PASSWORD_RESET_PER_HOUR = 2
    director = world.users["school"]
    director.email = "director@school.example.ru"
    director.save()
    login_page = Client().get("/accounts/login/").content.decode()
    assert reverse("accounts:password_reset") in login_page
    assert "Забыли пароль?" in login_page
    client = Client()
    response = client.post(
        reverse("accounts:password_reset"), {"email": "director@school.example.ru"}, follow=True
    )
    assert "Проверьте почту" in response.content.decode()
    (letter,) = mail.outbox
    assert "u_school" in letter.body
    assert letter.subject == "Сброс пароля в «ШНОР · аналитика»"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", letter.body).group(1)
    form = client.get(link, follow=True)
    assert form.context["validlink"]
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Пароль изменён" in done.content.decode()
    assert (
        Client().post("/accounts/login/", {"username": "u_school", "password": NEW_PASSWORD}).status_code
        == 302
    )
    assert AuditEntry.objects.filter(action="пароль сброшен по ссылке", object_repr="u_school").exists()
    # unknown addresses get the same answer; the third request of the hour for one address is refused
    assert (
        "Проверьте почту"
        in Client()
        .post(reverse("accounts:password_reset"), {"email": "nobody@example.ru"}, follow=True)
        .content.decode()
    )
    Client().post(reverse("accounts:password_reset"), {"email": "director@school.example.ru"})
    refused = Client().post(reverse("accounts:password_reset"), {"email": "Director@School.example.ru"})
    assert refused.status_code == 200
    assert "Слишком много запросов" in refused.content.decode()
    assert len(mail.outbox) == 2


def test_import_preview_confirm_in_the_browser(browser, live_server, live_world, tmp_path) -> None:
    from tests.web.test_browser import login

    user_admin_grant(user=live_world.users["region"])
    rows = [
        ["dir_b1", "Браузерова Анна", "b1@example.ru", "Школа", "sch0002"],
        ["teach_b2", "Браузеров Пётр", "", "Учитель", "sch0003"],
        ["u_teacher", "Учителева Мария", "", "Школа", "sch0001"],
    ]  # an existing user who changes role
    path = tmp_path / "пользователи.csv"
    path.write_bytes(csv_bytes(rows))
    context, page = login(browser, live_server, "u_region")
    try:
        page.click("header nav >> text=Администрирование")  # the menu group opens
        page.click("header nav >> text=Пользователи")
        page.wait_for_url("**/accounts/users/")
        page.click("#to-import")
        page.set_input_files("#import-form input[type=file]", str(path))
        page.click("#import-form button[type=submit]")
        page.wait_for_selector("#confirm-form")
        assert page.inner_text("#n-new") == "2"
        assert page.inner_text("#n-changed") == "1"
        assert "Учитель → Школа (директор, заместитель)" in page.inner_text("#plan")
        assert User.objects.filter(username="dir_b1").count() == 0
        page.check("#update-changed")
        page.click("#confirm")
        page.wait_for_selector("#result-summary")
        assert "создано 2, обновлено 1" in page.inner_text("#result-summary")
        assert Profile.objects.get(user__username="u_teacher").role == Role.SCHOOL
        # the printed sheet for the new users (the «select all» box is wired by users.js, no inline script)
        page.uncheck("#invite-form th input")
        page.check("#invite-form th input")
        page.click("#invite-sheet")
        page.wait_for_selector("section.invite")
        assert page.locator("section.invite").count() == 3
        assert "dir_b1" in page.inner_text("body")
    finally:
        context.close()

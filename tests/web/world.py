"""A region built by code: regions, municipalities, schools, two methodology runs with evidence, users."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.utils import timezone

from shnor.web.accounts.models import Role
from shnor.web.accounts.services import user_create
from shnor.web.identification.models import MethodologyRun, SchoolOutcome
from shnor.web.registry.models import Municipality, Region, School, SchoolContext

PASSWORD = "Пароль-для-тестов-1"
ROLES = ["region", "municipality", "school", "teacher", "curator", "observer"]


@dataclass
class World:
    """Handles to what the tests need."""

    region: Region
    other_region: Region
    mun: Municipality
    mun2: Municipality
    other_mun: Municipality
    school: School  # sch0001: ШНОР + objectivity + ШНСУ, in mun
    neighbour: School  # sch0002: same municipality
    far: School  # sch0003: other municipality, same region
    foreign: School  # sch0009: other region
    run_old: MethodologyRun
    run: MethodologyRun
    users: dict[str, object] = field(default_factory=dict)


def _hist(rng: random.Random, bump: int = 0) -> tuple[list[int], list[float]]:
    expected = [round(60 * 2.718 ** (-((s - 11) ** 2) / 30), 1) for s in range(21)]
    observed = [max(0, round(e + rng.uniform(-2, 2))) for e in expected]
    observed[6] += bump  # bunching at the «3» cut (6 points, maths 4)
    observed[5] = max(0, observed[5] - bump // 2)
    return observed, expected


def objectivity_data(sid: str, flagged: bool, rng: random.Random) -> dict:
    """An objectivity result row shaped like ``core.methods.objectivity.run`` output."""
    hist, expected = _hist(rng, 25 if flagged else 0)
    region = [92.1, 88.4, 71.2, 80.5, 64.3, 55.0, 61.2, 47.9, 39.5, 42.0, 35.1, 28.7, 22.4, 18.0, 9.6]
    school = [
        min(100, r + (rng.uniform(5, 20) if i >= 10 and flagged else rng.uniform(-6, 6)))
        for i, r in enumerate(region)
    ]
    levels = ["Б"] * 10 + ["П"] * 3 + ["В"] * 2
    signs = [
        {
            "id": "bunching:vpr:ma:4",
            "tested": True,
            "n": sum(hist),
            "reliability": "информативно",
            "p_value": 0.00021 if flagged else 0.41,
            "statistic": {
                "boundary": "2/3",
                "at_or_above": 61,
                "n_window": 80,
                "observed_share": 0.76,
                "expected_share": 0.52,
            },
            "comparison_group": "распределение баллов региона, перевзвешенное к уровню школы",
            "threshold": {"p_value_at_most": None, "q": 0.05},
            "chart": {"histogram": hist, "expected": expected},
        },
        {
            "id": "task_pattern:vpr:ma:4",
            "tested": True,
            "n": sum(hist),
            "p_value": 0.003 if flagged else 0.6,
            "statistic": {"z": 2.7 if flagged else -0.2},
            "comparison_group": "ученики региона (других ОО) с тем же первичным баллом",
            "chart": {
                "task_success": {
                    "school": [round(v, 1) for v in school],
                    "region": region,
                    "expected_same_total": [round(r - 2, 1) for r in region],
                    "levels": levels,
                }
            },
        },
        {
            "id": "journal:vpr:ma:4",
            "tested": True,
            "n": 50,
            "p_value": 0.2,
            "statistic": {"raised": 9, "expected_raised": 6.5, "spearman": 0.31},
            "comparison_group": "ученики региона с той же отметкой по журналу",
            "chart": {
                "journal_vs_vpr": {
                    "school": [[3, 2, 0, 0], [1, 10, 5, 0], [0, 4, 12, 3], [0, 0, 3, 7]],
                    "region": [[300, 150, 20, 1], [90, 900, 400, 30], [5, 300, 1200, 250], [0, 20, 260, 700]],
                },
                "shares": {
                    "school": {"понизили": 0.2, "подтвердили": 0.62, "повысили": 0.18},
                    "region": {"понизили": 0.22, "подтвердили": 0.64, "повысили": 0.14},
                },
            },
        },
        {"id": "similarity:vpr:ma:4", "tested": False, "reason": "участников меньше 20"},
    ]
    return {
        "school_id": sid,
        "flagged": flagged,
        "n_signs": 2 if flagged else 0,
        "signs": "bunching:vpr:ma:4; task_pattern:vpr:ma:4" if flagged else "",
        "strongest_sign": "bunching:vpr:ma:4",
        "q_value": 0.004 if flagged else 0.7,
        "evidence": {
            "year": 2024,
            "combine": "fisher",
            "fdr": "bh",
            "q_level": 0.05,
            "tests_performed": 3,
            "p_combined": 0.0001 if flagged else 0.5,
            "q_value": 0.004 if flagged else 0.7,
            "signs": signs,
            "significant": ["bunching:vpr:ma:4", "task_pattern:vpr:ma:4"] if flagged else [],
        },
    }


def low_data(sid: str, flagged: bool, year: int, effect: float, years_in_list: int) -> dict:
    """A low-results row with value-added interval and risk-rule units over the years."""
    units = [
        {
            "year": y,
            "procedure": "vpr",
            "subject": s,
            "grade": 4,
            "label": f"ВПР, {name}, 4 кл.",
            "fails": 10,
            "share": share,
            "counted": 50,
            "over": share >= 0.3,
            "in_run": False,
        }
        for y, share0 in ((year - 2, 0.25), (year - 1, 0.31), (year, 0.36))
        for s, name, share in (
            ("ma", "Математика", share0 if flagged else share0 / 3),
            ("ru", "Русский язык", (share0 - 0.05) if flagged else 0.05),
        )
    ]
    interval = [round(effect - 0.25, 3), round(effect + 0.25, 3)]
    return {
        "school_id": sid,
        "low_results": flagged,
        "risk_list": flagged,
        "years_in_list": years_in_list if flagged else 0,
        "first_year": year - years_in_list + 1 if flagged else None,
        "category": "repeated" if flagged else "none",
        "indicators": "≥30 % «2»: ВПР, Математика, 4 кл. 36 %" if flagged else "",
        "cluster": "село · малые",
        "evidence": {
            "year": year,
            "statistic": "школьный эффект (EBLUP), SD балла",
            "comparison_group": "все школы региона с учётом контекста",
            "threshold": "верхняя граница интервала < 0",
            "interval": interval,
            "mean_z": effect,
            "value_added": {
                "effect": effect,
                "interval": interval,
                "caterpillar": {"rank": 1, "n_schools": 4},
            },
            "methods": {
                "risk_rule": {"low": flagged, "units": units, "summary": "правило Рособрнадзора"},
                "value_added": {"effect": effect, "interval": interval},
            },
        },
    }


def build_world() -> World:
    """Create the region, runs and one user per role (plus a superuser)."""
    rng = random.Random(7)
    region = Region.objects.create(code="r01", name="Тестовый край")
    other_region = Region.objects.create(code="r02", name="Соседняя область")
    mun = Municipality.objects.create(code="m01", name="Город Первый", region=region)
    mun2 = Municipality.objects.create(code="m02", name="Сельский район", region=region)
    other_mun = Municipality.objects.create(code="m09", name="Чужой район", region=other_region)

    def sch(sid: str, name: str, m: Municipality, lat: float, lon: float, **kw: object) -> School:
        return School.objects.create(
            school_id=sid,
            name=name,
            municipality=m,
            region=m.region,
            latitude=lat,
            longitude=lon,
            kind=kw.get("kind", "СОШ"),
            locality=kw.get("locality", "город"),
            pupils=kw.get("pupils", 400),
        )

    school = sch("sch0001", "МБОУ СОШ №1", mun, 53.35, 83.75)
    neighbour = sch("sch0002", "МБОУ Лицей №2", mun, 53.33, 83.70, kind="лицей")
    far = sch("sch0003", "МКОУ Сельская ООШ", mun2, 52.5, 82.1, kind="ООШ", locality="село", pupils=40)
    extra = [
        sch(f"sch01{i:02d}", f"МКОУ СОШ села №{i}", mun2, 52 + i / 20, 82 + i / 15, locality="село")
        for i in range(6)
    ]
    foreign = sch("sch0009", "Школа соседей", other_mun, 55.0, 73.4)
    SchoolContext.objects.create(
        school=school, year=2024, share_low_income=0.41, share_registered=0.03, is_remote=False
    )

    now = timezone.now()
    run_old = MethodologyRun.objects.create(
        year=2023,
        label="основной",
        config={"v": 1},
        config_digest="a" * 64,
        status=MethodologyRun.DONE,
        finished_at=now,
    )
    run = MethodologyRun.objects.create(
        year=2024,
        label="основной",
        config={"v": 1},
        config_digest="b" * 64,
        status=MethodologyRun.DONE,
        finished_at=now,
    )
    MethodologyRun.objects.create(
        year=2024, label="черновик", config={}, config_digest="c" * 64, status=MethodologyRun.RUNNING
    )
    everyone = [school, neighbour, far, *extra, foreign]
    outcomes = []
    for r in (run_old, run):
        for i, s in enumerate(everyone):
            low = s in (school, far) if r is run else s in (school, neighbour)
            objective_flag = s in (school, foreign)
            social = s in (school, far, *extra[:2])
            effect = -0.6 if low else round(0.5 - i * 0.12, 3)
            track = "individual" if objective_flag else ("network" if low else "")
            outcomes += [
                SchoolOutcome(
                    run=r,
                    school=s,
                    method=SchoolOutcome.LOW_RESULTS,
                    flagged=low,
                    value=effect,
                    label="ШНОР" if low else "",
                    data=low_data(s.school_id, low, r.year, effect, 2 if s is school else 1),
                ),
                SchoolOutcome(
                    run=r,
                    school=s,
                    method=SchoolOutcome.OBJECTIVITY,
                    flagged=objective_flag,
                    value=0.004 if objective_flag else 0.7,
                    label="признаки необъективности" if objective_flag else "",
                    data=objectivity_data(s.school_id, objective_flag, rng),
                ),
                SchoolOutcome(
                    run=r,
                    school=s,
                    method=SchoolOutcome.SOCIAL_INDEX,
                    flagged=social,
                    value=53 if social else 12,
                    label="ШНСУ" if social else "",
                    data={
                        "school_id": s.school_id,
                        "index": 53 if social else 12,
                        "rank": i + 1,
                        "social_risk": social,
                        "evidence": {
                            "statistic": "сумма баллов критериев",
                            "threshold": "≥ 40 баллов",
                            "comparison_group": "все школы региона",
                        },
                    },
                ),
                SchoolOutcome(
                    run=r,
                    school=s,
                    method=SchoolOutcome.FIOKO,
                    flagged=s is school,
                    value=1 if s is school else 0,
                    data={
                        "school_id": s.school_id,
                        "markers": ["inflated_mean"] if s is school else [],
                        "evidence": {
                            "histogram": {
                                "score": list(range(21)),
                                "observed": _hist(rng, 10)[0],
                                "expected": _hist(rng)[1],
                            },
                            "task_profile": {
                                "task": [str(k) for k in range(1, 16)],
                                "school": [80.0] * 15,
                                "region": [60.0] * 15,
                            },
                            "statistic": "нижняя граница ДИ школы > верхней границы ДИ региона",
                        },
                    },
                ),
            ]
            if track:
                outcomes.append(
                    SchoolOutcome(
                        run=r,
                        school=s,
                        method=SchoolOutcome.TRACKS,
                        flagged=True,
                        label=track,
                        data={
                            "school_id": s.school_id,
                            "track": track,
                            "track_label": {
                                "individual": "Индивидуальное сопровождение",
                                "network": "Сетевые методические объединения",
                            }[track],
                            "reasons": (
                                "ШНОР повторно за последние три года (2023, 2024); "
                                "признаки необъективности результатов: bunching:vpr:ma:4"
                            ),
                            "tracks": ["common", track],
                        },
                    )
                )
    SchoolOutcome.objects.bulk_create(outcomes)

    users = {
        "region": user_create(username="u_region", password=PASSWORD, role=Role.REGION, region=region),
        "municipality": user_create(
            username="u_mun", password=PASSWORD, role=Role.MUNICIPALITY, municipality=mun
        ),
        "school": user_create(username="u_school", password=PASSWORD, role=Role.SCHOOL, school=school),
        "teacher": user_create(username="u_teacher", password=PASSWORD, role=Role.TEACHER, school=school),
        "curator": user_create(
            username="u_curator", password=PASSWORD, role=Role.CURATOR, region=region, curated=[school, far]
        ),
        "observer": user_create(username="u_observer", password=PASSWORD, role=Role.OBSERVER, region=region),
    }
    return World(
        region, other_region, mun, mun2, other_mun, school, neighbour, far, foreign, run_old, run, users
    )

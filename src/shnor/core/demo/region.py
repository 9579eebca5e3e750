"""Municipalities, schools (registry) and yearly context indicators of the synthetic region."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from shnor.core.demo.config import SIZE_PRESETS, DemoConfig
from shnor.core.store import schema

_ROOTS = (
    "Берёзов", "Заречн", "Солнечн", "Озёрн", "Кедров", "Сосновск", "Луговск", "Степн", "Полев", "Ключевск",
    "Речн", "Светл", "Тополин", "Рябинов", "Камышов", "Горн", "Лесн", "Весёл", "Родников", "Черёмухов",
    "Ольхов", "Калинов", "Малинов", "Широков", "Зелён", "Ясен", "Буров", "Новосёлов", "Красноярн", "Дубров",
)  # fmt: skip
_KINDS = ("СОШ", "ООШ", "НОШ", "лицей", "гимназия", "коррекционная", "кадетская", "вечерняя")
_KIND_P = {
    "город": (0.76, 0.04, 0.0, 0.05, 0.04, 0.05, 0.03, 0.03),
    "село": (0.62, 0.26, 0.10, 0.0, 0.0, 0.02, 0.0, 0.0),
}
#: median pupils per grade by (locality, kind) and lognormal spread
_SIZE = {
    "СОШ": (55.0, 16.0, 0.45),  # (город, село, sigma)
    "ООШ": (20.0, 8.0, 0.40),
    "НОШ": (8.0, 8.0, 0.30),
    "лицей": (105.0, 105.0, 0.15),
    "гимназия": (100.0, 100.0, 0.15),
    "коррекционная": (12.0, 8.0, 0.30),
    "кадетская": (50.0, 30.0, 0.25),
    "вечерняя": (25.0, 12.0, 0.30),
}
#: grades taught by kind
GRADE_RANGE = {
    "СОШ": (1, 11), "ООШ": (1, 9), "НОШ": (1, 4), "лицей": (1, 11), "гимназия": (1, 11),
    "коррекционная": (1, 9), "кадетская": (5, 11), "вечерняя": (9, 11),
}  # fmt: skip
#: ability shift of the intake by kind (selection of pupils, not school effectiveness)
INTAKE = {"лицей": 0.25, "гимназия": 0.25, "коррекционная": -0.90, "вечерняя": -0.50, "кадетская": 0.05}


@dataclass
class Region:
    """The synthetic registry: schools (with the generator's private columns) and municipalities."""

    schools: pl.DataFrame  # schema.SCHOOLS plus private columns (_idx, _size, _lo, _hi, _d, _x_style…)
    municipalities: pl.DataFrame


def _names(rng: np.random.Generator, n: int, offset: int) -> list[str]:
    """Distinct place-name roots in random order (a numeric suffix once the roots run out)."""
    roots = rng.permutation(len(_ROOTS))
    out = []
    for i in range(n):
        root = _ROOTS[roots[i % len(_ROOTS)]]
        k = (i + offset) // len(_ROOTS)
        out.append(root + ("" if k == 0 else f"-{k + 1}"))
    return out


def _counts(config: DemoConfig) -> tuple[int, int, int]:
    """Regions, municipalities per region and schools per region: the size preset with the overrides."""
    n_reg, n_mun, n_sch = SIZE_PRESETS[config.size]
    n_reg = config.n_regions or n_reg
    n_mun = config.n_municipalities or n_mun
    n_sch = config.n_schools or n_sch
    n_mun = max(1, min(n_mun, n_sch // 3 if n_sch >= 3 else 1))
    return n_reg, n_mun, n_sch


def _municipalities(config: DemoConfig, rng: np.random.Generator, n_reg: int, n_mun: int) -> pl.DataFrame:
    """Regions and their municipalities (a fifth are cities) with a centre and a random effect each."""
    muni_rows = []
    for r in range(n_reg):
        code = config.region_code if n_reg == 1 else (r + 1 if r + 1 != 99 else 100)
        if n_reg == 1:
            region_name, box = "Демонстрационный край (синтетический)", (51.0, 54.5, 78.5, 87.0)
        else:
            region_name = f"Синтетический регион {code:02d}"
            lat0, lon0 = rng.uniform(44.0, 64.0), rng.uniform(30.0, 130.0)
            box = (lat0, lat0 + 3.0, lon0, lon0 + 6.0)
        names = _names(rng, n_mun, r)
        n_city = 0 if n_mun == 1 else max(1, round(0.2 * n_mun))
        for m in range(n_mun):
            is_city = m < n_city
            root = names[m]
            mname = f"город {root}ск" if is_city else f"{root}ский муниципальный район"
            muni_rows.append(
                {
                    "region_code": code,
                    "region_id": f"reg{code:02d}0000",
                    "region": region_name,
                    "municipality_id": f"reg{code:02d}_m{m + 1:03d}",
                    "municipality": mname,
                    "is_city": is_city,
                    "root": root,
                    "lat": rng.uniform(box[0] + 0.3, box[1] - 0.3),
                    "lon": rng.uniform(box[2] + 0.5, box[3] - 0.5),
                    "effect": rng.normal(0.0, 0.3),
                }
            )
    return pl.DataFrame(muni_rows)


def _school_municipality(
    munis: pl.DataFrame, rng: np.random.Generator, n_reg: int, n_mun: int, n_sch: int
) -> np.ndarray:
    """The municipality index of every school: at least three each, cities weighted five times."""
    counts = np.zeros(munis.height, dtype=np.int64)
    for r in range(n_reg):
        sel = np.arange(r * n_mun, (r + 1) * n_mun)
        w = np.where(munis["is_city"].to_numpy()[sel], 5.0, 1.0)
        w = w / w.sum()
        base = np.minimum(3, n_sch // n_mun)
        rest = n_sch - base * n_mun
        counts[sel] = base + rng.multinomial(rest, w)
    return np.repeat(np.arange(munis.height), counts)


def _kinds_and_sizes(
    rng: np.random.Generator, is_city_m: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Locality, kind and pupils per grade of every school."""
    n = is_city_m.size
    town_in_district = (~is_city_m) & (rng.random(n) < 0.15)
    locality = np.where(is_city_m | town_in_district, "город", "село")
    kinds = np.empty(n, dtype=object)
    urban = locality == "город"
    kinds[urban] = rng.choice(_KINDS, size=int(urban.sum()), p=_KIND_P["город"])
    kinds[~urban] = rng.choice(_KINDS, size=int((~urban).sum()), p=_KIND_P["село"])
    # a district town behaves like a small town: no lyceums in the smallest districts
    medians = np.array([_SIZE[k][0] if u else _SIZE[k][1] for k, u in zip(kinds, urban, strict=True)])
    sigmas = np.array([_SIZE[k][2] for k in kinds])
    town_small = town_in_district & np.isin(kinds, ["СОШ", "ООШ"])
    medians = np.where(town_small, medians * 0.8, medians)
    size = np.maximum(3.0, medians * np.exp(rng.normal(0.0, sigmas)))
    return locality, kinds, size


def _pupils(kinds: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lowest and highest grade taught and the number of pupils (upper grades thinner)."""
    lo = np.array([GRADE_RANGE[k][0] for k in kinds])
    hi = np.array([GRADE_RANGE[k][1] for k in kinds])
    grades = np.arange(1, 12)
    in_range = (grades[None, :] >= lo[:, None]) & (grades[None, :] <= hi[:, None])
    grade_factor = np.where(grades >= 10, 0.55, 1.0)
    pupils = np.rint((in_range * grade_factor[None, :]).sum(axis=1) * size).astype(np.int64)
    return lo, hi, pupils


def _disadvantage(
    rng: np.random.Generator,
    munis: pl.DataFrame,
    muni_idx: np.ndarray,
    locality: np.ndarray,
    kinds: np.ndarray,
) -> np.ndarray:
    """Latent disadvantage: villages more disadvantaged; selective and special schools differ."""
    return (
        np.where(locality == "город", -0.35, 0.45)
        + munis["effect"].to_numpy()[muni_idx]
        + rng.normal(0.0, 0.75, muni_idx.size)
        + np.select([np.isin(kinds, ["лицей", "гимназия"]), kinds == "коррекционная"], [-0.7, 0.8], 0.0)
    )


def _coordinates(
    rng: np.random.Generator,
    munis: pl.DataFrame,
    muni_idx: np.ndarray,
    is_city_m: np.ndarray,
    locality: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latitude and longitude around the municipality centre, and whether a village school is remote."""
    n = muni_idx.size
    spread = np.where(is_city_m, 0.06, 0.45)
    lat = munis["lat"].to_numpy()[muni_idx] + rng.normal(0.0, 1.0, n) * spread * 0.6
    lon = munis["lon"].to_numpy()[muni_idx] + rng.normal(0.0, 1.0, n) * spread
    dist = np.hypot(lat - munis["lat"].to_numpy()[muni_idx], (lon - munis["lon"].to_numpy()[muni_idx]) * 0.6)
    remote = (locality == "село") & (dist > 0.35)
    return lat, lon, remote


def _school_ids(rng: np.random.Generator, munis: pl.DataFrame, muni_idx: np.ndarray) -> list[str]:
    """ФИС ОКО-like logins ``schRRNNNN``: distinct random serials within each region, in registry order."""
    region_code = munis["region_code"].to_numpy()[muni_idx]
    serial = np.zeros(muni_idx.size, dtype=np.int64)
    for code in np.unique(region_code):
        sel = np.flatnonzero(region_code == code)
        serial[sel] = np.sort(rng.choice(np.arange(1, 9999), size=sel.size, replace=False))
    return [f"sch{c:02d}{s:04d}" for c, s in zip(region_code, serial, strict=True)]


def _school_names(
    rng: np.random.Generator,
    munis: pl.DataFrame,
    muni_idx: np.ndarray,
    kinds: np.ndarray,
    locality: np.ndarray,
) -> list[str]:
    """Official-looking names: the owner, the kind and a number within the municipality (or a village)."""
    n = muni_idx.size
    roots = munis["root"].to_numpy()[muni_idx]
    village_roots = np.array(_ROOTS)[rng.integers(0, len(_ROOTS), n)]
    number = np.zeros(n, dtype=np.int64)
    for m in range(munis.height):
        sel = np.flatnonzero(muni_idx == m)
        number[sel] = rng.permutation(np.arange(1, sel.size + 1)) + (0 if munis["is_city"][m] else 0)
    names = []
    for i in range(n):
        k = kinds[i]
        owner = "МКОУ" if locality[i] == "село" else "МБОУ"
        if k in ("лицей", "гимназия"):
            names.append(f'{owner} "{k.capitalize()} №{number[i]}"')
        elif k == "коррекционная":
            names.append(f'КГБОУ "{roots[i]}ская общеобразовательная школа-интернат №{number[i]}"')
        elif k == "кадетская":
            names.append(f'{owner} "Кадетская школа №{number[i]}"')
        elif k == "вечерняя":
            names.append(f'{owner} "Вечерняя (сменная) школа №{number[i]}"')
        elif locality[i] == "город":
            names.append(f'{owner} "{k} №{number[i]}"')
        else:
            names.append(f'{owner} "{village_roots[i]}ская {k}"')
    return names


def build_region(config: DemoConfig, rng: np.random.Generator) -> Region:
    """The synthetic region(s): municipalities and the school registry with the generator's private
    columns."""
    n_reg, n_mun, n_sch = _counts(config)
    munis = _municipalities(config, rng, n_reg, n_mun)
    muni_idx = _school_municipality(munis, rng, n_reg, n_mun, n_sch)
    n = muni_idx.size
    is_city_m = munis["is_city"].to_numpy()[muni_idx]
    locality, kinds, size = _kinds_and_sizes(rng, is_city_m)
    lo, hi, pupils = _pupils(kinds, size)
    d = _disadvantage(rng, munis, muni_idx, locality, kinds)
    lat, lon, remote = _coordinates(rng, munis, muni_idx, is_city_m, locality)
    school_id = _school_ids(rng, munis, muni_idx)
    names = _school_names(rng, munis, muni_idx, kinds, locality)
    width = 3 if n < 1000 else 5
    website = [f"http://school{i + 1:0{width}d}.example.local" for i in range(n)]

    m = munis
    schools = pl.DataFrame(
        {
            "school_id": school_id,
            "name": names,
            "municipality_id": m["municipality_id"].to_numpy()[muni_idx],
            "municipality": m["municipality"].to_numpy()[muni_idx],
            "region_id": m["region_id"].to_numpy()[muni_idx],
            "region": m["region"].to_numpy()[muni_idx],
            "kind": kinds.astype(str),
            "locality": locality,
            "pupils": pupils,
            "is_small": pupils < 100,
            "latitude": np.round(lat, 5),
            "longitude": np.round(lon, 5),
            "website": website,
            "in_registry": np.ones(n, dtype=bool),
        }
    )
    schools = schema.conform(schools, schema.SCHOOLS).with_columns(
        pl.Series("_idx", np.arange(n)),
        pl.Series("_muni", muni_idx),
        pl.Series("_size", size),
        pl.Series("_lo", lo),
        pl.Series("_hi", hi),
        pl.Series("_d", d),
        pl.Series("_remote", remote),
        pl.Series("_intake", np.array([INTAKE.get(k, 0.0) for k in kinds])),
        # how the school writes things in ФИС ОКО files
        pl.Series("_class_style", rng.choice(["lower", "upper", "digit"], n, p=[0.55, 0.38, 0.07])),
        pl.Series("_gender_upper", rng.random(n) < 0.04),
        pl.Series("_x_text", rng.choice(["X", "x", "не пройд.", "Х"], n, p=[0.94, 0.02, 0.02, 0.02])),
    )
    return Region(schools=schools, municipalities=munis)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def build_context(config: DemoConfig, region: Region, rng: np.random.Generator) -> pl.DataFrame:
    """Yearly context indicators (context.csv columns), correlated with the latent disadvantage."""
    s = region.schools
    n = s.height
    d = s["_d"].to_numpy()
    village = (s["locality"] == "село").to_numpy()
    kind = s["kind"].to_numpy()
    persistent = rng.normal(0.0, 0.35, (n, 8))
    flag_u = rng.random((n, 3))
    intercepts = np.array([-4.0, -3.6, -4.3, -3.8, -2.9, -1.4, -0.4, -1.3])
    slopes = np.array([0.6, 0.5, 0.6, 0.6, 0.3, 0.8, -0.8, 0.4])
    frames = []
    for k, year in enumerate(config.years):
        noise = rng.normal(0.0, 0.12, (n, 8))
        trend = -0.03 * k
        shares = _expit(intercepts[None, :] + slopes[None, :] * d[:, None] + persistent + noise + trend)
        shares[kind == "коррекционная", 4] = np.clip(
            0.9 + rng.normal(0, 0.03, int((kind == "коррекционная").sum())), 0, 1
        )
        infra_p = _expit(-2.2 + 1.0 * d - 0.1 * k)
        internet_p = _expit(-2.6 + 0.8 * d + 1.0 * village - 0.15 * k)
        staff_p = _expit(-1.6 + 0.6 * d + 0.6 * village)
        row = {
            "year": np.full(n, year),
            "school_id": s["school_id"].to_numpy(),
            **{c: np.round(shares[:, j], 4) for j, c in enumerate(schema.CONTEXT_SHARES)},
            "is_remote": s["_remote"].to_numpy(),
            "is_small": s["is_small"].to_numpy(),
            "infrastructure_deficit": flag_u[:, 0] < infra_p,
            "internet_deficit": flag_u[:, 1] < internet_p,
            "staff_shortage": flag_u[:, 2] < staff_p,
        }
        frames.append(pl.DataFrame(row))
    return schema.conform(pl.concat(frames), schema.CONTEXT)

"""Locality profiles: no place is hard-wired in the package, every shipped profile is valid, and a second
locality works with no code change."""

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from ktxh_geo.vocab import profile

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ktxh_geo"
# Code people read the words of: the package, the pages and the entry point.
CODE = sorted(PACKAGE.rglob("*.py")) + sorted((ROOT / "views").glob("*.py")) + [ROOT / "app.py"]


def _shipped_names_and_tokens() -> tuple[list[str], list[str]]:
    """Names and codes of the shipped localities, read from their profiles: a district's and a province's own name,
    a district's province, the units of a district (names and codes) and its edition ids and periods (with their
    en dash, as printed: "2020–2024")."""
    from ktxh_geo.io.shipped import load_units
    from ktxh_geo.text import fold

    names, tokens = set(), set()
    for profile_id in profile.available():
        with profile.use(profile_id) as p:
            if p.kind == "national":
                continue
            names.add(re.sub(rf"^{re.escape(p.area_word)}\s+", "", p.area_name))
            if p.province:
                names.add(re.sub(r"^tỉnh\s+|\s*\(.*\)$", "", p.province))
            if p.kind == "district":
                units = load_units()
                names |= {n for n in units["name"] if " " in n}  # one-word names are ordinary words too
                tokens |= set(units["gso_code"])
                tokens |= {e for e in p.editions if not e.isdigit()}
                tokens |= {e.short for e in p.editions.values() if "–" in e.short}
    names |= {fold(n).title() for n in names}  # "Yen The" as typed without diacritics
    return sorted(names), sorted(tokens)


_NAMES, _TOKENS = _shipped_names_and_tokens()
FORBIDDEN = [
    *(re.compile(rf"(?<!\w){re.escape(n)}(?!\w)", re.IGNORECASE) for n in _NAMES),
    *(re.compile(rf"(?<![\w-]){re.escape(t)}(?![\w-])") for t in _TOKENS),
    re.compile(r"""(["'])215\1"""),  # the district code as a string
    re.compile(r"(?<![\w.,-])215(?![\w.,-])"),  # … or as a bare token
]


def _hard_wired(text: str) -> list[str]:
    return [m.group(0) for pattern in FORBIDDEN for m in pattern.finditer(text)]


def test_the_scan_catches_what_it_should():
    assert {"Yên Thế", "Bắc Ninh", "Bắc Giang", "Tam Hiệp", "Đông Sơn", "Bố Hạ", "Yen The"} <= set(_NAMES)
    assert {"07288", "07276", "2020-2024", "2025-h1", "2020–2024"} <= set(_TOKENS)
    assert _hard_wired('UNITS = {"07288": "x"}  # Yên Thế, edition 2025-h1') == ["Yên Thế", "07288", "2025-h1"]
    assert _hard_wired('CODE = "215"') == ['"215"', "215"]
    assert sorted(_hard_wired("yen the; BAC GIANG; 2020-2024")) == ["2020-2024", "BAC GIANG", "yen the"]
    assert _hard_wired('st.caption("Số liệu ghi theo 19 đơn vị 2020–2024")') == ["2020–2024"]  # the en dash
    assert _hard_wired("0.215 m; 1,215; 2215; 072880; x-2020-2024; 2025-h10; Thếp") == []


def test_no_place_name_or_code_in_the_package():
    """Not in the package, nor in the pages and app.py (what they print comes from the profile)."""
    found = []
    for path in CODE:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            hits = _hard_wired(line)
            if hits:
                found.append(f"{path.relative_to(ROOT)}:{number}: {', '.join(hits)}: {line.strip()}")
    assert not found, "place-specific text belongs in profiles/<id>/profile.toml:\n" + "\n".join(found)


@pytest.mark.parametrize("profile_id", sorted(profile.available()))
def test_every_shipped_profile_loads_and_validates(profile_id):
    from ktxh_geo.model.validate import validate

    with profile.use(profile_id) as p:
        assert p.id == profile_id and p.area_name and p.boundary_credit
        assert p.base_edition in p.editions and p.default_edition in p.editions
        for edition in (p.interim_edition, p.reform_edition, *(r.edition for r in p.edition_by_year)):
            assert not edition or edition in p.editions
        report = validate(p.data_dir, p.geo_dir)
    assert report.ok, "\n".join(map(str, report.problems))


def test_a_profile_without_unit_history_has_empty_results():
    from ktxh_geo.model import crosswalk, datasets

    with profile.use("bac-ninh-2025") as p:
        assert crosswalk.versions() == ()
        assert crosswalk.lookup("tan hiep") == [] and crosswalk.successors("07288") == []
        assert crosswalk.edition_units(p.base_edition) == [] and crosswalk.members_of(p.base_edition) == {}
        assert crosswalk.predecessors("07288", p.base_edition) == []
        assert crosswalk.history_table().empty and list(crosswalk.history_table().columns)
        assert list(datasets.load_datasets()) == ["population"] and datasets.years()[0] == 2025  # import, no history


@pytest.fixture()
def second_locality(tmp_path, monkeypatch):
    """The shipped district copied under another id and another name: a second locality, no code change."""
    folder = tmp_path / "profiles" / "huyen-thu-hai-2024"
    shutil.copytree(ROOT / "profiles" / profile.DEFAULT_PROFILE, folder)
    toml = folder / "profile.toml"
    text = toml.read_text(encoding="utf-8")
    for key, value in {
        "id": "huyen-thu-hai-2024",
        "label": "Huyện Thử Hai — Kế hoạch 2024",
        "area_name": "huyện Thử Hai",
        "area_label": "Huyện Thử Hai",
    }.items():
        text, n = re.subn(rf'^{key} = "[^"]*"', f'{key} = "{value}"', text, count=1, flags=re.MULTILINE)
        assert n == 1, key
    toml.write_text(text, encoding="utf-8")
    monkeypatch.setenv("KTXH_PROFILES_DIR", str(tmp_path / "profiles"))
    profile.load.cache_clear()
    yield "huyen-thu-hai-2024"
    monkeypatch.undo()
    profile.load.cache_clear()


def test_a_second_locality_needs_no_code_change(second_locality):
    from ktxh_geo.io import shipped
    from ktxh_geo.model import crosswalk, thematic
    from ktxh_geo.model.location_check import kind_label
    from ktxh_geo.render.layout import plan_line

    assert list(profile.available()) == [second_locality]
    with profile.use(second_locality) as p:
        assert p.folder.parent.parent != ROOT
        communes = shipped.load_communes()
        assert len(communes) == p.edition().n_units and communes["code"].str.fullmatch(r"\d{5}").all()
        request = thematic.MapRequest(indicator=p.default_indicator)
        built = thematic.build(request, shipped.load_indicators(), shipped.load_values(include_entered=False), communes)
        assert "huyện Thử Hai" in built.title and "Yên Thế" not in built.title
        assert plan_line().endswith("huyện Thử Hai.") and kind_label("outside") == "Ngoài huyện"
        with pytest.raises(KeyError, match="huyện Thử Hai"):
            crosswalk.container("00000", p.base_edition)
        assert len(crosswalk.edition_units(p.base_edition)) == p.editions[p.base_edition].n_units
        assert crosswalk.lookup(communes["code"].iloc[0], on=date(2024, 1, 1))

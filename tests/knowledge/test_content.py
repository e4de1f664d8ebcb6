"""The reviewed content is complete, and broken content is refused with precise messages."""
from __future__ import annotations

import yaml
import pytest

from knowledge.schema import EQUIPMENT_IDS, REGION_IDS, ContentError, load_content


def test_real_content_is_valid_and_complete():
    content = load_content()
    assert len(content.routines) >= 24
    for region in REGION_IDS:
        kit = {r.equipment for r in content.routines if r.region == region}
        assert len(kit) >= 2, f"{region} has only {kit}"
    for routine in content.routines:
        assert 3 <= len(routine.steps) <= 7
        assert routine.closing_name and routine.closing_instructions
        assert routine.sources and routine.evidence_source
        assert all(step.seconds or step.reps for step in routine.steps)


@pytest.mark.parametrize("region, equipment, words", [
    ("feet", "massage_ball", "arch"),
    ("chest", None, "pec"),
    ("glutes", None, "piriformis"),
    ("upper_back", "massage_ball", "shoulder blade"),
    ("shins", None, "tibialis"),
    ("lower_back", "foam_roller", ""),
])
def test_seed_topics_are_covered(region, equipment, words):
    content = load_content()
    found = [r for r in content.routines if r.region == region
             and (equipment is None or r.equipment == equipment)
             and words in (r.title + " " + r.summary + " " + " ".join(r.muscles)).lower()]
    assert found, f"no {equipment or 'any'} routine about {words!r} for {region}"


def test_massage_gun_is_used_but_never_on_the_front_of_the_neck():
    content = load_content()
    guns = [r for r in content.routines if r.equipment == "massage_gun"]
    assert len(guns) >= 4
    for r in guns:
        if r.region == "neck":
            text = " ".join(s.avoid + " " + s.action for s in r.steps).lower() + " ".join(r.cautions).lower()
            assert "front" in text or "side" in text


def test_every_equipment_id_is_used():
    content = load_content()
    assert {r.equipment for r in content.routines} == set(EQUIPMENT_IDS)


def _rewrite(path, change):
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _first_routine(content_dir):
    return sorted((content_dir / "routines").glob("*.yml"))[0]


def test_missing_field_names_file_item_and_field(content_copy):
    path = _first_routine(content_copy)
    _rewrite(path, lambda d: d.pop("dose"))
    with pytest.raises(ContentError) as err:
        load_content(content_copy)
    assert any(p.startswith(f"routines/{path.name}: {path.stem}: dose: is missing") for p in err.value.problems)


def test_bad_step_and_unknown_ids_are_all_reported(content_copy):
    path = _first_routine(content_copy)

    def breakit(d):
        d["steps"][0]["seconds"] = None
        d["steps"][0]["reps"] = None
        d["region"] = "elbowz"
        d["evidence"]["label"] = "miracle cure"
    _rewrite(path, breakit)
    with pytest.raises(ContentError) as err:
        load_content(content_copy)
    text = "\n".join(err.value.problems)
    assert f"{path.stem} step 1: seconds: a step needs seconds or reps" in text
    assert "region: 'elbowz' is not one of" in text
    assert "label: 'miracle cure' is not one of" in text


def test_too_few_steps_is_refused(content_copy):
    path = _first_routine(content_copy)
    _rewrite(path, lambda d: d.__setitem__("steps", d["steps"][:2]))
    with pytest.raises(ContentError, match="steps: must be a list of 3 to 7 steps"):
        load_content(content_copy)


def test_id_must_match_file_name(content_copy):
    path = _first_routine(content_copy)
    _rewrite(path, lambda d: d.__setitem__("id", "something_else"))
    with pytest.raises(ContentError, match="must equal the file name"):
        load_content(content_copy)


def test_duplicate_alias_across_regions_is_refused(content_copy):
    path = content_copy / "regions.yml"

    def dup(d):
        d["regions"][0]["aliases"].append(d["regions"][1]["aliases"][0])
    _rewrite(path, dup)
    with pytest.raises(ContentError, match="is already an alias of"):
        load_content(content_copy)


def test_invalid_yaml_is_reported_with_the_file(content_copy):
    (content_copy / "equipment.yml").write_text("equipment: [unclosed\n")
    with pytest.raises(ContentError, match="equipment.yml: -: -: is not valid YAML"):
        load_content(content_copy)


def test_bad_red_flag_pattern_is_reported(content_copy):
    path = content_copy / "red_flags.yml"
    _rewrite(path, lambda d: d["flags"][0]["patterns"].append("(unclosed"))
    with pytest.raises(ContentError, match="does not compile"):
        load_content(content_copy)


def test_region_coverage_is_enforced(content_copy):
    for path in (content_copy / "routines").glob("*.yml"):
        if yaml.safe_load(path.read_text())["region"] == "feet":
            path.unlink()
    with pytest.raises(ContentError, match="routines: feet: equipment: region needs routines"):
        load_content(content_copy)

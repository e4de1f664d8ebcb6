"""The reading tables (dialect and mixed-language words, ConText rules) and the dialect
reader: regional Englishes, voice typing and mixed-in languages read as
standard English before matching, with offsets that still point at the user's words."""
from __future__ import annotations

from pathlib import Path

import pytest

from safety import terms
from safety.detector import normalise
from safety.dialect import DialectReader


@pytest.fixture(scope="module")
def reader() -> DialectReader:
    known = frozenset({"climbing", "lying", "aching", "knowing", "walking"})
    return DialectReader(terms.load_dialect(terms.DIALECT_FILE, terms.MIXED_LANGUAGES_FILE), lambda: known)


def _read(reader, text):
    norm, index_map = normalise(text)
    return reader.read(norm, index_map)


@pytest.mark.parametrize("typed, meant", [
    ("a cannae shift ma leg", "i cannot shift my leg"),
    ("it's no right, sair doon the back", "it's no right, sore down the back"),
    ("been lyin in bed achin", "been lying in bed aching"),
    ("my right cafe is puffy", "my right calf is puffy"),
    ("mi foot a hurt pon di side", "me foot a hurt on the side"),
    ("lost 5kg w/o trying", "lost 5kg without trying"),
    ("dolor en el pecho y el brazo", "pain in the chest y el arm"),
    ("pas de fièvre, juste le mollet", "no fièvre, juste le calf"),
])
def test_words_are_read_as_meant(reader, typed, meant):
    assert _read(reader, typed)[0] == meant


@pytest.mark.parametrize("text", [
    "my ma's knee is bad",  # a mother's knee, not the writer's
    "her ma has chest pain",
    "the cabin was cold",  # -in words that are not dropped -ing
    "a wee bit sore",
])
def test_ordinary_words_are_left_alone(reader, text):
    assert _read(reader, text)[0] == normalise(text)[0]


def test_offsets_still_point_at_the_typed_words(reader):
    typed = "Cannae feel ma FOOT"
    read, index_map = _read(reader, typed)
    assert read == "cannot feel my foot"
    start = read.index("foot")
    assert typed[index_map[start]:index_map[start + 3] + 1] == "FOOT"
    assert len(index_map) == len(read)


def test_a_word_meaning_two_things_is_an_error(tmp_path: Path):
    first = tmp_path / "a.yml"
    second = tmp_path / "b.yml"
    first.write_text("words:\n  heid: head\n", encoding="utf-8")
    second.write_text("words:\n  heid: hand\n", encoding="utf-8")
    with pytest.raises(terms.TermError, match="heid"):
        terms.load_dialect(first, second)


@pytest.mark.parametrize("body", [
    "words:\n  Heid: head\n",  # upper case never matches lower-cased text
    "words:\n  two words: x\n",
    "words:\n  off: \n",
    "words: [heid]\n",
])
def test_bad_tables_are_rejected_with_the_file_named(tmp_path: Path, body):
    path = tmp_path / "dialect.yml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(terms.TermError, match="dialect.yml"):
        terms.load_dialect(path)


def test_one_literal_cannot_be_two_modifiers(tmp_path: Path):
    path = tmp_path / "context_rules.yml"
    path.write_text("rules:\n"
                    "  - {literal: \"is it normal\", category: PSEUDO, direction: PSEUDO}\n"
                    "  - {literal: \"is it normal\", category: HYPOTHETICAL, direction: FORWARD}\n", encoding="utf-8")
    with pytest.raises(terms.TermError, match="is it normal"):
        terms.load_context_rules(path)


def test_the_project_term_files_load():
    assert terms.load_context_rules()
    dialect = terms.load_dialect(terms.DIALECT_FILE, terms.MIXED_LANGUAGES_FILE)
    assert dialect.words["cannae"] == "cannot" and dialect.words["pecho"] == "chest"


@pytest.mark.parametrize("typed, read_as", [
    ("cp since lunch, radiating → l arm", "chest pain since lunch, radiating spreading to left arm"),
    ("sob at rest, diaphoretic", "short of breath at rest, sweating"),
    ("night pain x3/52", "night pain for 3 weeks"),
    ("epidural 2/7 ago", "epidural for 2 days ago"),
    ("seen on 3/12 for a check", "seen on 3/12 for a check"),  # a date stays a date
    ("i have cp and tight hamstrings", "i have cerebral palsy and tight hamstrings"),
])
def test_clinical_shorthand_is_read_as_plain_words(typed, read_as):
    reader = DialectReader(terms.load_dialect(*terms.READING_FILES), lambda: frozenset())
    read, index_map = reader.read(typed, list(range(len(typed))))
    assert read == read_as
    assert len(index_map) == len(read) and all(0 <= i < len(typed) for i in index_map)


def test_a_fraction_table_must_name_its_units(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("fractions:\n  week: 52\n")
    with pytest.raises(terms.TermError, match="fractions"):
        terms.load_dialect(path)


@pytest.mark.parametrize("typed, read_as", [
    ("pain evry nite for 3 wks", "pain every night for 3 weeks"),
    ("calf tite n swolen", "calf tight and swollen"),
    ("lost wait w/o trying", "lost weight without trying"),
    ("knight pain in my bak", "night pain in my back"),
    ("my arm's gone dead", "my arm is gone dead"),
    ("waiting for the bus, r knee sore", "waiting for the bus, right knee sore"),  # "r" is not "are"
    ("my mate's knee", "my mate's knee"),  # a possessive after a person stays one
])
def test_texting_spellings_are_read_as_meant(typed, read_as):
    reader = DialectReader(terms.load_dialect(*terms.READING_FILES), lambda: frozenset())
    read, index_map = reader.read(typed, list(range(len(typed))))
    assert read == read_as
    assert len(index_map) == len(read) and all(0 <= i < len(typed) for i in index_map)


def test_a_replaced_word_is_quoted_whole():
    reader = DialectReader(terms.load_dialect(*terms.READING_FILES), lambda: frozenset())
    typed = "knight pain"
    read, index_map = reader.read(typed, list(range(len(typed))))
    assert read == "night pain" and typed[index_map[0]:index_map[-1] + 1] == "knight pain"


def test_a_cant_phrase_is_read_in_every_spelling():
    literals = {rule.literal for rule in terms.load_context_rules() if rule.category == "PSEUDO"}
    assert {"can't straighten", "cant straighten", "cannot straighten"} <= literals
    assert {"can't fill", "cant fill", "cannot fill"} <= literals


def test_question_frames_load_and_name_bad_patterns(tmp_path):
    frames = terms.load_question_frames()
    assert "is it normal to" in frames.frames and frames.says_now("been like 20 min now")
    assert not frames.says_now("going hiking next week")
    path = tmp_path / "questions.yml"
    path.write_text("frames: [is it normal to]\npresent_anchors: ['(unclosed']\n")
    with pytest.raises(terms.TermError, match="present_anchors"):
        terms.load_question_frames(path)

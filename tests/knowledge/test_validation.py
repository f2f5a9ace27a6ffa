"""Validation of knowledge base files: every kind of problem, with its file, line and fix."""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.validation import load_directory, load_file, parse_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "knowledge"
GOOD = FIXTURES / "good"

ENTRY = """\
knowledge_base: dog_licence
entries:
  - id: dog_licence.fee
    title: {en: "Fee", zh-Hant: "費用"}
    answer:
      en: "HK$80. Source: https://www.example.gov.hk/a"
      zh-Hant: "港幣80元。資料來源：https://www.example.gov.hk/a"
    questions:
      en: ["How much is a dog licence?", "dog licence fee"]
      zh-Hant: ["犬隻牌照費用是多少？", "犬隻牌照收費"]
      yue: ["狗牌幾多錢？", "攞狗牌幾錢？"]
    source: https://www.example.gov.hk/a
    updated: 2025-01-15
"""


def problems_of(text: str):
    entries, problems = parse_text(text, "kb.yml")
    return entries, problems


def only_problem(text: str):
    entries, problems = problems_of(text)
    assert entries == [], "an entry with a problem must not be loaded"
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_the_fixture_and_the_template_are_valid():
    entries, problems = load_directory(GOOD)
    assert problems == []
    assert [e.id for e in entries][:2] == ["dog_licence.fee", "dog_licence.where_apply"]
    entries, problems = problems_of(ENTRY)
    assert problems == [] and entries[0].kb == "dog_licence" and entries[0].updated.isoformat() == "2025-01-15"
    assert entries[0].origin == "kb.yml:3"


def test_missing_language_is_reported_on_its_line():
    problem = only_problem(ENTRY.replace('      zh-Hant: "港幣80元。資料來源：https://www.example.gov.hk/a"\n', ""))
    assert problem.line == 5 and "missing language 'zh-Hant'" in problem.message
    assert "zh-Hant" in problem.fix


def test_missing_question_language():
    problem = only_problem(ENTRY.replace('      yue: ["狗牌幾多錢？", "攞狗牌幾錢？"]\n', '      yue: ["狗牌幾多錢？", "攞狗牌幾錢？"]\n').replace(
        '      yue: ["狗牌幾多錢？", "攞狗牌幾錢？"]\n', "").replace('"dog licence fee"]', '"dog licence fee", "licence cost", "dog fee"]'))
    assert problem.line == 8 and "no questions in language 'yue'" in problem.message


def test_unknown_key_names_the_key_and_the_allowed_ones():
    problem = only_problem(ENTRY.replace("    updated: 2025-01-15\n", "    updated: 2025-01-15\n    tgas: [fee]\n"))
    assert problem.line == 14 and "'tgas'" in problem.message and "tags" in problem.fix


def test_empty_answer():
    problem = only_problem(ENTRY.replace('en: "HK$80. Source: https://www.example.gov.hk/a"', 'en: ""'))
    assert problem.line == 6 and "is empty" in problem.message


def test_malformed_url():
    _, problems = problems_of(ENTRY.replace("    source: https://www.example.gov.hk/a", "    source: www example/a"))
    assert len(problems) == 1
    assert problems[0].line == 12 and "not a valid URL" in problems[0].message and "https://" in problems[0].fix


def test_answer_must_end_with_the_source_url():
    problem = only_problem(ENTRY.replace('港幣80元。資料來源：https://www.example.gov.hk/a"', '港幣80元。"'))
    assert problem.line == 7 and "does not end with its source URL" in problem.message
    assert "資料來源：https://www.example.gov.hk/a" in problem.fix


def test_too_few_variants():
    problem = only_problem(ENTRY.replace(', "dog licence fee"]', "]"))
    assert problem.line == 8 and "5 question variants" in problem.message


def test_id_must_be_prefixed_by_its_knowledge_base():
    problem = only_problem(ENTRY.replace("id: dog_licence.fee", "id: tsw.fee"))
    assert problem.line == 3 and "not prefixed by its knowledge base 'dog_licence'" in problem.message
    assert "dog_licence.fee" in problem.fix


def test_bad_date():
    problem = only_problem(ENTRY.replace("updated: 2025-01-15", "updated: 15/01/2025"))
    assert problem.line == 13 and "bad 'updated' date" in problem.message and "YYYY-MM-DD" in problem.fix
    problem = only_problem(ENTRY.replace("updated: 2025-01-15", "updated: 2025-02-30"))
    assert problem.line == 13


def test_duplicate_id_across_files(tmp_path):
    (tmp_path / "a.yml").write_text(ENTRY, encoding="utf-8")
    (tmp_path / "b.yml").write_text(
        "# another file\n" + ENTRY.replace("狗牌幾多錢", "狗牌要幾錢").replace("攞狗牌幾錢", "狗牌收幾多")
        .replace("How much is a dog licence?", "dog licence price").replace("dog licence fee", "cost of dog licence")
        .replace("犬隻牌照費用是多少", "犬隻牌照多少錢").replace("犬隻牌照收費", "犬隻牌照的收費"),
        encoding="utf-8",
    )
    entries, problems = load_directory(tmp_path)
    assert [e.id for e in entries] == ["dog_licence.fee"]
    assert len(problems) == 1, [str(p) for p in problems]
    assert problems[0].file.endswith("b.yml") and problems[0].line == 4
    assert "already defined at" in problems[0].message and "a.yml:3" in problems[0].message


def test_a_question_shared_by_two_entries_is_a_problem(tmp_path):
    second = ENTRY.split("entries:\n")[1].replace("dog_licence.fee", "dog_licence.cost")
    entries, problems = problems_of(ENTRY + second)
    assert any("is also a question of 'dog_licence.fee'" in p.message for p in problems)


def test_duplicate_key_and_html_and_bad_related():
    _, problems = problems_of(ENTRY.replace("    updated: 2025-01-15\n",
                                            "    updated: 2025-01-15\n    source: https://www.example.gov.hk/b\n"))
    assert any(p.line == 14 and "appears twice" in p.message for p in problems)
    _, problems = problems_of(ENTRY.replace('en: "HK$80.', 'en: "<script>alert(1)</script> HK$80.'))
    assert any(p.line == 6 and "HTML" in p.message for p in problems)
    _, problems = problems_of(ENTRY + "    related: [dog_licence.nothing_here]\n")
    assert any("unknown topic 'dog_licence.nothing_here'" in p.message for p in problems)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("<!DOCTYPE html><html><body>FAQ</body></html>".encode(), "HTML"),
        ("knowledge_base: tsw\nentries:\n  - id: [unclosed\n".encode(), "Invalid YAML"),
        ("knowledge_base: tsw\n\tentries: []\n".encode(), "Invalid YAML"),
        ("就咁一句說話".encode("big5"), "not UTF-8"),
        (b"", "empty"),
        (b"- just\n- a list\n", "must be a mapping"),
        (b"knowledge_base: TSW!\nentries: []\n", "not valid"),
        (b"entries: {}\nknowledge_base: tsw\n", "must be a list"),
    ],
)
def test_bad_files_give_a_clear_problem_not_a_traceback(tmp_path, content, expected):
    path = tmp_path / "bad.yml"
    path.write_bytes(content)
    entries, problems = load_file(path)
    assert entries == []
    assert any(expected in p.message for p in problems), [str(p) for p in problems]
    assert all(p.file == str(path) for p in problems)


def test_huge_file_is_refused_unread(tmp_path, monkeypatch):
    import knowledge.validation as validation

    monkeypatch.setattr(validation, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "huge.yml"
    path.write_text(ENTRY * 10, encoding="utf-8")
    _, problems = load_file(path)
    assert len(problems) == 1 and "over the" in problems[0].message


def test_problem_text_has_file_line_and_fix():
    problem = only_problem(ENTRY.replace("updated: 2025-01-15", "updated: soon"))
    assert str(problem).startswith("kb.yml:13: ") and "Fix: " in str(problem)

"""docs/access.md shows the capability table as the code declares it."""

from quancheng.web.capability_doc import END, START, doc_path, markdown, with_table


def test_the_capability_table_in_docs_is_current():
    text = doc_path().read_text(encoding="utf-8")
    assert text == with_table(text), "docs/access.md is stale: run manage.py capability_table"


def test_the_generated_section_lists_every_capability():
    from quancheng.orgs.capabilities import TABLE

    table = markdown()
    assert table.startswith(START) and table.endswith(END)
    for code in TABLE:
        assert f"| `{code}` |" in table


def test_a_stale_table_is_noticed():
    text = doc_path().read_text(encoding="utf-8").replace("`act.edit`", "`act.edited`")
    assert with_table(text) != text

"""A dossier's contents name each finding's article once (issue 18: 卷内目录 repeated it)."""

from types import SimpleNamespace

from quancheng.archive.dossiers import _finding_items


def _finding(article: str, message: str):
    act = SimpleNamespace(started_at=1)
    return SimpleNamespace(
        act=act,
        created_at=1,
        pk=7,
        article=article,
        message=message,
        answer="",
        get_status_display=lambda: "未处理",
    )


def test_a_finding_citing_its_article_names_it_once():
    article = "第十五条第（二）项"
    (item,) = _finding_items([_finding(article, f"到达时未拍摄门头（{article}）")])
    assert item.title.count(article) == 1
    assert item.title == f"到达时未拍摄门头（{article}）（未处理）"


def test_a_message_without_its_article_gets_it_in_front():
    (item,) = _finding_items([_finding("第二十一条", "逾期未登记")])
    assert item.title == "第二十一条：逾期未登记（未处理）"

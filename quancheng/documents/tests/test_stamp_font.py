"""The stamp's CJK face, extracted once: two server processes extracting it at once."""

from pathlib import Path

from fontTools.ttLib import TTFont

from quancheng.documents import pdfsign


def test_two_processes_extracting_the_face_at_once_both_get_it(settings, tmp_path, monkeypatch):
    """Another worker process extracting the face at the same moment renames the file it wrote
    when done. With one shared ".part" name that rename took this process's file from under it
    (FileNotFoundError: a 500 on concurrent finalisations); each writer now has its own."""
    settings.VAR_DIR = tmp_path
    target = Path(tmp_path) / "fonts" / f"{settings.QC_CJK_FONT_NAME}.otf"
    real_save = TTFont.save

    def save_while_another_finishes(face, path, *args, **kwargs):
        real_save(face, path, *args, **kwargs)
        shared = target.with_suffix(".part")  # the other process's file, as it would name it
        if shared.exists():
            shared.replace(target)

    monkeypatch.setattr(TTFont, "save", save_while_another_finishes)
    assert pdfsign.stamp_font_path() == target
    assert TTFont(target)["name"].getDebugName(6) == settings.QC_CJK_FONT_NAME
    assert not list(target.parent.glob("*.part"))

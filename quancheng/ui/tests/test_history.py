"""An object's ledger history in words (ui/history.py)."""

from quancheng.cases.services import change_case_stage
from quancheng.ledger.actions import Action
from quancheng.subjects.services import update_subject
from quancheng.ui.history import history


def test_a_subjects_history_names_the_person_the_action_and_the_change(officer, subject):
    update_subject(officer, subject, name="重庆市渝中区解放碑牙科诊所")
    created, updated = history(subject)
    assert (created.actor, created.action) == ("张伟", Action.SUBJECT_CREATED.label)
    assert created.code == "subject.created" and created.seq < updated.seq
    assert updated.action == Action.SUBJECT_UPDATED.label
    assert updated.details == ["名称：重庆市渝中区解放碑口腔诊所 → 重庆市渝中区解放碑牙科诊所"]


def test_a_stage_change_reads_in_the_stages_names_with_the_note(officer, case):
    change_case_stage(officer, case, "investigation", note="现场取证")
    entry = history(case)[-1]
    assert entry.action == Action.CASE_STAGE_CHANGED.label
    assert entry.details == ["立案 → 调查取证（现场取证）"]


def test_the_history_holds_only_the_objects_own_events(subject, other_subject, outsider):
    update_subject(outsider, other_subject, name="重庆江北观音桥宾馆")
    assert [entry.code for entry in history(subject)] == ["subject.created"]

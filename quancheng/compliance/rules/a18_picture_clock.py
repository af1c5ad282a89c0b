"""A18-picture-clock: the time the camera burned into the picture agrees with the file's time.

A18 asks the AV to include the enforcement time (音像记录应当包括执法时间): body cameras burn
their clock and device number into every frame (GA/T 947). The platform reads them
(content/osd.py) and compares the picture's clock, with the device's recorded offset applied
like the file's, with the segment's corrected start time. A difference beyond
``picture_clock_seconds`` means the device's recorded clock offset is wrong or the file's time
was changed after recording (A27: 篡改); a device number in the picture other than the
registered device's means the file is attributed to the wrong camera. A segment whose picture
shows no readable time is not a finding (many fixed cameras burn none): the segment page says
画面时间不可读.
"""

from .base import ERROR, Context, Hit, Rule, local, note_manual_times

READ = "read"


def _normalise(number: str) -> str:
    return number.upper().replace("-", "").replace(" ", "")


def check(ctx: Context):
    tolerance = ctx.config.tolerance("picture_clock_seconds")
    for s in ctx.timeline.segments:
        if s.picture_status != READ:
            continue
        difference = s.picture_difference
        if difference is not None and abs(difference) > tolerance:
            # A difference exists only between a picture time and a file start that both exist.
            assert s.picture_time is not None and s.started_at is not None
            hit = Hit(
                key=f"segment:{s.id}:clock",
                params={
                    "problem": (
                        f"第{s.id}号音像记录画面显示的时间 {local(s.picture_time)} 与文件记载的"
                        f"开始时间 {local(s.started_at)} 相差{abs(difference):.0f}秒"
                        f"（允许{tolerance:g}秒），设备时钟偏差记录有误或文件时间被改动"
                    )
                },
                evidence={
                    "segments": [s.id],
                    "difference_seconds": round(difference),
                    "picture": s.picture_time.isoformat(),
                    "file": s.started_at.isoformat(),
                },
            )
            yield note_manual_times(hit, ctx.timeline)
        shown, registered = s.picture_device_number, s.device_label
        if shown and registered and _normalise(shown) != _normalise(registered):
            yield Hit(
                key=f"segment:{s.id}:device",
                params={
                    "problem": (
                        f"第{s.id}号音像记录画面显示的设备编号“{shown}”与登记的设备"
                        f"“{registered}”不符"
                    )
                },
                evidence={"segments": [s.id], "picture_device": shown, "device": registered},
            )


RULE = Rule(
    id="A18-picture-clock",
    articles=("A18", "A27"),
    reference="第十八条",
    severity=ERROR,
    title="画面时间与文件时间一致",
    message="{problem}",
    check=check,
    checkable="partial",
    note="只能检查画面叠加了时间的音像记录；画面时间不可读的不作判断。",
)

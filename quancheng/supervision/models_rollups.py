"""Statistics rollups (统计汇总): see rollups.py and docs/statistics.md."""

from django.db import models

#
# Counters of the statistics pages and the dashboard per cell: Asia/Shanghai month, agency, act
# kind and officer (0: the act-level row, each act once; otherwise one row per officer of the
# acts, as the statistics count an act for each of its officers). Derived data only: the
# enforcement record and the ledger are the record; ``rollups.rebuild_rollups`` recomputes
# every row from them. See docs/statistics.md.

ACT_LEVEL = 0
# The kind of a month and agency's act-level rows summed over every kind (and the requests and
# provisions naming no act): what the pages without a kind filter or grouping read, a fifteenth
# of the rows (issue 21 point 3).
ALL_KINDS = "*"


class RollupCell(models.Model):
    """The key shared by every rollup row."""

    month = models.DateField("月份")  # the first day of an Asia/Shanghai month
    agency = models.ForeignKey("orgs.Agency", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("执法行为类型", max_length=24, blank=True)  # "": requests naming no act
    officer = models.IntegerField("执法人员", default=ACT_LEVEL)  # a user id, or ACT_LEVEL

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.month:%Y-%m} {self.agency_id} {self.kind or '-'} {self.officer}"


class StatCount(RollupCell):
    """Sums of one cell (statistics tables 执法行为与记录完整, 登记时效, 调阅与对外提供)."""

    acts = models.IntegerField(default=0)
    checked = models.IntegerField(default=0)  # with a stored completeness (ActCompliance)
    complete = models.IntegerField(default=0)
    mandatory_missing = models.IntegerField(default=0)  # completeness 缺少必需记录
    gaps = models.IntegerField(default=0)  # active A11-gap findings (one per interruption)
    registered = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    delay_sum = models.IntegerField(default=0)  # working days, end date → registration date
    delay_max = models.IntegerField(null=True)
    requests = models.IntegerField(default=0)  # by the request's own month, agency, requester
    approved = models.IntegerField(default=0)
    provisions = models.IntegerField(default=0)  # by provision date, own agency, act officers

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency", "kind", "officer"], name="statcount_cell"
            )
        ]
        # The statistics and the dashboard: a period of months, act-level or officer rows.
        indexes = [
            models.Index(fields=["officer", "month"], name="statcount_officer_month"),
            # The pages without a kind read the ALL_KINDS rows of the act level.
            models.Index(fields=["kind", "officer", "month"], name="statcount_kind_month"),
        ]
        verbose_name = verbose_name_plural = "统计汇总"


class StatRule(RollupCell):
    """Acts of a cell with an active finding of a rule (各规则合规率, dashboard problems)."""

    rule_id = models.CharField(max_length=32)
    acts = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency", "kind", "officer", "rule_id"], name="statrule_cell"
            )
        ]
        # The rules table and the dashboard: a period of months, act-level or officer rows.
        indexes = [
            models.Index(fields=["officer", "month"], name="statrule_officer_month"),
            # The pages without a kind read the ALL_KINDS rows of the act level.
            models.Index(fields=["kind", "officer", "month"], name="statrule_kind_month"),
        ]


class StatDevice(RollupCell):
    """A device that recorded segments of the cell's acts (在用设备: counted distinct; by
    officer: the officer's own segments)."""

    device_id = models.IntegerField()
    segments = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency", "kind", "officer", "device_id"], name="statdevice_cell"
            )
        ]
        # The devices table: a period of months, act-level or officer rows.
        indexes = [
            models.Index(fields=["officer", "month"], name="statdevice_officer_month"),
            # The pages without a kind read the ALL_KINDS rows of the act level.
            models.Index(fields=["kind", "officer", "month"], name="statdevice_kind_month"),
            # Devices counted distinct per kind (the by-kind page): an index-only scan that
            # yields each kind's devices in order, where a scan of the rows had to sort them.
            models.Index(
                fields=["officer", "kind", "device_id", "month"], name="statdevice_kind_device"
            ),
        ]


class RollupMark(models.Model):
    """A cell whose rows are out of date, written in the transaction of the change.

    Either a cell (month, agency, kind) or an act (its current cell is looked up when the mark
    is applied) or, with neither, every cell (a holiday schedule changed the working days).
    Applied and deleted by ``rollups.apply_marks``; a change that rolls back takes its mark with it.
    """

    month = models.DateField(null=True)
    agency_id = models.IntegerField(null=True)
    kind = models.CharField(max_length=24, blank=True)
    act_id = models.IntegerField(null=True)

    def __str__(self):
        return f"act {self.act_id}" if self.act_id else f"{self.month} {self.agency_id} {self.kind}"


class RollupLock(models.Model):
    """One row, locked by whoever applies marks, so that two never rewrite a cell at once."""

    id = models.IntegerField(primary_key=True, default=1)

    def __str__(self):
        return "rollup lock"

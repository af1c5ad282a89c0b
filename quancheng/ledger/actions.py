"""The catalogue of ledger actions (账本事件): every action the platform records, with its
Chinese label and the article of 渝卫发〔2019〕70号 it serves.

Every ``record_event`` call names one of these; pages, alerts, reports and PDFs show
``Action.label`` (or ``label_of`` for a stored string), never the action string itself.
``ledger/tests/test_actions.py`` walks the source and fails on an action recorded that is not
here. An action string is part of the hashed ledger entry: a member's value never changes once
events carry it; a new action is a new member.
"""

from enum import StrEnum


class Action(StrEnum):
    """A ledger action: its value is the string stored in the event; ``label`` is what people read,
    ``basis`` the article (条) of 渝卫发〔2019〕70号 the event is evidence for."""

    label: str
    basis: str

    def __new__(cls, value: str, label: str, basis: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.basis = basis
        return member

    # 执法对象、执法行为与案件 (A2 全过程留痕, A20 一个对象的记录可一并查阅)
    SUBJECT_CREATED = "subject.created", "登记执法对象", "第二十条"
    SUBJECT_UPDATED = "subject.updated", "修改执法对象", "第二十条"
    ACT_CREATED = "act.created", "登记执法行为", "第二条"
    ACT_UPDATED = "act.updated", "修改执法行为", "第二条"
    ACT_OFFICERS_CHANGED = "act.officers_changed", "变更执法行为的执法人员", "第二十四条"
    CASE_CREATED = "case.created", "立案登记", "第十六条"
    CASE_UPDATED = "case.updated", "修改案件", "第十六条"
    CASE_OFFICERS_CHANGED = "case.officers_changed", "变更案件承办人员", "第二十四条"
    CASE_STAGE_CHANGED = "case.stage_changed", "变更案件阶段", "第十六条"

    # 记录 (A8–A12)
    SEGMENT_CREATED = "segment.created", "登记音像记录", "第十条"
    DOCUMENT_CREATED = "document.created", "登记执法文书", "第九条"
    DATARECORD_CREATED = "datarecord.created", "登记电子数据", "第十二条"
    SEGMENT_LINKED = "segment.linked", "音像记录关联执法行为", "第二十一条"
    DOCUMENT_LINKED = "document.linked", "执法文书关联执法行为", "第二十一条"
    DATARECORD_LINKED = "datarecord.linked", "电子数据关联执法行为", "第二十一条"
    SEGMENT_UNLINKED = "segment.unlinked", "音像记录解除关联", "第二十一条"
    DOCUMENT_UNLINKED = "document.unlinked", "执法文书解除关联", "第二十一条"
    DATARECORD_UNLINKED = "datarecord.unlinked", "电子数据解除关联", "第二十一条"
    SEGMENT_EVIDENCE_SET = "segment.evidence_set", "设置音像记录证据标记", "第二十二条"
    DOCUMENT_EVIDENCE_SET = "document.evidence_set", "设置执法文书证据标记", "第二十二条"
    DATARECORD_EVIDENCE_SET = "datarecord.evidence_set", "设置电子数据证据标记", "第二十二条"
    SEGMENT_DERIVATIVES_MADE = "segment.derivatives_made", "生成缩略图与播放文件", "第十条"
    SEGMENT_DERIVATIVES_FAILED = "segment.derivatives_failed", "生成播放文件失败", "第十条"
    SEGMENT_MARKED_UNREADABLE = "segment.marked_unreadable", "标记为无法解析", "第二十七条"
    SEGMENT_TIME_ENTERED = "segment.time_entered", "手工录入拍摄时间", "第十八条"
    SEGMENT_OSD_READ = "segment.osd_read", "识别画面时间", "第十八条"
    SEGMENT_PICTURE_OFFSET_CONFIRMED = (
        "segment.picture_offset_confirmed",
        "按画面时间确认设备时钟偏差",
        "第十八条",
    )
    DOCUMENT_SCAN_READ = "document.scan_read", "识别扫描件", "第九条"
    DOCUMENT_SCAN_CONFIRMED = "document.scan_confirmed", "确认扫描件识别结果", "第九条"
    DOCUMENT_SCAN_VIEWED = "document.scan_viewed", "查看扫描件识别结果", "第二十四条"
    DOCUMENT_SIGNATURE_CHECKED = "document.signature_checked", "核验电子签名", "第九条"
    DOCUMENT_SM2_SIGNED = "document.sm2_signed", "SM2 电子签名", "第九条"
    DOCUMENT_SM2_SIGNATURE_DOWNLOADED = (
        "document.sm2_signature_downloaded",
        "下载 SM2 签名文件",
        "第二十四条",
    )
    UPLOAD_CREATED = "upload.created", "开始上传", "第二十一条"
    UPLOAD_COMPLETED = "upload.completed", "上传完成", "第二十一条"
    UPLOAD_EXPIRED = "upload.expired", "上传过期作废", "第二十一条"
    UPLOAD_TERMINATED = "upload.terminated", "终止上传", "第二十一条"
    RECORDS_INGEST_RUN = "records.ingest_run", "采集站导入", "第二十一条"
    BLOB_SM3_COMPUTED = "blob.sm3_computed", "计算 SM3 摘要", "第二十条"
    DATARECORD_SM3_COMPUTED = "datarecord.sm3_computed", "补算电子数据 SM3 摘要", "第二十条"
    BLOB_REPAIRED = "blob.repaired", "从副本修复记录文件", "第二十条"

    # 查看与下载 (A24)
    SEGMENT_VIEWED = "segment.viewed", "查看音像记录", "第二十四条"
    SEGMENT_PLAYED = "segment.played", "播放音像记录", "第二十四条"
    SEGMENT_DOWNLOADED = "segment.downloaded", "下载音像记录原始文件", "第二十四条"
    DOCUMENT_VIEWED = "document.viewed", "查看执法文书", "第二十四条"
    DOCUMENT_DISPLAYED = "document.displayed", "在线阅览执法文书", "第二十四条"
    DOCUMENT_DOWNLOADED = "document.downloaded", "下载执法文书原始文件", "第二十四条"
    DATARECORD_VIEWED = "datarecord.viewed", "查看电子数据", "第二十四条"

    # 执法文书制作 (A9)
    DOCUMENTDRAFT_CREATED = "documentdraft.created", "起草执法文书", "第九条"
    DOCUMENTDRAFT_SAVED = "documentdraft.saved", "保存执法文书草稿", "第九条"
    DOCUMENTDRAFT_PREVIEWED = "documentdraft.previewed", "预览执法文书", "第九条"
    DOCUMENTDRAFT_NUMBER_RESERVED = "documentdraft.number_reserved", "取得文号", "第九条"
    DOCUMENTDRAFT_SIGNED = "documentdraft.signed", "签名", "第九条"
    DOCUMENTDRAFT_SIGNER_REFUSED = "documentdraft.signer_refused", "签名人拒绝签名", "第九条"
    DOCUMENTDRAFT_PARTY_REFUSED = "documentdraft.party_refused", "当事人拒绝签名", "第十六条"
    DOCUMENTDRAFT_FINALISED = "documentdraft.finalised", "执法文书定稿", "第九条"
    DOCUMENTDRAFT_CORRECTION_STARTED = (
        "documentdraft.correction_started",
        "更正已定稿的执法文书",
        "第九条",
    )
    DOCUMENTDRAFT_PARTY_COPY_MADE = "documentdraft.party_copy_made", "制作当事人送达件", "第十六条"
    DOCUMENTDRAFT_PARTY_COPY_DOWNLOADED = (
        "documentdraft.party_copy_downloaded",
        "下载当事人送达件",
        "第二十四条",
    )
    DOCUMENTDRAFT_PARTY_COPY_SERVED = "documentdraft.party_copy_served", "送达当事人", "第十六条"
    DOCUMENTTYPE_CREATED = "documenttype.created", "新增文书种类", "第四条"
    DOCUMENTTYPE_UPDATED = "documenttype.updated", "修改文书种类", "第四条"
    DOCUMENTTYPE_DELETED = "documenttype.deleted", "删除文书种类", "第四条"
    NUMBERINGCONFIG_CREATED = "numberingconfig.created", "新增文号规则", "第九条"
    NUMBERINGCONFIG_UPDATED = "numberingconfig.updated", "修改文号规则", "第九条"
    NUMBERINGCONFIG_DELETED = "numberingconfig.deleted", "删除文号规则", "第九条"
    AGENCYCERTIFICATE_IMPORTED = "agencycertificate.imported", "导入机构签名证书", "第九条"
    SM2CERTIFICATE_IMPORTED = "sm2certificate.imported", "导入 SM2 签名证书", "第九条"
    SM2ROOT_TRUSTED = "sm2root.trusted", "信任 SM2 根证书", "第九条"
    TRUSTEDCA_ADDED = "trustedca.added", "添加受信任的证书机构", "第九条"

    # 登记 (A21)
    REGISTRATION_REGISTERED = "registration.registered", "登记记录", "第二十一条"
    REGISTRATION_LATE_REQUESTED = "registration.late_requested", "申请延期登记", "第二十一条"
    REGISTRATION_LATE_APPROVED = "registration.late_approved", "批准延期登记", "第二十一条"
    REGISTRATION_LATE_REFUSED = "registration.late_refused", "不予批准延期登记", "第二十一条"
    HOLIDAY_SCHEDULE_LOADED = "holiday_schedule.loaded", "导入节假日安排", "第二十一条"
    HOLIDAY_SCHEDULE_REPLACED = "holiday_schedule.replaced", "更新节假日安排", "第二十一条"
    HOLIDAY_SCHEDULE_REMOVED = "holiday_schedule.removed", "删除节假日安排", "第二十一条"

    # 检查 (A11–A18)
    FINDING_OPENED = "finding.opened", "发现问题", "第十四条"
    FINDING_UPDATED = "finding.updated", "更新检查发现", "第十四条"
    FINDING_ANSWERED = "finding.answered", "答复检查发现", "第十四条"
    FINDING_ACCEPTED = "finding.accepted", "认可答复", "第十四条"
    FINDING_RETURNED = "finding.returned", "退回答复", "第十四条"
    FINDING_REOPENED = "finding.reopened", "重新提出检查发现", "第十四条"
    FINDING_CLOSED = "finding.closed", "检查发现已解决", "第十四条"
    EXPLANATION_ADDED = "explanation.added", "制作说明", "第十一条"
    EXPLANATION_ACCEPTED = "explanation.accepted", "工作记录审核同意", "第十三条"
    EXPLANATION_RETURNED = "explanation.returned", "工作记录退回", "第十三条"
    MARKER_ADDED = "marker.added", "添加标记", "第十八条"
    MARKER_WITHDRAWN = "marker.withdrawn", "撤销标记", "第十八条"
    COMPLIANCE_CONFIG_CHANGED = "compliance.config_changed", "修改规则配置", "第二十条"
    # Any versioned configuration (rules, score sheets, retention): quancheng/versioning.
    CONFIG_VERSION_PROPOSED = "config.version_proposed", "提出配置新版本", "第二十条"
    CONFIG_VERSION_REVISED = "config.version_revised", "修改待启用的配置版本", "第二十条"

    # 账本与完整性 (A20, A27)
    LEDGER_CHECKPOINT = "ledger.checkpoint", "签发账本检查点", "第二十条"
    LEDGER_VERIFIED = "ledger.verified", "校验账本", "第二十条"
    LEDGER_CHAIN_VERIFIED = "ledger.chain_verified", "校验账本哈希链", "第二十条"
    LEDGER_VERIFICATION_REQUESTED = "ledger.verification_requested", "申请校验账本", "第二十条"
    LEDGER_BUNDLE_MADE = "ledger.bundle_made", "制作账本核验包", "第二十条"
    LEDGER_KEYS_ROTATED = "ledger.keys_rotated", "轮换账本签名密钥", "第二十条"
    FIXITY_CHECKED = "fixity.checked", "校验记录文件", "第二十条"
    FIXITY_SWEEP_REQUESTED = "fixity.sweep_requested", "申请完整性校验", "第二十条"
    FIXITY_SWEEP_STARTED = "fixity.sweep_started", "开始完整性校验", "第二十条"
    FIXITY_SWEEP_RESUMED = "fixity.sweep_resumed", "继续完整性校验", "第二十条"
    FIXITY_SWEEP_COMPLETED = "fixity.sweep_completed", "完整性校验完成", "第二十条"
    WITNESS_LOG_REGISTERED = "witness.log_registered", "登记见证方", "第二十条"
    WITNESS_SUBMITTED = "witness.submitted", "提交见证", "第二十条"
    WITNESS_COSIGNED = "witness.cosigned", "见证方联署", "第二十条"
    WITNESS_REFUSED = "witness.refused", "见证方拒绝", "第二十七条"
    ALERT_RAISED = "alert.raised", "发出告警", "第二十七条"
    ALERT_CLOSED = "alert.closed", "告警已处理", "第二十七条"

    # 归档与保管 (A19, A22, A23)
    DOSSIER_ASSEMBLED = "dossier.assembled", "组卷", "第二十二条"
    DOSSIER_REFRESHED = "dossier.refreshed", "重新整理卷内材料", "第二十二条"
    DOSSIER_FROZEN = "dossier.frozen", "封卷归档", "第二十二条"
    DOSSIER_RECLASSIFIED = "dossier.reclassified", "变更保管期限", "第二十二条"
    DOSSIER_SUPPLEMENT_REQUESTED = "dossier.supplement_requested", "申请补充归档", "第二十二条"
    DOSSIER_SUPPLEMENT_APPROVED = "dossier.supplement_approved", "批准补充归档", "第二十二条"
    DOSSIER_SUPPLEMENT_REFUSED = "dossier.supplement_refused", "不予批准补充归档", "第二十二条"
    DOSSIER_SUPPLEMENTED = "dossier.supplemented", "补充归档", "第二十二条"
    DOSSIER_TOC_DOWNLOADED = "dossier.toc_downloaded", "下载卷内目录", "第二十二条"
    DOSSIER_VIEWED = "dossier.viewed", "查看案卷", "第二十四条"
    DOSSIER_CHECKED = "dossier.checked", "四性检测", "第二十条"
    DOSSIER_REPORT_DOWNLOADED = "dossier.report_downloaded", "下载四性检测报告", "第二十条"
    DOSSIER_TRANSFERRED = "dossier.transferred", "移交档案部门", "第二十二条"
    TRANSFER_REQUESTED = "transfer.requested", "申请移交档案部门", "第二十二条"
    TRANSFER_APPROVED = "transfer.approved", "批准移交", "第二十二条"
    TRANSFER_REFUSED = "transfer.refused", "不予批准移交", "第二十二条"
    TRANSFER_PACKAGING_STARTED = "transfer.packaging_started", "开始制作移交包", "第二十二条"
    TRANSFER_CHECKED = "transfer.checked", "移交前四性检测", "第二十二条"
    TRANSFER_PACKAGED = "transfer.packaged", "移交包已制作", "第二十二条"
    TRANSFER_FAILED = "transfer.failed", "移交包制作失败", "第二十二条"
    TRANSFER_PACKAGE_DOWNLOADED = "transfer.package_downloaded", "下载移交包", "第二十二条"
    RETENTION_NARROWED = "retention.narrowed", "认定不作为证据使用", "第二十二条"
    RETENTION_POLICY_CHANGED = "retention.policy_changed", "修改保管期限规则", "第二十二条"
    RETENTION_RECOMPUTED = "retention.recomputed", "重新计算保管期限", "第二十二条"
    ARCHIVE_RETENTION_CONFIG_CHANGED = (
        "archive.retention_config_changed",
        "修改保管期限配置",
        "第二十二条",
    )
    HOLD_REQUESTED = "hold.requested", "申请长期保存", "第二十三条"
    HOLD_APPROVED = "hold.approved", "批准长期保存", "第二十三条"
    HOLD_REFUSED = "hold.refused", "不予批准长期保存", "第二十三条"
    HOLD_NOT_APPLICABLE = "hold.not_applicable", "认定不适用长期保存", "第二十三条"
    HOLD_LIFT_REQUESTED = "hold.lift_requested", "申请解除长期保存", "第二十三条"
    HOLD_LIFT_REFUSED = "hold.lift_refused", "不予解除长期保存", "第二十三条"
    HOLD_LIFTED = "hold.lifted", "解除长期保存", "第二十三条"
    HOLD_OFFLINE_COPIES_QUEUED = "hold.offline_copies_queued", "安排离线备份", "第二十三条"
    OFFLINE_COPY_DONE = "offline_copy.done", "离线备份完成", "第二十三条"
    DISPOSAL_PROPOSED = "disposal.proposed", "申请销毁", "第二十二条"
    DISPOSAL_APPROVED = "disposal.approved", "批准销毁", "第二十二条"
    DISPOSAL_REFUSED = "disposal.refused", "不予批准销毁", "第二十二条"
    DISPOSAL_FAILED = "disposal.failed", "销毁未完成", "第二十二条"
    DISPOSAL_ITEM_KEPT = "disposal.item_kept", "保留未到期记录", "第二十二条"
    DISPOSAL_ATTEMPT_REFUSED = "disposal.attempt_refused", "拒绝违规销毁", "第二十七条"
    SEGMENT_DISPOSED = "segment.disposed", "销毁音像记录", "第二十二条"
    DOCUMENT_DISPOSED = "document.disposed", "销毁执法文书", "第二十二条"
    DATARECORD_DISPOSED = "datarecord.disposed", "销毁电子数据", "第二十二条"

    # 调阅、对外提供与证据提取 (A24)
    ACCESS_REQUESTED = "access.requested", "提交调阅申请", "第二十四条"
    ACCESS_APPROVED = "access.approved", "批准调阅", "第二十四条"
    ACCESS_REFUSED = "access.refused", "不予批准调阅", "第二十四条"
    ACCESS_WITHDRAWN = "access.withdrawn", "撤回调阅申请", "第二十四条"
    ACCESS_DENIED = "access.denied", "拒绝越权访问", "第二十四条"
    ACCESS_PROVIDED = "access.provided", "提供记录", "第二十四条"
    PROVISION_REQUESTED = "provision.requested", "申请对外提供", "第二十四条"
    PROVISION_APPROVED = "provision.approved", "批准对外提供", "第二十四条"
    PROVISION_REFUSED = "provision.refused", "不予批准对外提供", "第二十四条"
    PROVISION_REGISTERED = "provision.registered", "登记对外提供", "第二十四条"
    PROVISION_EXPORTED = "provision.exported", "制作对外提供导出包", "第二十四条"
    EXTRACTION_REQUESTED = "extraction.requested", "申请证据提取", "第二十四条"
    EXTRACTION_APPROVED = "extraction.approved", "批准证据提取", "第二十四条"
    EXTRACTION_REFUSED = "extraction.refused", "不予批准证据提取", "第二十四条"
    EXTRACTION_PRODUCTION_STARTED = "extraction.production_started", "开始制作提取包", "第二十四条"
    EXTRACTION_NOTE_MADE = "extraction.note_made", "制作提取说明", "第二十四条"
    EXTRACTION_NOTE_VIEWED = "extraction.note_viewed", "查看提取说明", "第二十四条"
    EXTRACTION_PRODUCED = "extraction.produced", "提取包制作完成", "第二十四条"
    EXTRACTION_FAILED = "extraction.failed", "提取包制作失败", "第二十四条"
    EXTRACTION_RETRIED = "extraction.retried", "重新制作提取包", "第二十四条"
    EXTRACTION_DOWNLOADED = "extraction.downloaded", "下载提取包", "第二十四条"
    REDACTION_REQUESTED = "redaction.requested", "申请制作脱敏副本", "第二十四条"
    REDACTION_APPROVED = "redaction.approved", "批准脱敏副本", "第二十四条"
    REDACTION_REFUSED = "redaction.refused", "不予批准脱敏副本", "第二十四条"
    REDACTION_PRODUCTION_STARTED = "redaction.production_started", "开始制作脱敏副本", "第二十四条"
    REDACTION_PRODUCED = "redaction.produced", "脱敏副本制作完成", "第二十四条"
    REDACTION_FAILED = "redaction.failed", "脱敏副本制作失败", "第二十四条"
    REDACTION_PLAYED = "redaction.played", "播放脱敏副本", "第二十四条"
    REDACTION_DOWNLOADED = "redaction.downloaded", "下载脱敏副本", "第二十四条"

    # 监督 (A25, A26)
    EVALUATION_CREATED = "evaluation.created", "开始考评", "第二十五条"
    EVALUATION_SCORED = "evaluation.scored", "考评评分", "第二十五条"
    EVALUATION_FINALISED = "evaluation.finalised", "考评定稿", "第二十五条"
    SCORESHEET_CHANGED = "scoresheet.changed", "修改考评评分表", "第二十五条"
    SPOTCHECK_DRAWN = "spotcheck.drawn", "抽取抽查样本", "第二十六条"
    SPOTCHECK_SCORED = "spotcheck.scored", "抽查评分", "第二十六条"
    SPOTCHECK_FINDING_RECORDED = "spotcheck.finding_recorded", "记录抽查问题", "第二十六条"
    SPOTCHECK_REPORT_ISSUED = "spotcheck.report_issued", "印发抽查通报", "第二十六条"
    SPOTCHECK_REPORT_DOWNLOADED = "spotcheck.report_downloaded", "下载抽查通报", "第二十六条"

    # 人员、设备与系统 (A6, A19, GB/T 22239)
    AGENCY_CREATED = "agency.created", "新增机构", "第四条"
    AGENCY_UPDATED = "agency.updated", "修改机构", "第四条"
    AGENCY_DELETED = "agency.deleted", "删除机构", "第四条"
    USER_CREATED = "user.created", "新增用户", "第二十四条"
    USER_UPDATED = "user.updated", "修改用户", "第二十四条"
    USER_DELETED = "user.deleted", "删除用户", "第二十四条"
    AUTH_LOGIN = "auth.login", "登录", "第二十四条"
    AUTH_LOGIN_FAILED = "auth.login_failed", "登录失败", "第二十四条"
    AUTH_LOGOUT = "auth.logout", "退出登录", "第二十四条"
    AUTH_UNLOCKED = "auth.unlocked", "解除账号锁定", "第二十四条"
    AUTH_SIGNING_PIN_SET = "auth.signing_pin_set", "设置签名口令", "第九条"
    AUTH_SIGNING_PIN_CHANGED = "auth.signing_pin_changed", "修改签名口令", "第九条"
    AUTH_SIGNING_PIN_RESET = "auth.signing_pin_reset", "重置签名口令", "第九条"
    AUTH_BREAK_GLASS_OPENED = "auth.break_glass_opened", "启用紧急访问", "第二十四条"
    AUTH_BREAK_GLASS_CLOSED = "auth.break_glass_closed", "结束紧急访问", "第二十四条"
    API_TOKEN_ISSUED = "api_token.issued", "签发接口令牌", "第六条"
    API_TOKEN_ROTATED = "api_token.rotated", "更换接口令牌", "第六条"
    API_TOKEN_REVOKED = "api_token.revoked", "吊销接口令牌", "第六条"
    DEVICE_CREATED = "device.created", "登记设备", "第六条"
    DEVICE_UPDATED = "device.updated", "修改设备", "第六条"
    DEVICE_DELETED = "device.deleted", "删除设备", "第六条"
    DEVICE_ASSIGNED = "device.assigned", "领用设备", "第十九条"
    DEVICE_ASSIGNMENT_ENDED = "device.assignment_ended", "归还设备", "第十九条"
    DEVICE_CLOCK_OFFSET_SET = "device.clock_offset_set", "设置设备时钟偏差", "第十八条"
    DEVICE_STATUS_CHANGED = "device.status_changed", "变更设备状态", "第十九条"
    DEVICE_MAINTENANCE_ADDED = "device.maintenance_added", "登记设备维护记录", "第十九条"
    DEVICE_DOCKED = "device.docked", "设备对接采集站", "第二十一条"
    DEVICEASSIGNMENT_CREATED = "deviceassignment.created", "登记设备领用", "第十九条"
    DEVICEASSIGNMENT_UPDATED = "deviceassignment.updated", "修改设备领用", "第十九条"
    DEVICEASSIGNMENT_DELETED = "deviceassignment.deleted", "删除设备领用", "第十九条"
    DATAKIND_CREATED = "datakind.created", "新增电子数据种类", "第十二条"
    DATAKIND_UPDATED = "datakind.updated", "修改电子数据种类", "第十二条"
    DATAKIND_DELETED = "datakind.deleted", "删除电子数据种类", "第十二条"
    INSTALLATION_BACKED_UP = "installation.backed_up", "备份平台", "第二十条"
    INSTALLATION_RESTORED = "installation.restored", "恢复平台", "第二十条"
    JOB_FAILED = "job.failed", "后台任务失败", "第二十条"
    JOB_RETRIED = "job.retried", "重新执行后台任务", "第二十条"


# What a page shows for a stored action the catalogue does not know (an event written by an
# older version under a name since retired): never the raw string.
UNKNOWN_LABEL = "其他事件"


def label_of(action: str) -> str:
    """The Chinese label of a stored action string."""
    try:
        return Action(action).label  # type: ignore[call-arg]  # a lookup by value, not a new member
    except ValueError:
        return UNKNOWN_LABEL


def basis_of(action: str) -> str:
    """The article a stored action string serves ("" when unknown)."""
    try:
        return Action(action).basis  # type: ignore[call-arg]  # a lookup by value, not a new member
    except ValueError:
        return ""


def catalogue_table() -> str:
    """The catalogue as the Markdown table in docs/ledger.md (``python -c "from
    quancheng.ledger.actions import catalogue_table; print(catalogue_table())"``)."""
    rows = [f"| `{a.value}` | {a.label} | {a.basis} |" for a in Action]
    return "\n".join(["| action | 中文 | 条 (渝卫发〔2019〕70号) |", "|---|---|---|", *rows]) + "\n"

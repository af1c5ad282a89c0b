"""The ledger's public proofs (账本证明): verifier key, latest checkpoint, inclusion and
consistency proofs. Text formats follow C2SP (signed-note, tlog-checkpoint, tlog-proof)."""

import base64
import datetime as dt

from django.http import HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from quancheng.ledger import keys
from quancheng.ledger.checkpoints import sm2_verifier_key, verifier_key
from quancheng.ledger.models import Checkpoint
from quancheng.ledger.proofs import ProofUnavailable, consistency, tlog_proof_text
from quancheng.ledger.tree import tree_root, tree_size

from . import errors
from .schemas import Error

router = Router(tags=["账本"])

TEXT = "text/plain; charset=utf-8"
TEXT_RESPONSES = {200: None, 401: Error, 404: Error, 422: Error}


def _text(body: str) -> HttpResponse:
    return HttpResponse(body, content_type=TEXT)


@router.get("/ledger/key", response=TEXT_RESPONSES, summary="账本验证公钥（C2SP vkey，纯文本）")
def ledger_key(request):
    return _text(verifier_key() + "\n")


@router.get(
    "/ledger/key/sm2",
    response=TEXT_RESPONSES,
    summary="账本 SM2 验证公钥（检查点第二行签名，国密 SM2/SM3；纯文本）",
)
def ledger_sm2_key(request):
    vkey = sm2_verifier_key()
    if vkey is None:
        return errors.error_response(404, "sm2_off", "本平台未启用 SM2 检查点签名")
    return _text(vkey + "\n")


class LedgerKeyOut(Schema):
    algorithm: str = Field(description="ed25519 或 sm2")
    vkey: str = Field(description="验证公钥（C2SP vkey）")
    valid_from: str | None = Field(description="启用时间（UTC，ISO 8601）；null 为日志开始时")
    valid_until: str | None = Field(description="停用时间（UTC）；null 为当前签名密钥")
    configured: bool = Field(description="是否为配置的初始密钥（而非轮换时平台生成的）")


@router.get(
    "/ledger/keys",
    response={200: list[LedgerKeyOut], 401: Error},
    summary="账本的全部验证公钥及其有效期（含轮换前的旧密钥）",
)
def ledger_keys(request):
    def iso(moment):
        return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None

    return [
        {
            "algorithm": p.algorithm,
            "vkey": p.vkey,
            "valid_from": iso(p.valid_from),
            "valid_until": iso(p.valid_until),
            "configured": p.configured,
        }
        for p in keys.history()
    ]


@router.get(
    "/ledger/checkpoint", response=TEXT_RESPONSES, summary="最新签名检查点（C2SP signed note）"
)
def ledger_checkpoint(request):
    checkpoint = Checkpoint.objects.order_by("-size").first()
    if checkpoint is None:
        return errors.error_response(404, "no_checkpoint", "尚无签名检查点")
    return _text(checkpoint.signed_note)


class ProofQuery(Schema):
    seq: int = Field(ge=1, description="事件序号")
    size: int | None = Field(None, ge=1, description="检查点的树大小；缺省为最新检查点")


@router.get(
    "/ledger/proof",
    response=TEXT_RESPONSES,
    summary="事件包含证明（C2SP tlog-proof，纯文本）",
)
def ledger_proof(request, query: Query[ProofQuery]):
    try:
        return _text(tlog_proof_text(query.seq, query.size))
    except ProofUnavailable as e:
        return errors.error_response(404, "proof_unavailable", _proof_message(e))


def _proof_message(e: ProofUnavailable) -> str:
    text = str(e)
    if "not yet covered" in text:
        return "该事件尚未被签名检查点覆盖，请稍后再试"
    if "no signed checkpoint" in text:
        return "该树大小没有签名检查点"
    return "事件不存在"


class ConsistencyQuery(Schema):
    old: int = Field(ge=1, description="旧树大小")
    new: int = Field(ge=1, description="新树大小")


class ConsistencyOut(Schema):
    old: int
    new: int
    old_root: str = Field(description="旧树根哈希，base64")
    new_root: str = Field(description="新树根哈希，base64")
    proof: list[str] = Field(description="RFC 9162 一致性证明，base64，每项一个哈希")


@router.get(
    "/ledger/consistency",
    response={200: ConsistencyOut, 401: Error, 404: Error, 422: Error},
    summary="两个树大小之间的一致性证明",
)
def ledger_consistency(request, query: Query[ConsistencyQuery]):
    if query.old > query.new:
        return errors.error_response(422, "invalid_input", "旧树大小不能大于新树大小")
    if query.new > tree_size():
        return errors.error_response(404, "not_found", "新树大小超出账本事件数")
    return {
        "old": query.old,
        "new": query.new,
        "old_root": base64.b64encode(tree_root(query.old)).decode(),
        "new_root": base64.b64encode(tree_root(query.new)).decode(),
        "proof": [base64.b64encode(h).decode() for h in consistency(query.old, query.new)],
    }

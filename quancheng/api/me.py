"""Who the token belongs to, and the token's own rotation."""

from ninja import Router, Status

from quancheng.orgs.services import rotate_api_token

from . import responses
from .schemas import MeOut, RotatedTokenOut, me

router = Router(tags=["令牌"])


@router.get("/me", response={200: MeOut, **responses.LIST}, summary="当前令牌的用户、机构和角色")
def get_me(request):
    return me(request.user, request.api_token)


@router.post(
    "/me/token/rotate",
    response={201: RotatedTokenOut, **responses.LIST},
    summary="轮换当前令牌：返回新密钥，旧令牌立即失效",
)
def post_token_rotation(request):
    token, secret = rotate_api_token(request.user, request.api_token)
    return Status(201, {"token": token, "secret": secret})

"""Who the token belongs to."""

from ninja import Router

from . import responses
from .schemas import MeOut, me

router = Router(tags=["令牌"])


@router.get("/me", response={200: MeOut, **responses.LIST}, summary="当前令牌的用户、机构和角色")
def get_me(request):
    return me(request.user, request.api_token)

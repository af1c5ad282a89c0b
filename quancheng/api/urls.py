from ninja import NinjaAPI

api = NinjaAPI(title="Quancheng API", version="1", urls_namespace="api")

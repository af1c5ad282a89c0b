"""The API docs page (Swagger UI) served from django-ninja's bundled files, never from a CDN.

django-ninja renders its local bundle only when "ninja" is in INSTALLED_APPS (otherwise it links
a CDN). The platform runs on intranets, so the page and its files are served here instead:
the HTML has no inline script (the settings travel as a JSON data block read by ninja's own
swagger-ui-init.js), which keeps it within the platform's Content-Security-Policy.
"""

import mimetypes
from pathlib import Path

import ninja
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, json_script
from ninja.openapi.docs import DocsBase

NINJA_STATIC = Path(ninja.__file__).resolve().parent / "static" / "ninja"
ASSETS = {
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-init.js",
    "favicon.svg",
    "favicon.png",
}
ASSET_URL_NAME = "docs-asset"

PAGE = """<!DOCTYPE html>
<html lang="zh-hans">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" href="{icon}" type="image/svg+xml">
</head>
<body>
{settings}
<div id="swagger-ui"></div>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""


class OfflineSwagger(DocsBase):
    def render_page(self, request, api, **kwargs) -> HttpResponse:
        namespace = api.urls_namespace

        def asset(name: str) -> str:
            return reverse(f"{namespace}:{ASSET_URL_NAME}", kwargs={"name": name})

        swagger_settings = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            "deepLinking": True,
            "persistAuthorization": False,
        }
        html = format_html(
            PAGE,
            title=f"{api.title} {api.version}",
            css=asset("swagger-ui.css"),
            icon=asset("favicon.svg"),
            bundle=asset("swagger-ui-bundle.js"),
            init=asset("swagger-ui-init.js"),
            settings=json_script(swagger_settings, "swagger-settings"),
        )
        return HttpResponse(html)


def asset_view(request, name: str) -> FileResponse:
    if name not in ASSETS:
        raise Http404(name)
    content_type, _ = mimetypes.guess_type(name)
    response = FileResponse(
        (NINJA_STATIC / name).open("rb"), content_type=content_type or "application/octet-stream"
    )
    response["Cache-Control"] = "public, max-age=86400"
    return response

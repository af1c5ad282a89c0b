import re

from django.test import Client

PATHS = {
    "/api/v1/me": {"get"},
    "/api/v1/me/token/rotate": {"post"},
    "/api/v1/subjects": {"get", "post"},
    "/api/v1/subjects/{subject_id}": {"get", "patch"},
    "/api/v1/acts": {"get", "post"},
    "/api/v1/acts/{act_id}": {"get", "patch"},
    "/api/v1/cases": {"get", "post"},
    "/api/v1/cases/{case_id}": {"get", "patch"},
    "/api/v1/cases/{case_id}/stage": {"post"},
    "/api/v1/alerts": {"get"},
    "/api/v1/ledger/key": {"get"},
    "/api/v1/ledger/key/sm2": {"get"},
    "/api/v1/ledger/keys": {"get"},
    "/api/v1/ledger/checkpoint": {"get"},
    "/api/v1/ledger/proof": {"get"},
    "/api/v1/ledger/consistency": {"get"},
    "/api/v1/acts/{act_id}/registration": {"get", "post"},
    "/api/v1/acts/{act_id}/segments": {"post"},
    "/api/v1/acts/{act_id}/documents": {"post"},
    "/api/v1/acts/{act_id}/records": {"get"},
    "/api/v1/segments/{segment_id}/time": {"post"},
    "/api/v1/documents/{document_id}/scan-reading": {"get"},
    "/api/v1/documents/{document_id}/scan-reading/confirmation": {"post"},
    "/api/v1/data-kinds": {"get"},
    "/api/v1/data-records": {"post"},
    "/api/v1/devices": {"get"},
    "/api/v1/devices/{device_id}": {"get"},
    "/api/v1/devices/{device_id}/docked": {"post"},
    "/api/v1/document-types": {"get"},
    "/api/v1/acts/{act_id}/document-drafts": {"post"},
    "/api/v1/document-drafts/{draft_id}": {"get", "put"},
    "/api/v1/document-drafts/{draft_id}/signatures": {"post"},
    "/api/v1/document-drafts/{draft_id}/finalise": {"post"},
    "/api/v1/dossiers": {"get"},
    "/api/v1/dossiers/{dossier_id}": {"get"},
    "/api/v1/dossiers/{dossier_id}/supplement-requests": {"post"},
    "/api/v1/dossiers/{dossier_id}/seal": {"post"},
    "/api/v1/evaluations/{evaluation_id}/finalise": {"post"},
    "/api/v1/supplement-requests/{request_id}/decision": {"post"},
    "/api/v1/acts/{act_id}/late-requests": {"post"},
    "/api/v1/late-requests/{request_id}/decision": {"post"},
    "/api/v1/access-requests": {"get", "post"},
    "/api/v1/access-requests/{request_id}": {"get"},
    "/api/v1/access-requests/{request_id}/decision": {"post"},
    "/api/v1/access-requests/{request_id}/withdraw": {"post"},
    "/api/v1/extractions": {"get", "post"},
    "/api/v1/extractions/{extraction_id}": {"get"},
    "/api/v1/extractions/{extraction_id}/decision": {"post"},
    "/api/v1/extractions/{extraction_id}/package": {"get"},
    "/api/v1/provisions": {"get", "post"},
    "/api/v1/provisions/{provision_id}": {"get"},
    "/api/v1/provisions/{provision_id}/decision": {"post"},
    "/api/v1/provisions/{provision_id}/provided": {"post"},
    "/api/v1/retention/{kind}/{item_id}": {"get"},
    "/api/v1/retention/{kind}/{item_id}/narrowing": {"post"},
    "/api/v1/disposals": {"post"},
    "/api/v1/disposals/{proposal_id}/decision": {"post"},
    "/api/v1/acts/{act_id}/longterm-waiver": {"post"},
    "/api/v1/retention/config": {"get", "post"},
    "/api/v1/acts/{act_id}/findings": {"get"},
    "/api/v1/acts/{act_id}/next-steps": {"get"},
    "/api/v1/findings/{finding_id}/answer": {"post"},
    "/api/v1/findings/{finding_id}/decision": {"post"},
    "/api/v1/acts/{act_id}/markers": {"get", "post"},
    "/api/v1/acts/{act_id}/explanations": {"get", "post"},
    "/api/v1/explanations/{explanation_id}/review": {"post"},
}


def test_openapi_document_and_docs_need_a_login_or_a_token(db):
    for url in ("/api/v1/openapi.json", "/api/v1/docs"):
        response = Client().get(url)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"


def test_openapi_document_lists_the_paths(officer):
    client = Client()
    client.force_login(officer)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    assert {path: set(ops) for path, ops in doc["paths"].items()} == PATHS
    assert doc["components"]["securitySchemes"] == {
        "TokenAuth": {"type": "http", "scheme": "bearer"}
    }
    assert "Error" in doc["components"]["schemas"]
    post_acts = doc["paths"]["/api/v1/acts"]["post"]
    assert {"201", "400", "401", "403", "404", "422"} <= set(post_acts["responses"])
    started = doc["components"]["schemas"]["ActCreate"]["properties"]["started_at"]
    assert started["format"] == "date-time"


def test_docs_page_uses_no_cdn_and_no_inline_script(officer):
    client = Client()
    client.force_login(officer)
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    for attrs, _body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in attrs or 'type="application/json"' in attrs
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for asset in re.findall(r"""(?:src|href)="(/api/v1/docs/assets/[^"]+)\"""", html):
        assert Client().get(asset).status_code == 200, asset
    assert 'id="swagger-settings"' in html and "/api/v1/openapi.json" in html


def test_docs_assets_are_only_the_bundled_files(db):
    client = Client()
    response = client.get("/api/v1/docs/assets/swagger-ui-bundle.js")
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    missing = client.get("/api/v1/docs/assets/..%2F..%2Fmain.py")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_browser_without_a_session_is_sent_to_the_login_page(db):
    for url in ("/api/v1/docs", "/api/v1/openapi.json"):
        response = Client().get(url, headers={"Accept": BROWSER_ACCEPT})
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={url}"


def test_api_clients_without_a_token_still_get_json_401(db):
    for url in ("/api/v1/docs", "/api/v1/openapi.json"):
        for headers in (
            {"Accept": "*/*"},
            {"Accept": "application/json"},
            {"Accept": BROWSER_ACCEPT, "Authorization": "Bearer qc_wrong"},
        ):
            response = Client().get(url, headers=headers)
            assert response.status_code == 401, (url, headers)
            assert response.json()["code"] == "unauthorized"


def test_after_logging_in_the_browser_comes_back_to_the_docs(officer):
    from quancheng.conftest import PASSWORD

    client = Client()
    login = client.get("/api/v1/docs", headers={"Accept": BROWSER_ACCEPT})["Location"]
    response = client.post(login, {"username": officer.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/api/v1/docs"
    assert client.get("/api/v1/docs", headers={"Accept": BROWSER_ACCEPT}).status_code == 200

"""The HTTP API on the web app's own port: JSON endpoints, errors as JSON, the OpenAI-compatible
chat endpoint through the real ``openai`` client, and the UI's login guarding all of it."""

from __future__ import annotations

import httpx
import pytest

SHELL_Q = "How long does it take for the shell to reach its target?"
SHELL = "It takes around 40 seconds for the shell to reach its target."


@pytest.fixture(scope="module")
def http(served):
    url, _ = served
    with httpx.Client(base_url=url.rstrip("/"), timeout=60) as client:
        yield client


def test_ask_returns_quotes_whose_spans_slice_the_article_text(http):
    answer = http.post("/v1/ask", json={"question": SHELL_Q}).json()
    quote = next(q for q in answer["quotes"] if SHELL in q["text"])
    article = http.get(f"/v1/articles/{quote['article']['id']}").json()
    assert article["text"][quote["start"] : quote["end"]] == quote["text"]
    assert quote["article"]["outlet"] == "Al Jazeera"


def test_search_info_and_the_article_list(http):
    passages = http.post("/v1/search", json={"question": "Bakhmut", "k": 3}).json()["passages"]
    assert passages and all(p["article"]["outlet"] for p in passages)
    info = http.get("/v1/info").json()
    assert info["counts"]["articles"] >= 1 and "Al Jazeera" in info["outlets"]
    listed = http.get("/v1/articles", params={"outlet": "al jazeera"}).json()["articles"]
    assert listed and all(a["outlet"] == "Al Jazeera" for a in listed)
    assert http.get("/v1/articles", params={"since": "2030-01-01"}).json()["articles"] == []


def test_an_article_added_over_http_is_answerable_then_deleted(http):
    added = http.post(
        "/v1/articles",
        json={
            "text": "The ferry to Hiddensee resumed on Sunday after storms, the operator said.",
            "title": "Ferry resumes",
            "outlet": "Island Wire",
            "published": "2022-10-09",
        },
    ).json()
    assert len(added["added"]) == 1 and "1 added" in added["summary"]
    answer = http.post("/v1/ask", json={"question": "When did the ferry to Hiddensee resume?"})
    assert any("Hiddensee" in q["text"] for q in answer.json()["quotes"])
    removed = http.delete(f"/v1/articles/{added['added'][0]}").json()
    assert removed["removed"] == added["added"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "says"),
    [
        (
            "post",
            "/v1/ask",
            {"question": "x", "since": "2023-02-01", "until": "2023-01-01"},
            400,
            "swap",
        ),
        ("delete", "/v1/articles/nope", None, 404, "no article with id nope"),
        ("get", "/v1/articles/nope", None, 404, "no article with id nope"),
        (
            "post",
            "/v1/chat/completions",
            {"messages": [{"role": "system", "content": "hi"}]},
            400,
            "last message",
        ),
    ],
)
def test_errors_are_json_with_the_reason(http, method, path, body, status, says):
    response = getattr(http, method)(path, **({"json": body} if body else {}))
    assert response.status_code == status
    assert says in response.json()["error"]["message"]


def test_the_openai_client_gets_the_quoted_answer_streamed_or_not(served):
    from openai import OpenAI

    client = OpenAI(base_url=served[0] + "v1", api_key="unused", timeout=60)
    assert [m.id for m in client.models.list()] == ["report-assistant"]
    messages = [{"role": "user", "content": SHELL_Q}]
    whole = client.chat.completions.create(model="report-assistant", messages=messages)
    content = whole.choices[0].message.content
    assert SHELL in content and "Al Jazeera" in content
    streamed = client.chat.completions.create(
        model="report-assistant", messages=messages, stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == content


def test_update_from_server_paths_is_off_unless_roots_are_set(http, served, tmp_path):
    refused = http.post("/v1/update", json={"paths": ["/etc"]})
    assert (
        refused.status_code == 403
        and "ASSISTANT_API_UPDATE_ROOTS" in refused.json()["error"]["message"]
    )
    _, assistant = served
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "note.txt").write_text("Harbour note\n\nThe harbour reopened on Friday.")
    before = assistant.settings
    assistant.settings = before.replace(api_update_roots=str(inbox))
    try:
        from fastapi.testclient import TestClient

        from assistant.http import create_api

        api = TestClient(create_api(assistant))
        outside = api.post("/v1/update", json={"paths": ["/etc/passwd"]})
        assert outside.status_code == 403 and "outside" in outside.json()["error"]["message"]
        inside = api.post("/v1/update", json={"paths": [str(inbox)]})
        assert inside.status_code == 200 and len(inside.json()["added"]) == 1
    finally:
        assistant.settings = before


def test_the_api_is_documented(http):
    assert http.get("/v1/docs").status_code == 200
    assert http.get("/docs", follow_redirects=True).url.path == "/v1/docs"
    paths = http.get("/v1/openapi.json").json()["paths"]
    assert {"/v1/ask", "/v1/search", "/v1/chat/completions", "/v1/models"} <= set(paths)


def test_the_ui_login_guards_the_api(served_with_login):
    from openai import AuthenticationError, OpenAI

    url = served_with_login[0].rstrip("/")
    refused = httpx.get(url + "/v1/info")
    assert refused.status_code == 401 and "log in" in refused.json()["error"]["message"]
    assert httpx.get(url + "/v1/info", auth=("desk", "s3cret")).status_code == 200
    assert httpx.get(url + "/v1/info", auth=("desk", "wrong")).status_code == 401
    with pytest.raises(AuthenticationError):
        OpenAI(base_url=url + "/v1", api_key="wrong").models.list()
    answer = OpenAI(base_url=url + "/v1", api_key="s3cret").chat.completions.create(
        model="report-assistant", messages=[{"role": "user", "content": SHELL_Q}]
    )
    assert SHELL in answer.choices[0].message.content

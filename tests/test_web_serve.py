"""`reader watch --serve`: the web edition on 127.0.0.1 with live reload, and nothing else."""

from __future__ import annotations

import http.client
import threading

import pytest

from conftest import essay, run
from reader.build.serve import Server, with_reload

PAGE = ('<!DOCTYPE html><html lang="en"><head><meta http-equiv="Content-Security-Policy" '
        'content="default-src \'none\'; script-src \'none\'; style-src \'self\'" />'
        '</head><body><p>Hello</p></body></html>')


@pytest.fixture
def server(tmp_path):
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text(PAGE)
    (web / "style.css").write_text("p { color: black; }")
    (web / "sub").mkdir()
    (tmp_path / "secret.txt").write_text("not for the web")
    served = Server(web, 0).start()
    yield served
    served.stop()


def get(server: Server, path: str, host: str | None = None):  # noqa: ANN201
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", path, headers={"Host": host or f"127.0.0.1:{server.port}"})
    response = conn.getresponse()
    return response.status, response.read().decode("utf-8", "replace")


def test_pages_are_served_with_reader_s_reload_script_only(server):
    status, body = get(server, "/")
    assert status == 200
    nonce = body.split("script-src 'nonce-", 1)[1].split("'", 1)[0]
    assert f'<script nonce="{nonce}">new EventSource("/__reader/events")' in body
    assert "script-src 'none'" not in body and "connect-src 'self'" in body
    assert body.count("<script") == 1
    assert get(server, "/style.css") == (200, "p { color: black; }")

def test_the_built_files_keep_their_policy(server, tmp_path):
    get(server, "/index.html")
    assert (tmp_path / "web" / "index.html").read_text() == PAGE


def test_only_this_machine_and_only_the_edition(server):
    assert server.httpd.server_address[0] == "127.0.0.1"
    assert get(server, "/", host="evil.example")[0] == 403       # DNS rebinding
    assert get(server, "/sub/")[0] == 404                        # no folder listings
    assert get(server, "/../secret.txt")[0] == 404
    assert get(server, "/%2e%2e/secret.txt")[0] == 404


def test_a_rebuild_tells_open_pages_to_reload(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/__reader/events", headers={"Host": f"127.0.0.1:{server.port}"})
    response = conn.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"
    threading.Timer(0.3, server.live.bump).start()
    assert response.fp.readline() == b"data: reload\n"
    conn.close()


@pytest.mark.unit
def test_with_reload_keeps_the_file_s_policy_otherwise():
    served = with_reload(PAGE.encode(), "abc").decode()
    assert "default-src 'none'" in served and "style-src 'self'" in served
    assert "script-src 'nonce-abc'; connect-src 'self'" in served


def test_watch_serve_needs_a_web_edition(course):
    course.write("e.md", essay("One", "Text."))
    course.manifest({"title": "T", "outputs": ["pdf"], "contents": [{"essay": "e.md"}]})
    result = run("watch", str(course.root), "--serve", "--port", "0")
    assert result.exit_code == 1
    assert "does not list web" in result.output

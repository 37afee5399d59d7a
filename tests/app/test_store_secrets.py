"""A password in any form of the database URL is never printed: not in a message, a log line, the command line's
output or a rendered page — whether the database answers or not.

Forms: ``user:PASSWORD@``, ``?password=``, ``?sslpassword=``, ``?sslkey=``, a ``*token*`` parameter, the
``[connections.ktxh]`` section of the Streamlit secrets (``password =`` and ``url =``), and a URL the parser refuses.
Before this change the ``?password=`` form was printed by the command line and, with the database down, shown on
the map page to anonymous visitors.
"""

import logging
import os
import socket
from pathlib import Path

import pytest
from shapely.geometry import Point
from sqlalchemy import make_url
from store_helpers import pg_schema
from streamlit.testing.v1 import AppTest

from ktxh_geo.errors import KtxhError
from ktxh_geo.io import db, register, store
from ktxh_geo.model import auth, slides
from ktxh_geo.vocab import signed_in

SECRET = "Bi-Mat-9f3Kq"
ROOT = Path(__file__).resolve().parents[2]
AN = signed_in("an", "password")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _forms(base: str) -> dict[str, str]:
    """Every form of a secret in a URL, on top of ``base`` (a working or an unreachable store URL)."""
    url = make_url(base)
    plain = base.replace(f"{url.username}@", f"{url.username}:{SECRET}@")
    glue = "&" if "?" in base else "?"
    return {
        "userinfo": plain,
        "password": f"{base}{glue}password={SECRET}",
        "sslpassword": f"{base}{glue}sslpassword={SECRET}",
        "sslkey": f"{base}{glue}sslkey=/tmp/{SECRET}.key",
        "token": f"{base}{glue}api_token={SECRET}",
    }


def _secrets_file(tmp_path: Path, base: str, form: str) -> Path:
    url = make_url(base)
    path = tmp_path / "secrets.toml"
    if form == "secrets-password":
        options = f'query = {{ options = "{url.query["options"]}" }}' if "options" in url.query else ""
        body = (
            f'dialect = "postgresql"\ndriver = "psycopg"\nhost = "{url.host}"\nport = {url.port}\n'
            f'database = "{url.database}"\nusername = "{url.username}"\npassword = "{SECRET}"\n{options}\n'
        )
    else:
        body = f'url = "{_forms(base)["userinfo"]}"\n'
    editors = f'[editors]\n"an" = "{auth.hash_password("mat-khau-1", 1000)}"\n'
    path.write_text(f"{editors}[connections.ktxh]\n{body}", encoding="utf-8")
    return path


def _configure(monkeypatch, tmp_path: Path, base: str, form: str) -> str:
    """Point the app at the store through ``form``; returns the URL (or "" when it comes from the secrets)."""
    monkeypatch.setenv("KTXH_STATE_DIR", str(tmp_path / "state"))
    if form.startswith("secrets-"):
        monkeypatch.delenv(db.ENV_URL, raising=False)
        monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(_secrets_file(tmp_path, base, form)))
        return ""
    url = _forms(base)[form] if form != "unparsable" else f"postgresql+psycopg://u:{SECRET}@127.0.0.1:port/db"
    monkeypatch.setenv(db.ENV_URL, url)
    editors = tmp_path / "editors.toml"
    editors.write_text(f'[editors]\n"an" = "{auth.hash_password("mat-khau-1", 1000)}"\n', encoding="utf-8")
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(editors))
    return url


def _everything(tmp_path: Path, capsys) -> str:
    """What the store says through every door: its API, the command line, and two rendered pages."""
    from ktxh_geo.__main__ import main

    said = []
    for action in (
        lambda: store.latest_version(),
        lambda: store.save(
            [store.Cell("poverty_rate", "07243", "2020-2024", 2023, 1.5)],
            editor=AN,
            source="QĐ 1",
            action="edit",
            dataset="poverty_rate",
        ),
        lambda: register.save_location("cho_bo_ha", Point(106.19, 21.44), AN, action="set_point", input_text=""),
        lambda: slides.add_slide(slides.Slide("Trang", {}), AN),
        lambda: auth.record_failure("an"),
        lambda: store.store_path(),
        lambda: db.state_version(),
    ):
        try:
            said.append(str(action()))
        except KtxhError as exc:
            said.append(str(exc))
    data = tmp_path / "so_lieu.csv"
    data.write_text('Tên xã,Tỷ lệ hộ nghèo (%)\nĐông Sơn,"1,5"\n', encoding="utf-8")
    for args in (
        ["db", "upgrade"],
        ["db", "backup", "--to", str(tmp_path / "sao-luu.sqlite")],
        ["db", "copy", "--from", os.environ.get(db.ENV_URL) or "sqlite:///k.sqlite", "--to", f"sqlite:///{tmp_path}/c"],
        ["import", str(data), "--dataset", "poverty_rate", "--year", "2023", "--source", "QĐ", "--user", "an"],
        ["check-locations"],
    ):
        main(args)  # in this process: its logs are captured too (exit codes are tested in test_store_faults)
        out = capsys.readouterr()
        said += [out.out, out.err]
    for page in ("views/ban_do.py", "views/nhap_lieu.py"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        at.run()
        at.switch_page(page).run()
        assert not at.exception, at.exception
        said += [
            str(e.value)
            for kind in ("warning", "error", "info", "success", "markdown", "caption")
            for e in at.get(kind)
        ]
    return "\n".join(said)


@pytest.mark.parametrize(
    "form", ["userinfo", "password", "sslpassword", "sslkey", "token", "secrets-password", "secrets-url", "unparsable"]
)
@pytest.mark.parametrize("reachable", [True, False], ids=["database-up", "database-down"])
def test_a_password_in_the_url_is_never_printed(form, reachable, pg_url, tmp_path, monkeypatch, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # every logger, every level
    if reachable:
        with pg_schema(pg_url) as base:
            _configure(monkeypatch, tmp_path, base, form)
            said = _everything(tmp_path, capsys)
            db.dispose()
    else:
        _configure(monkeypatch, tmp_path, f"postgresql+psycopg://ktxh@127.0.0.1:{_closed_port()}/ktxh", form)
        said = _everything(tmp_path, capsys)
        db.dispose()
    logged = "\n".join(r.getMessage() + (str(r.exc_info[1]) if r.exc_info else "") for r in caplog.records)
    assert SECRET not in said and SECRET not in logged
    assert "không" in said  # something was said in Vietnamese (a refusal, a notice or a result)


def test_the_command_line_shows_where_the_store_is_with_the_secrets_masked(pg_url, tmp_path, capsys):
    from ktxh_geo.__main__ import main

    with pg_schema(pg_url, upgrade=False) as base:
        url = _forms(base)["userinfo"] + f"&sslpassword={SECRET}"
        assert main(["db", "upgrade", "--url", url]) == 0
        out = capsys.readouterr().out
        assert SECRET not in out and "postgres:***@127.0.0.1" in out and "sslpassword=***" in out
        db.dispose()

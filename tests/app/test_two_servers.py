"""Two app servers sharing one PostgreSQL: a save through one shows on the other at its next rerun, and a save over
a figure changed on the other server meanwhile is refused.

Two real ``streamlit run app.py`` servers start on two ports with ``KTXH_DATABASE_URL`` set (each with its own
state folder, so nothing is shared through files). A session of "server B" is an AppTest in a separate process
(its own Streamlit caches): it renders /ban-do, then — after a figure and a location are saved through the store
API as "server A" — reruns and must show the new value in the map's data table and the edit in the history.
"""

import os
import subprocess
import sys
import textwrap
import urllib.request
import uuid

import pytest
from browser import streamlit_server
from shapely.geometry import Point
from sqlalchemy import create_engine, text

from ktxh_geo.io import db, register, store
from ktxh_geo.model.auth import signed_in

SESSION_B = textwrap.dedent(
    """
    import sys
    from streamlit.testing.v1 import AppTest
    from ktxh_geo.io.register import read_history

    def value(at):
        table = next(df.value for df in at.dataframe if "Giá trị" in df.value.columns)
        return table.set_index("Mã").at["07273", "Giá trị"]

    at = AppTest.from_file(sys.argv[1], default_timeout=90)
    at.run()
    at.switch_page("views/ban_do.py")
    for k, v in {"indicator": "poverty_rate", "year": "2023"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    print("before", value(at), flush=True)
    sys.stdin.readline()  # server A saves now
    at.run()
    assert not at.exception, at.exception
    print("after", value(at), flush=True)
    print("history", ",".join(read_history()["who"]), flush=True)
    """
)


@pytest.fixture()
def shared_db(pg_url):
    name = "t_" + uuid.uuid4().hex[:12]
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    url = f"{pg_url}?options=-csearch_path%3D{name},public"
    db.upgrade(db.from_url(url))
    try:
        yield url
    finally:
        db.dispose(db.from_url(url))
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()


def test_a_save_on_one_server_shows_on_the_other(shared_db, tmp_path, monkeypatch):
    app = os.path.join(os.path.dirname(__file__), "..", "..", "app.py")
    env_a = {db.ENV_URL: shared_db, "KTXH_STATE_DIR": str(tmp_path / "a")}
    env_b = {db.ENV_URL: shared_db, "KTXH_STATE_DIR": str(tmp_path / "b")}
    with streamlit_server(env_a) as url_a, streamlit_server(env_b) as url_b:
        for url in (url_a, url_b):
            assert urllib.request.urlopen(url + "/ban-do", timeout=30).status == 200
        session_b = subprocess.Popen(
            [sys.executable, "-c", SESSION_B, os.path.abspath(app)],
            env={**os.environ, **env_b},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            before = session_b.stdout.readline().split(" ", 1)
            assert before[0] == "before" and "1,25" not in before[1]
            # server A's process writes (same code path as its pages: store.save / register.save_location)
            monkeypatch.setenv(db.ENV_URL, shared_db)
            monkeypatch.setenv("KTXH_STATE_DIR", str(tmp_path / "a"))
            cell = store.Cell("poverty_rate", "07273", "2020-2024", 2023, 1.25)
            ed = signed_in("Cán bộ A", "password")
            store.save([cell], editor=ed, source="Báo cáo 2023", action="import", dataset="poverty_rate", year=2023)
            register.save_location("cho_bo_ha", Point(106.19, 21.44), ed, action="set_point", input_text="")
            session_b.stdin.write("go\n")
            session_b.stdin.flush()
            after = session_b.stdout.readline().strip()
            history = session_b.stdout.readline().strip()
            assert session_b.wait(120) == 0
        finally:
            if session_b.poll() is None:
                session_b.kill()
        assert after.startswith("after") and "1,25" in after, after
        assert history == "history Cán bộ A"
        assert not (tmp_path / "a" / "ktxh_store.sqlite").exists() and not (tmp_path / "b").exists()


SESSION_B_EDITOR = textwrap.dedent(
    """
    import sys
    from import_corpus import csv_bytes
    from streamlit.testing.v1 import AppTest
    from ktxh_geo.model.auth import hash_password

    at = AppTest.from_file(sys.argv[1], default_timeout=90)
    at.secrets["editors"] = {"Bình": hash_password("mat-khau-dai-1", 1_000)}
    at.run()
    at.switch_page("views/nhap_lieu.py").run()
    inputs = {t.label: t for t in at.text_input}
    inputs["Tên đăng nhập"].input("Bình")
    inputs["Mật khẩu"].input("mat-khau-dai-1")
    next(b for b in at.button if b.label == "Đăng nhập").click().run()
    at.selectbox(key="up-year").set_value(2023).run()
    rows = [["Tên xã", "Tỷ lệ hộ nghèo (%)"], ["xa dong son", "1,75"]]
    at.file_uploader(key="upload").set_value(("ra_soat.csv", csv_bytes(rows), "text/csv")).run()
    next(t for t in at.text_input if t.label.startswith("Nguồn số liệu")).input("Báo cáo của Bình").run()
    print("ready", flush=True)
    sys.stdin.readline()  # server A saves the same figure now
    next(b for b in at.button if b.label == "Xác nhận và lưu").click().run()
    assert not at.exception, at.exception
    print("refused" if any("người khác thay đổi" in w.value for w in at.warning) else "saved", flush=True)
    next(b for b in at.button if b.label.startswith("Lưu đè")).click().run()
    print("after", " ".join(s.value for s in at.success if "Đã lưu phiên bản" in s.value), flush=True)
    """
)


def test_two_editors_on_two_servers_the_second_save_is_refused(shared_db, tmp_path, monkeypatch):
    """Bình's session on server B has checked a file; An saves the same figure on server A; Bình's confirm is
    refused with who changed it (An's figure kept), then saved over it on purpose and recorded as such."""
    app = os.path.join(os.path.dirname(__file__), "..", "..", "app.py")
    env_b = {db.ENV_URL: shared_db, "KTXH_STATE_DIR": str(tmp_path / "b")}
    tests = os.path.join(os.path.dirname(__file__), "..")
    session_b = subprocess.Popen(
        [sys.executable, "-c", SESSION_B_EDITOR, os.path.abspath(app)],
        env={**os.environ, **env_b, "PYTHONPATH": os.path.abspath(tests)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert session_b.stdout.readline().strip() == "ready"
        monkeypatch.setenv(db.ENV_URL, shared_db)
        cell = store.Cell("poverty_rate", "07273", "2020-2024", 2023, 5.0)
        store.save([cell], editor=signed_in("An", "password"), source="Báo cáo của An", action="edit", dataset="p")
        session_b.stdin.write("go\n")
        session_b.stdin.flush()
        refused = session_b.stdout.readline().strip()
        assert refused == "refused" and store.snapshot()["value"].tolist() == [5.0]  # nothing of An's was lost
        after = session_b.stdout.readline().strip()
        assert session_b.wait(120) == 0
    finally:
        if session_b.poll() is None:
            session_b.kill()
    assert "Đã lưu phiên bản 2" in after
    history = store.versions().set_index("id")
    assert history.at[2, "user"] == "Bình" and history.at[2, "overwrote"] == "1"

"""A newcomer's first run (issue 13, item 7): one port, quiet snf-manage, piped passwords, and
development.ini's comments telling the truth."""
import ipaddress
import os
import re
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from pyramid.paster import get_app

from synnefo.core.contracts import BackendInfo
from synnefo.core.contracts.backend import NicSpec
from synnefo.core.db.engine import make_engine
from synnefo.core.services import accounts
from synnefo.daemons.config import load_settings
from synnefo.plugins.backends.fake import FakeDriver
from synnefo.testing.driver_contract import make_spec
from synnefo.testing.inifiles import write_ini

ROOT = Path(__file__).resolve().parents[2]


def with_listen(path: Path, listen: str) -> Path:
    text = re.sub(r"(?m)^listen = .*$", f"listen = {listen}", path.read_text())
    path.write_text(text)
    return path


def test_public_url_follows_the_servers_listen_unless_set(tmp_path, sqlite_url, monkeypatch):
    monkeypatch.delenv("SYNNEFO_PUBLIC_URL", raising=False)
    ini = with_listen(write_ini(tmp_path, {"db_url": sqlite_url, "console_proxy": "fake",
                                           "backend_drivers": "fake"}), "127.0.0.1:7001")
    assert load_settings(str(ini)).public_url == "http://127.0.0.1:7001"
    app = get_app(str(ini))       # what pserve builds: the identity catalog uses this URL
    assert app.registry.core.settings.public_url == "http://127.0.0.1:7001"
    assert load_settings(str(ROOT / "development.ini")).public_url == "http://127.0.0.1:6543"
    assert load_settings(str(ROOT / "production.ini")).public_url == "https://cloud.example.org"


def snf_manage(ini, *args, stdin=""):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNNEFO_")}
    return subprocess.run([sys.executable, "-m", "synnefo.daemons.manage", "-c", str(ini),
                           *args], input=stdin, capture_output=True, text=True, env=env,
                          timeout=120)


def logged_ini(tmp_path, sqlite_url):
    ini = write_ini(tmp_path, {"db_url": sqlite_url, "console_proxy": "fake",
                               "backend_drivers": "fake"})
    assert snf_manage(ini, "db", "upgrade").returncode == 0
    return ini


def test_snf_manage_prints_info_lines_only_when_asked(tmp_path, sqlite_url):
    ini = logged_ini(tmp_path, sqlite_url)
    quiet = snf_manage(ini, "flavor-list")
    assert quiet.returncode == 0 and " plugin " not in quiet.stderr, quiet.stderr
    assert "INFO" not in quiet.stderr
    verbose = snf_manage(ini, "-v", "flavor-list")
    assert verbose.returncode == 0 and "INFO [synnefo.core.app] plugin" in verbose.stderr


def test_password_dash_reads_piped_stdin_without_a_warning(tmp_path, sqlite_url):
    ini = logged_ini(tmp_path, sqlite_url)
    result = snf_manage(ini, "user-create", "alice", "--password", "-", stdin="s3cret\n")
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "password:" not in result.stdout
    with sa.orm.Session(make_engine(sqlite_url)) as session:
        assert accounts.authenticate_password(session, "alice", "s3cret") is not None


def test_development_ini_says_which_addresses_servers_get(tmp_path):
    text = (ROOT / "development.ini").read_text()
    comment = re.search(r"(?s)# New servers get a NIC.*?(\d+\.\d+\.\d+\.\d+/\d+)", text)
    stated = ipaddress.ip_network(comment.group(1))
    settings = load_settings(str(ROOT / "development.ini"))
    info = BackendInfo(id=1, name="default", driver="fake",
                       options={"job_delay": 0, "state_file": ""})
    driver = FakeDriver(backend=info, core=type("C", (), {"settings": settings})())
    try:
        spec = make_spec("snf-1", nics=(NicSpec(network=settings.public_network, ip="pool"),))
        driver.create_instance(spec)
        assert driver.wait_idle(timeout=30)
        (instance,) = driver.list_instances()
        assert ipaddress.ip_address(instance.nics[0].ipv4) in stated
        assert instance.nics[0].network == settings.public_network
    finally:
        driver.close()

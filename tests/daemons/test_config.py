"""Every process reads the same .ini; an operator's file holds only changes over the defaults."""
import os
import shutil
from pathlib import Path

from synnefo.daemons.config import load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_operator_ini_inherits_production_defaults(tmp_path):
    shutil.copy(ROOT / "production.ini", tmp_path / "production.ini")
    (tmp_path / "site.ini").write_text(
        "[app:main]\nuse = config:production.ini#main\n"
        "synnefo.db_url = postgresql://synnefo@db.example.org/synnefo\n")
    settings = load_settings(str(tmp_path / "site.ini"))
    assert settings.db_url == "postgresql://synnefo@db.example.org/synnefo"
    assert settings.queue_type == "quorum"            # inherited from production.ini
    assert settings.backend_drivers == ("ganeti",)
    assert settings.console_proxy == "vncauthproxy"


def test_shipped_example_operator_ini_loads():
    settings = load_settings(str(ROOT / "examples" / "operator.ini"))
    assert settings.db_url == "postgresql://synnefo@db.example.org:5432/synnefo"
    assert settings.backend_drivers == ("ganeti",)


def test_development_ini_is_all_embedded():
    settings = load_settings(str(ROOT / "development.ini"))
    assert settings.db_url.startswith("sqlite:///")
    assert settings.backend["driver"] == "fake"
    assert settings.dispatcher_in_process and settings.seed_demo
    assert os.path.isabs(settings.here)


def test_environment_overrides_the_file(monkeypatch):
    monkeypatch.setenv("SYNNEFO_DB_URL", "postgresql://from-env/synnefo")
    settings = load_settings(str(ROOT / "production.ini"))
    assert settings.db_url == "postgresql://from-env/synnefo"


def test_daemon_sections_inherit_too(tmp_path):
    shutil.copy(ROOT / "production.ini", tmp_path / "production.ini")
    (tmp_path / "site.ini").write_text(
        "[app:main]\nuse = config:production.ini#main\n\n[synnefo:dispatcher]\nworkers = 6\n")
    from synnefo.daemons.config import daemon_options
    assert daemon_options(str(tmp_path / "site.ini"), "dispatcher") == {"workers": "6"}
    eventd = daemon_options(str(tmp_path / "site.ini"), "eventd")
    assert eventd["queue_dir"] == "/var/lib/ganeti/queue"      # from production.ini


def test_inheritance_loop_is_a_clear_error(tmp_path):
    (tmp_path / "a.ini").write_text("[app:main]\nuse = config:b.ini\n")
    (tmp_path / "b.ini").write_text("[app:main]\nuse = config:a.ini\n")
    import pytest
    from synnefo.core.errors import ConfigurationError
    with pytest.raises(ConfigurationError, match="loops"):
        load_settings(str(tmp_path / "a.ini"))


def test_logging_defaults_to_info_without_a_loggers_section(tmp_path):
    import logging
    import subprocess
    import sys
    (tmp_path / "bare.ini").write_text("[app:main]\nuse = egg:synnefo\n")
    code = ("import logging; from synnefo.daemons.config import setup_logging; "
            f"setup_logging({str(tmp_path / 'bare.ini')!r}); logging.getLogger('synnefo.x').info('visible')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "visible" in result.stderr

"""``[synnefo:dispatcher]``: defaults from the settings, overrides, clear errors."""
import subprocess
import sys

import pytest

from synnefo.core.errors import ConfigurationError
from synnefo.core.settings import parse_settings
from synnefo.daemons.dispatcher.options import parse_options
from synnefo.testing.inifiles import write_ini


def settings(**raw):
    return parse_settings({f"synnefo.{k}": v for k, v in raw.items()}, environ={})


def test_prefetch_and_batch_default_to_the_amqp_prefetch_setting():
    options = parse_options({}, settings(amqp_prefetch="7"))
    assert (options.workers, options.prefetch, options.batch_size) == (2, 7, 7)


def test_section_values_and_command_line_overrides_apply_and_a_batch_never_exceeds_prefetch():
    options = parse_options({"prefetch": "20", "batch_size": "50", "max_retries": "0",
                             "workers": "3", "here": "/etc"}, settings(), workers=1)
    assert (options.workers, options.prefetch, options.batch_size, options.max_retries) == (1, 20, 20, 0)


@pytest.mark.parametrize("raw, message", [({"workers": "0"}, "workers"),
                                          ({"retry_delay": "soon"}, "retry_delay"),
                                          ({"prefetsh": "5"}, "prefetsh")])
def test_bad_options_name_the_key(raw, message):
    with pytest.raises(ConfigurationError, match=message):
        parse_options(raw, settings())


def test_snf_dispatcher_refuses_a_bad_section_with_exit_code_2(tmp_path):
    ini = write_ini(tmp_path, {"hooks": ""}, {"synnefo:dispatcher": {"workers": "none"}})
    result = subprocess.run([sys.executable, "-c", "from synnefo.daemons.dispatcher import main; "
                             "raise SystemExit(main())", str(ini)], capture_output=True, text=True)
    assert result.returncode == 2 and "workers" in result.stderr

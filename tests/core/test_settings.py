import pytest

from synnefo.core.errors import ConfigurationError
from synnefo.core.settings import env_name, parse_section, parse_settings
import colander


def test_defaults_are_the_embedded_setup():
    s = parse_settings({}, environ={})
    assert s.db_url.startswith("sqlite:///")
    assert s.instance_prefix == "snf-"
    assert s.backend_drivers == ("fake", "ganeti")
    assert s.queue_type == "classic"


def test_types_are_parsed():
    s = parse_settings({"synnefo.amqp_prefetch": "4", "synnefo.seed_demo": "true",
                        "synnefo.hooks": "a, b c"}, environ={})
    assert s.amqp_prefetch == 4 and s.seed_demo is True and s.hooks == ("a", "b", "c")


@pytest.mark.parametrize("key,value", [
    ("amqp_prefetch", "lots"), ("amqp_prefetch", "0"), ("queue_type", "mirrored"),
    ("seed_demo", "perhaps"), ("instance_prefix", "snf"), ("reconciliation_min", "-5"),
])
def test_bad_value_names_the_key(key, value):
    with pytest.raises(ConfigurationError) as exc:
        parse_settings({f"synnefo.{key}": value}, environ={})
    assert f"synnefo.{key}" in str(exc.value)


def test_environment_overrides_secrets():
    env = {"SYNNEFO_DB_URL": "postgresql://db/synnefo", "SYNNEFO_AMQP_URL": "amqp://broker//",
           "SYNNEFO_BACKEND_PASSWORD": "s3cret"}
    s = parse_settings({"synnefo.db_url": "sqlite:///x.sqlite"}, environ=env)
    assert s.db_url == "postgresql://db/synnefo"
    assert s.amqp_url == "amqp://broker//"
    assert s.backend["password"] == "s3cret"


def test_environment_values_are_validated_too():
    with pytest.raises(ConfigurationError, match="synnefo.amqp_prefetch"):
        parse_settings({}, environ={"SYNNEFO_AMQP_PREFETCH": "x"})


def test_env_name():
    assert env_name("backend.password") == "SYNNEFO_BACKEND_PASSWORD"


def test_settings_are_frozen():
    s = parse_settings({}, environ={})
    with pytest.raises(Exception):
        s.db_url = "other"
    with pytest.raises(TypeError):
        s.backend["name"] = "x"


def test_plugin_sections_are_parsed_with_the_plugins_schema():
    s = parse_settings({"synnefo.fake.job_delay": "0.5", "synnefo.fake.bad": "x"}, environ={})

    class FakeOptions(colander.MappingSchema):
        job_delay = colander.SchemaNode(colander.Float(), missing=1.0)

    assert parse_section(FakeOptions(), s, "fake") == {"job_delay": 0.5}
    broken = parse_settings({"synnefo.fake.job_delay": "soon"}, environ={})
    with pytest.raises(ConfigurationError, match="synnefo.fake.job_delay"):
        parse_section(FakeOptions(), broken, "fake")


def test_plugin_options_can_come_from_the_environment_alone():
    class Options(colander.MappingSchema):
        pattern = colander.SchemaNode(colander.String(), missing="x")

    s = parse_settings({}, environ={})
    env = {"SYNNEFO_NAME_POLICY_PATTERN": "^[a-z]+$"}
    assert parse_section(Options(), s, "name_policy", environ=env) == {"pattern": "^[a-z]+$"}

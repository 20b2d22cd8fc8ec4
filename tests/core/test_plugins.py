"""Plugin loading fails loud: unknown names, import errors, duplicates, bad hook signatures."""
import pytest

from synnefo.core import plugins
from synnefo.core.errors import PluginError
from synnefo.core.hookspecs import hookimpl
from synnefo.testing.distributions import test_distribution as distribution

GROUP = "synnefo.message_handlers"


def test_unknown_name_lists_what_is_installed():
    with pytest.raises(PluginError) as exc:
        plugins.load_plugins(GROUP, ["no-such-type"])
    assert "no-such-type" in str(exc.value)
    assert "ganeti-op-status" in str(exc.value)


def test_import_error_names_plugin_and_distribution(tmp_path):
    eps = {GROUP: ["broken-type = snf_broken_plugin:Handler"]}
    mods = {"snf_broken_plugin": "import no_such_module_anywhere\n"}
    with distribution(tmp_path, "snf-broken-dist", eps, mods):
        with pytest.raises(PluginError) as exc:
            plugins.load_plugins(GROUP, ["broken-type"])
    message = str(exc.value)
    assert "broken-type" in message and "snf-broken-dist" in message
    assert "no_such_module_anywhere" in message


def test_duplicate_name_from_two_distributions(tmp_path):
    mods = {"snf_dup_a": "class H: pass\n", "snf_dup_b": "class H: pass\n"}
    with distribution(tmp_path / "a", "snf-dup-a", {GROUP: ["dup-type = snf_dup_a:H"]}, mods), \
            distribution(tmp_path / "b", "snf-dup-b", {GROUP: ["dup-type = snf_dup_b:H"]}):
        with pytest.raises(PluginError) as exc:
            plugins.load_plugins(GROUP, ["dup-type"])
    message = str(exc.value)
    assert "duplicate" in message and "snf-dup-a" in message and "snf-dup-b" in message


def test_duplicates_are_fatal_even_when_not_enabled(tmp_path):
    # A clash makes the table ambiguous for everyone, so it stops start-up whatever is enabled.
    mods = {"snf_dup_c": "class H: pass\n", "snf_dup_d": "class H: pass\n"}
    with distribution(tmp_path / "c", "snf-dup-c", {GROUP: ["dup2 = snf_dup_c:H"]}, mods), \
            distribution(tmp_path / "d", "snf-dup-d", {GROUP: ["dup2 = snf_dup_d:H"]}):
        with pytest.raises(PluginError, match="dup2"):
            plugins.load_plugins(GROUP, [])


def test_enabled_plugins_load_in_order(tmp_path):
    mods = {"snf_good_plugin": "class A: pass\nclass B: pass\n"}
    eps = {GROUP: ["type-b = snf_good_plugin:B", "type-a = snf_good_plugin:A"]}
    with distribution(tmp_path, "snf-good", eps, mods):
        loaded = plugins.load_plugins(GROUP, ["type-a", "type-b"])
        assert list(loaded) == ["type-a", "type-b"]
        assert loaded["type-a"].__name__ == "A"


def test_hook_signature_mismatch_is_fatal(tmp_path):
    source = """
        from synnefo.core.hookspecs import hookimpl

        @hookimpl
        def vm_state_changed(event, extra_argument):
            pass
    """
    with distribution(tmp_path, "snf-bad-hook", {"synnefo.hooks": ["bad-hook = snf_bad_hook"]},
                      {"snf_bad_hook": source}):
        with pytest.raises(PluginError) as exc:
            plugins.build_plugin_manager(["bad-hook"])
    assert "bad-hook" in str(exc.value) and "snf-bad-hook" in str(exc.value)


def test_unknown_hook_name_is_fatal(tmp_path):
    source = """
        from synnefo.core.hookspecs import hookimpl

        @hookimpl
        def vm_state_chnaged(event):
            pass
    """
    with distribution(tmp_path, "snf-typo-hook", {"synnefo.hooks": ["typo-hook = snf_typo_hook"]},
                      {"snf_typo_hook": source}):
        with pytest.raises(PluginError, match="typo-hook"):
            plugins.build_plugin_manager(["typo-hook"])


class Recorder:
    def __init__(self):
        self.events = []

    @hookimpl
    def vm_state_changed(self, event):
        self.events.append(event)


class Exploding:
    @hookimpl
    def vm_state_changed(self, event):
        raise RuntimeError("listener bug")


def test_fact_hook_failures_are_counted_not_raised():
    recorder = Recorder()
    pm = plugins.build_plugin_manager([], extra_plugins=[("boom", Exploding()), ("rec", recorder)])
    hooks = plugins.Hooks(pm)
    hooks.vm_state_changed(event="e1")
    assert recorder.events == ["e1"]
    assert hooks.failures == 1


def test_every_hookspec_is_documented():
    from synnefo.core import hookspecs
    specs = [getattr(hookspecs, n) for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "synnefo_spec")]
    assert specs, "no hookspecs found"
    for spec in specs:
        assert spec.__doc__ and len(spec.__doc__.strip()) > 20, spec.__name__


def test_a_class_entry_point_is_built_with_the_settings(tmp_path):
    source = """
        from synnefo.core.hookspecs import hookimpl

        class Greeter:
            def __init__(self, settings):
                self.greeting = settings.section("greeter")["greeting"]

            @hookimpl
            def before_server_action(self, uow, server, action):
                raise RuntimeError(f"{self.greeting} {server} {action}")
    """
    from synnefo.core.settings import parse_settings
    settings = parse_settings({"synnefo.greeter.greeting": "hello"}, environ={})
    with distribution(tmp_path, "snf-greeter", {"synnefo.hooks": ["greeter = snf_greeter:Greeter"]},
                      {"snf_greeter": source}):
        hooks = plugins.Hooks(plugins.build_plugin_manager(["greeter"], settings=settings))
    with pytest.raises(RuntimeError, match="hello 7 reboot"):
        hooks.before_server_action(uow=None, server=7, action="reboot")


def test_a_class_entry_point_without_settings_is_refused(tmp_path):
    source = """
        class NeedsSettings:
            def __init__(self, settings):
                pass
    """
    with distribution(tmp_path, "snf-needy", {"synnefo.hooks": ["needy = snf_needy:NeedsSettings"]},
                      {"snf_needy": source}):
        with pytest.raises(PluginError, match="needy"):
            plugins.build_plugin_manager(["needy"])

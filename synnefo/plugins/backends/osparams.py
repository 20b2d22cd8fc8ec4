"""Which Ganeti OS a new instance gets, and which OS parameters: built from configuration.

A backend's options (``synnefo.ganeti.*`` / ``synnefo.fake.*``, or the row's options) say:

* ``os_provider``: the Ganeti OS definition, with its variant (``snf-image+default``);
* ``os_params``: the OS parameters to send, as ``{"name": "template", ...}``, or a preset name:
  ``snf-image`` (the default) or ``none`` (send no parameter at all);
* ``password_param``: which parameter carries the server's password (default: the preset's,
  ``img_passwd`` for ``snf-image``, none otherwise; empty: the password is not sent);
* ``secret_password``: send that parameter through ``osparams_secret`` instead of ``osparams``,
  and with it the parameters named in ``secret_params`` (default ``img_personality``, which
  carries the user's data, keys and files), so that Ganeti keeps them out of its job files.

An image overrides the backend with its metadata keys ``ganeti.os_provider``,
``ganeti.os_params`` and ``ganeti.password_param`` (same syntax).

Templates are Jinja2 (sandboxed, undefined names are errors). The context is every field of the
``InstanceSpec`` by its own name (``name``, ``vcpus``, ``ram_mib``, ``disk_gib``, ``image_ref``,
``image_format``, ``image_properties``, ``metadata``, ... and any field added later), plus
``spec`` itself and two derived values: ``os_properties`` (the image properties without the
``ganeti.*`` keys) and ``personality_files`` (snf-image's personality list, see
``personality_files``). A parameter whose template renders to an empty string is not sent.
The ``json`` filter dumps a value as compact JSON.
"""
from __future__ import annotations

import base64
import dataclasses
import functools
import json
from dataclasses import dataclass

import colander
import jinja2
from jinja2.sandbox import SandboxedEnvironment

from synnefo.plugins.backends.options import boolean, option

IMAGE_KEY_PREFIX = "ganeti."
# snf-image's parameters (https://www.synnefo.org/docs/snf-image/latest/usage.html).
SNF_IMAGE = {
    "img_id": "{{ image_ref }}",
    "img_format": "{{ image_format }}",
    "img_properties": "{{ os_properties | json if os_properties else '' }}",
    "img_personality": "{{ personality_files | json if personality_files else '' }}",
}
PRESETS = {"snf-image": (SNF_IMAGE, "img_passwd"), "none": ({}, "")}
DEFAULT_PRESET = "snf-image"
AUTHORIZED_KEYS = "/root/.ssh/authorized_keys"
NOCLOUD_SEED = "/var/lib/cloud/seed/nocloud"


class OsParamsError(ValueError):
    """A bad ``os_params`` value or a template that cannot be rendered (the message says which)."""


@dataclass(frozen=True)
class OsConfig:
    """What to send for one create: ``os_type``, ``osparams`` and ``osparams_secret``."""
    os_provider: str
    templates: dict
    password_param: str
    secret_password: bool
    secret_params: frozenset = frozenset()


@dataclass(frozen=True)
class OsRequest:
    os_type: str
    osparams: dict
    osparams_secret: dict

    def body(self) -> dict:
        """The create-body keys (``osparams_secret`` only when used)."""
        body = {"os_type": self.os_type, "osparams": dict(self.osparams)}
        if self.osparams_secret:
            body["osparams_secret"] = dict(self.osparams_secret)
        return body


class ParamTemplates(colander.SchemaType):
    """``os_params``: a preset name, a JSON object text, or a dict of name -> template."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        try:
            return parse_templates(cstruct)
        except OsParamsError as exc:
            raise colander.Invalid(node, str(exc)) from None

    def serialize(self, node, appstruct):
        return appstruct


def option_nodes() -> list[colander.SchemaNode]:
    """The OS options every driver that builds create bodies accepts."""
    s = colander.String
    return [option(s(allow_empty=True), "os_provider", ""),
            option(ParamTemplates(), "os_params", DEFAULT_PRESET),
            option(s(allow_empty=True), "password_param", None),
            option(boolean(), "secret_password", False),
            option(s(allow_empty=True), "secret_params", "img_personality")]


def parse_templates(value) -> dict | str:
    """A preset name (kept as is), or a dict of parameter name -> compiled-checked template."""
    if isinstance(value, str):
        text = value.strip()
        if text in PRESETS:
            return text
        try:
            value = json.loads(text)
        except ValueError:
            raise OsParamsError(f"{text!r} is neither a preset ({', '.join(PRESETS)}) nor a "
                                f"JSON object of parameter templates") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise OsParamsError("must be a JSON object of parameter name -> template string")
    for name, template in value.items():
        _compile(name, template)
    return dict(value)


def os_config(options: dict, image_properties: dict, fallback_provider: str) -> OsConfig:
    """Merge the backend's options with the image's ``ganeti.*`` overrides."""
    image = {k[len(IMAGE_KEY_PREFIX):]: v for k, v in (image_properties or {}).items()
             if k.startswith(IMAGE_KEY_PREFIX)}
    params = options["os_params"]
    if image.get("os_params"):
        params = parse_templates(image["os_params"])
    templates, preset_password = _resolve(params)
    password = image.get("password_param", options.get("password_param"))
    return OsConfig(os_provider=image.get("os_provider") or options["os_provider"]
                    or fallback_provider,
                    templates=templates,
                    password_param=preset_password if password is None else password.strip(),
                    secret_password=bool(options["secret_password"]),
                    secret_params=frozenset((options.get("secret_params") or "").split()))


def _resolve(params) -> tuple[dict, str]:
    if isinstance(params, str):
        return PRESETS[params]
    return params, ""


def build(config: OsConfig, spec) -> OsRequest:
    """Render every template against ``spec``; place the password; raise OsParamsError."""
    context = template_context(spec)
    osparams = {}
    for name, template in config.templates.items():
        value = _render(name, template, context)
        if value != "":
            osparams[name] = value
    secret = {}
    if config.secret_password:
        secret.update({k: osparams.pop(k) for k in config.secret_params if k in osparams})
    if config.password_param:
        (secret if config.secret_password else osparams)[config.password_param] = spec.password
    return OsRequest(os_type=config.os_provider, osparams=osparams, osparams_secret=secret)


def template_context(spec) -> dict:
    """Every field of the spec by name, ``spec``, ``os_properties`` and ``personality_files``."""
    context = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
    properties = getattr(spec, "image_properties", None) or {}
    context.update(spec=spec, personality_files=personality_files(spec),
                   os_properties={k: v for k, v in properties.items()
                                  if not k.startswith(IMAGE_KEY_PREFIX)})
    return context


def personality_files(spec) -> list[dict]:
    """snf-image's ``img_personality`` list: the spec's ``personality`` files, its
    ``public_keys`` as root's ``authorized_keys``, and its ``user_data`` as a cloud-init NoCloud
    seed. Each field is used only when the spec has it and it is not empty."""
    files = [_file(_field(item, "path"), _field(item, "contents") or "", encoded=True)
             for item in getattr(spec, "personality", None) or ()]
    keys = [k for k in getattr(spec, "public_keys", None) or () if k]
    if keys:
        files.append(_file(AUTHORIZED_KEYS, "\n".join(keys) + "\n"))
    user_data = getattr(spec, "user_data", None)
    if user_data:
        files.append(_file(f"{NOCLOUD_SEED}/user-data", _text(user_data), encoded=True))
        files.append(_file(f"{NOCLOUD_SEED}/meta-data", f"instance-id: {spec.name}\n"))
    return files


def _field(item, key: str):
    """A personality entry's field: a mapping, a ``(path, contents)`` pair or an object."""
    if isinstance(item, dict):
        return item.get(key)
    if isinstance(item, (tuple, list)):
        return item[("path", "contents").index(key)]
    return getattr(item, key, None)


def _file(path: str, contents, encoded: bool = False) -> dict:
    data = contents if encoded else base64.b64encode(contents.encode()).decode()
    return {"path": path, "contents": data, "owner": "root", "group": "root", "mode": 0o600}


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@functools.lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters["json"] = lambda value: json.dumps(value, separators=(",", ":"), sort_keys=True)
    return env


@functools.lru_cache(maxsize=256)
def _compile(name: str, template: str) -> jinja2.Template:
    try:
        return _environment().from_string(template)
    except jinja2.TemplateSyntaxError as exc:
        raise OsParamsError(f"OS parameter {name}: template {template!r}: {exc}") from None


def _render(name: str, template: str, context: dict) -> str:
    try:
        return _compile(name, template).render(context).strip()
    except jinja2.TemplateError as exc:
        raise OsParamsError(f"OS parameter {name}: template {template!r}: {exc}") from None

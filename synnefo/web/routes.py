"""Every route of the API, in one table (also the source of the OpenAPI document)."""
from __future__ import annotations

from dataclasses import dataclass

# ``api`` matches /compute/v2.1, /v2.1 (what the clients' recipes use) and the legacy v2.0.
API = r"/{api:(?:compute/)?v2\.[01]}"
ID = r"{server_id:\d+}"


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    summary: str
    auth: bool = True
    page: bool = False   # a web page for browsers, not an API operation (left out of OpenAPI)
    get_writes: bool = False   # its GET writes (issues a token): not a read-only unit of work


ROUTES = [
    Route("versions", "/", "Compute API versions", auth=False),
    Route("versions_compute", "/compute", "Compute API versions", auth=False),
    Route("versions_compute_slash", "/compute/", "Compute API versions", auth=False),
    Route("version", API, "Version document of one API version", auth=False),
    Route("version_slash", API + "/", "Version document of one API version", auth=False),
    Route("servers", API + "/servers", "List (GET) or create (POST) servers"),
    Route("servers_detail", API + "/servers/detail", "List servers with details"),
    Route("server", f"{API}/servers/{ID}", "Show, rename (PUT) or delete a server"),
    Route("server_action", f"{API}/servers/{ID}/action", "Run a server action"),
    Route("remote_consoles", f"{API}/servers/{ID}/remote-consoles",
          "Open a remote console (2.6+)"),
    Route("server_ips", f"{API}/servers/{ID}/ips", "Addresses of a server by network"),
    Route("server_ips_network", f"{API}/servers/{ID}/ips/{{network}}",
          "Addresses of a server on one network"),
    Route("server_metadata", f"{API}/servers/{ID}/metadata", "Server metadata"),
    Route("server_metadata_item", f"{API}/servers/{ID}/metadata/{{key}}", "One metadata item"),
    Route("flavors", API + "/flavors", "List flavors"),
    Route("flavors_detail", API + "/flavors/detail", "List flavors with details"),
    Route("flavor", API + "/flavors/{flavor_id}", "Show a flavor"),
    Route("flavor_extra_specs", API + "/flavors/{flavor_id}/os-extra_specs",
          "Extra specs of a flavor (always empty)"),
    Route("flavor_extra_spec", API + "/flavors/{flavor_id}/os-extra_specs/{key}",
          "One extra spec of a flavor"),
    Route("images", API + "/images", "List images (compute proxy)"),
    Route("images_detail", API + "/images/detail", "List images with details (compute proxy)"),
    Route("image", API + "/images/{image_id}", "Show an image (compute proxy)"),
    Route("image_metadata", API + "/images/{image_id}/metadata", "Image metadata"),
    Route("image_metadata_item", API + "/images/{image_id}/metadata/{key}", "One image metadata item"),
    Route("keypairs", API + "/os-keypairs", "List (GET) or create/import (POST) keypairs"),
    Route("keypair", API + "/os-keypairs/{keypair_name}", "Show or delete a keypair"),
    Route("limits", API + "/limits", "Absolute limits and usage of the caller"),
    Route("quota_set", API + "/os-quota-sets/{project_id}", "The caller's quotas"),
    Route("quota_set_detail", API + "/os-quota-sets/{project_id}/detail",
          "The caller's quotas with usage"),
    Route("quota_set_defaults", API + "/os-quota-sets/{project_id}/defaults",
          "The caller's quotas (defaults)"),
    Route("legacy_auth", "/v1.0", "Rackspace-style login: X-Auth-User/X-Auth-Key -> X-Auth-Token",
          auth=False, get_writes=True),
    Route("nova_glance_images", API + "/v2/images", "Glance image list under the compute endpoint"),
    Route("image_versions", "/image", "Image API versions", auth=False),
    Route("image_versions_slash", "/image/", "Image API versions", auth=False),
    Route("image_v2", "/image/v2", "Image API versions", auth=False),
    Route("image_v2_slash", "/image/v2/", "Image API versions", auth=False),
    Route("glance_images", "/image/v2/images", "List images (Glance v2)"),
    Route("glance_image", "/image/v2/images/{image_id}", "Show an image (Glance v2)"),
    Route("identity_versions", "/identity", "Identity API versions", auth=False),
    Route("identity_v3", "/identity/v3", "Identity v3 version document", auth=False),
    Route("identity_v3_slash", "/identity/v3/", "Identity v3 version document", auth=False),
    Route("auth_tokens", "/identity/v3/auth/tokens", "Issue a token (password or token method)",
          auth=False),
    Route("openapi", "/openapi.json", "This OpenAPI document", auth=False),
    Route("console", "/console/*subpath", "The web console page and its files (noVNC)",
          auth=False, page=True),
]


AUTH_ROUTES = frozenset(route.name for route in ROUTES if route.auth)
WRITING_GET_ROUTES = frozenset(route.name for route in ROUTES if route.get_writes)


def route_methods(registry) -> dict[str, set[str]]:
    """Route name -> the HTTP methods its views accept (GET implies HEAD, not listed)."""
    methods: dict[str, set[str]] = {}
    for item in registry.introspector.get_category("views") or []:
        view = item["introspectable"]
        route, allowed = view["route_name"], view["request_methods"]
        if route and allowed:
            methods.setdefault(route, set()).update(
                m for m in ([allowed] if isinstance(allowed, str) else allowed) if m != "HEAD")
    return methods


def includeme(config):
    for route in ROUTES:
        config.add_route(route.name, route.pattern)

"""Version documents (no authentication): ``/``, ``/compute/``, ``/compute/v2.1[/]``, ``/v2.1``."""
from __future__ import annotations

from pyramid.view import view_config

from synnefo.web import microversions
from synnefo.web import response_schemas as rs
from synnefo.web.apidoc import documented

UPDATED = {"v2.0": "2011-01-21T11:33:21Z", "v2.1": "2013-07-23T11:33:21Z"}


def version_entry(root: str, version_id: str) -> dict:
    current = version_id == "v2.1"
    return {
        "id": version_id, "status": "CURRENT" if current else "SUPPORTED",
        "version": str(microversions.MAX) if current else "",
        "min_version": str(microversions.MIN) if current else "",
        "updated": UPDATED[version_id],
        "links": [{"rel": "self", "href": f"{root}/{version_id}/"}],
    }


@view_config(route_name="versions", request_method="GET", renderer="json")
@view_config(route_name="versions_compute", request_method="GET", renderer="json")
@view_config(route_name="versions_compute_slash", request_method="GET", renderer="json")
@documented({200: rs.VERSIONS})
def versions(request):
    root = f"{request.application_url}/compute"
    return {"versions": [version_entry(root, "v2.0"), version_entry(root, "v2.1")]}


@view_config(route_name="version", request_method="GET", renderer="json")
@view_config(route_name="version_slash", request_method="GET", renderer="json")
@documented({200: rs.VERSION_DOC})
def version(request):
    api = request.matchdict["api"]
    version_id = api.rsplit("/", 1)[-1]
    root = f"{request.application_url}/{api}".rsplit("/", 1)[0]
    doc = version_entry(root, version_id)
    doc["links"].append({"rel": "describedby", "type": "text/html",
                         "href": "https://docs.openstack.org/"})
    doc["media-types"] = [{"base": "application/json",
                           "type": f"application/vnd.openstack.compute+json;version={version_id[1:]}"}]
    return {"version": doc}

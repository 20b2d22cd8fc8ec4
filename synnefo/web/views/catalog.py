"""Flavors, the compute image proxy and limits."""
from __future__ import annotations

from pyramid.view import view_config

from synnefo.core.errors import NotFound
from synnefo.core.services import boot_data, queries, quotas
from synnefo.web.apidoc import documented
from synnefo.web import render, schemas
from synnefo.web import response_schemas as rs
from synnefo.web.views.common import api_of, next_link

MAX_LIMIT = 1000


def _flavors(request, shape, path: str) -> dict:
    api = api_of(request)
    raw = schemas.query_dict(request)
    query = schemas.load(schemas.FlavorListQuery(), raw)
    limit = min(query.get("limit", MAX_LIMIT), MAX_LIMIT)
    flavors = queries.list_flavors(request.uow.session, request.user, is_public=query["is_public"],
                                   min_ram=query["minRam"], min_disk=query["minDisk"],
                                   limit=limit, marker=query.get("marker")) if limit else []
    items = [shape(api, f) for f in flavors]
    body = {"flavors": items}
    links = next_link(api.base, path, items, limit, raw)
    if links:
        body["flavors_links"] = links
    return body


@view_config(route_name="flavors", request_method="GET", renderer="json")
@documented({200: rs.FLAVOR_LIST}, query=schemas.FlavorListQuery)
def list_flavors(request):
    return _flavors(request, render.flavor_brief, "flavors")


@view_config(route_name="flavors_detail", request_method="GET", renderer="json")
@documented({200: rs.FLAVOR_DETAIL_LIST}, query=schemas.FlavorListQuery)
def list_flavors_detail(request):
    return _flavors(request, render.flavor_detail, "flavors/detail")


@view_config(route_name="flavor", request_method="GET", renderer="json")
@documented({200: rs.FLAVOR_SHOW})
def show_flavor(request):
    api = api_of(request)
    flavor = queries.get_flavor(request.uow.session, request.user, request.matchdict["flavor_id"])
    return {"flavor": render.flavor_detail(api, flavor)}


@view_config(route_name="flavor_extra_specs", request_method="GET", renderer="json")
@documented({200: rs.EXTRA_SPECS})
def flavor_extra_specs(request):
    """Nova's extra specs (``openstack flavor show`` reads them); synnefo's flavors have none."""
    api_of(request)
    queries.get_flavor(request.uow.session, request.user, request.matchdict["flavor_id"])
    return {"extra_specs": {}}


@view_config(route_name="flavor_extra_spec", request_method="GET", renderer="json")
@documented({200: rs.STRING_MAP}, description="Always 404: flavors have no extra specs.")
def flavor_extra_spec(request):
    flavor_extra_specs(request)
    raise NotFound(f"Flavor {request.matchdict['flavor_id']} has no extra specs with key "
                   f"{request.matchdict['key']}.")


def _images(request, shape) -> dict:
    api = api_of(request)
    query = schemas.load(schemas.ImageListQuery(), schemas.query_dict(request))
    limit = min(query.get("limit", MAX_LIMIT), MAX_LIMIT)
    images = queries.list_images(request.uow.session, request.user, name=query.get("name"),
                                 limit=limit, marker=query.get("marker"))
    return {"images": [shape(api, i) for i in images]}


@view_config(route_name="images", request_method="GET", renderer="json")
@documented({200: rs.IMAGE_LIST}, query=schemas.ImageListQuery)
def list_images(request):
    return _images(request, render.image_brief)


@view_config(route_name="images_detail", request_method="GET", renderer="json")
@documented({200: rs.IMAGE_DETAIL_LIST}, query=schemas.ImageListQuery)
def list_images_detail(request):
    return _images(request, render.image_detail)


@view_config(route_name="image", request_method="GET", renderer="json")
@documented({200: rs.IMAGE_SHOW})
def show_image(request):
    api = api_of(request)
    image = queries.get_image(request.uow.session, request.user, request.matchdict["image_id"])
    return {"image": render.image_detail(api, image)}


@view_config(route_name="limits", request_method="GET", renderer="json")
@documented({200: rs.LIMITS})
def limits(request):
    api = api_of(request)
    user = request.user
    used = quotas.usage(request.uow.session, user.id)
    absolute = {
        "maxServerMeta": request.registry.core.settings.max_metadata_items,
        "maxTotalInstances": user.max_servers, "maxTotalCores": user.max_cores,
        "maxTotalRAMSize": user.max_ram_mib, "maxTotalKeypairs": request.registry.core.settings.max_keypairs,
        "maxServerGroups": 0, "maxServerGroupMembers": 0,
        "totalInstancesUsed": used.servers, "totalCoresUsed": used.cores,
        "totalRAMUsed": used.ram_mib, "totalServerGroupsUsed": 0,
    }
    if not api.at_least(39):   # the image metadata proxy's limit goes with it (Nova 2.39)
        absolute["maxImageMeta"] = request.registry.core.settings.max_metadata_items
    if not api.at_least(57):
        absolute.update({"maxPersonality": boot_data.MAX_FILES,
                         "maxPersonalitySize": boot_data.MAX_CONTENT_BYTES})
    if not api.at_least(36):
        absolute.update({"maxSecurityGroups": 0, "maxSecurityGroupRules": 0,
                         "maxTotalFloatingIps": 0, "totalSecurityGroupsUsed": 0,
                         "totalFloatingIpsUsed": 0})
    return {"limits": {"absolute": absolute, "rate": []}}

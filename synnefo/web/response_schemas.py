"""JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the response bodies, shared by the views.

Views name the schema of each status they answer with ``apidoc.documented``; faults have one
schema for every status. A body must match whatever microversion was asked for, so the fields
that come and go with microversions are allowed but not required.
"""
from __future__ import annotations

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
INT = {"type": "integer"}
ID = {"type": "string", "pattern": r"^[1-9]\d*$"}


def obj(required: dict, optional: dict | None = None, **extra) -> dict:
    """An object with ``required`` properties (and ``optional`` ones)."""
    return {"type": "object", "properties": {**required, **(optional or {})},
            "required": sorted(required), **extra}


def array(items: dict) -> dict:
    return {"type": "array", "items": items}


LINK = obj({"rel": STRING, "href": STRING}, {"type": STRING})
LINKS = array(LINK)
STRING_MAP = {"type": "object", "additionalProperties": STRING}
FAULT = {"type": "object", "minProperties": 1, "maxProperties": 1,
         "additionalProperties": obj({"code": INT, "message": STRING}, {"details": STRING})}

VERSION = obj({"id": STRING, "status": STRING, "links": LINKS},
              {"version": STRING, "min_version": STRING, "updated": STRING,
               "media-types": array({"type": "object"})})
VERSIONS = obj({"versions": array(VERSION)})
VERSION_DOC = obj({"version": VERSION})

ADDRESS = obj({"version": {"enum": [4, 6]}, "addr": STRING},
              {"OS-EXT-IPS:type": STRING, "OS-EXT-IPS-MAC:mac_addr": NULLABLE_STRING})
ADDRESSES = {"type": "object", "additionalProperties": array(ADDRESS)}
SERVER_BRIEF = obj({"id": ID, "name": STRING, "links": LINKS})
SERVER_STATUS = {"enum": ["BUILD", "ACTIVE", "SHUTOFF", "REBOOT", "HARD_REBOOT", "ERROR",
                          "DELETED", "UNKNOWN"]}
SERVER = obj({
    "id": ID, "name": STRING, "status": SERVER_STATUS, "tenant_id": STRING, "user_id": STRING,
    "metadata": STRING_MAP, "hostId": STRING, "image": {"type": ["object", "string"]},
    "flavor": {"type": "object"}, "created": STRING, "updated": STRING,
    "addresses": ADDRESSES, "links": LINKS, "OS-EXT-STS:task_state": NULLABLE_STRING,
    "OS-EXT-STS:vm_state": NULLABLE_STRING, "OS-EXT-STS:power_state": INT,
}, {"progress": INT, "fault": obj({"code": INT, "message": STRING}, {"created": STRING}),
    "locked": {"type": "boolean"}, "description": NULLABLE_STRING, "tags": array(STRING),
    "key_name": NULLABLE_STRING})
SERVERS_LINKS = {"servers_links": LINKS}
SERVER_LIST = obj({"servers": array(SERVER_BRIEF)}, SERVERS_LINKS)
SERVER_DETAIL_LIST = obj({"servers": array(SERVER)}, SERVERS_LINKS)
SERVER_SHOW = obj({"server": SERVER})
SERVER_CREATED = obj({"server": obj({"id": ID, "links": LINKS, "adminPass": STRING})})

FLAVOR_BRIEF = obj({"id": STRING, "name": STRING, "links": LINKS},
                   {"description": NULLABLE_STRING})
FLAVOR = obj({"id": STRING, "name": STRING, "links": LINKS, "ram": INT, "disk": INT,
              "vcpus": INT, "os-flavor-access:is_public": {"type": "boolean"}},
             {"swap": {"type": ["integer", "string"]}, "extra_specs": STRING_MAP})
FLAVORS_LINKS = {"flavors_links": LINKS}
FLAVOR_LIST = obj({"flavors": array(FLAVOR_BRIEF)}, FLAVORS_LINKS)
FLAVOR_DETAIL_LIST = obj({"flavors": array(FLAVOR)}, FLAVORS_LINKS)
FLAVOR_SHOW = obj({"flavor": FLAVOR})
EXTRA_SPECS = obj({"extra_specs": STRING_MAP})

IMAGE_BRIEF = obj({"id": STRING, "name": STRING, "links": LINKS})
IMAGE = obj({"id": STRING, "name": STRING, "links": LINKS, "status": STRING,
             "progress": INT, "minDisk": INT, "minRam": INT, "metadata": STRING_MAP})
IMAGE_LIST = obj({"images": array(IMAGE_BRIEF)})
IMAGE_DETAIL_LIST = obj({"images": array(IMAGE)})
IMAGE_SHOW = obj({"image": IMAGE})
GLANCE_IMAGE = obj({"id": STRING, "name": STRING, "status": STRING, "visibility": STRING,
                    "min_disk": INT, "min_ram": INT, "tags": array(STRING)})
GLANCE_IMAGES = obj({"images": array(GLANCE_IMAGE), "first": STRING, "schema": STRING},
                    {"next": STRING})

METADATA = obj({"metadata": STRING_MAP})
META_ITEM = obj({"meta": {**STRING_MAP, "minProperties": 1, "maxProperties": 1}})
NETWORK_ADDRESSES = {**ADDRESSES, "minProperties": 1, "maxProperties": 1}
SERVER_ADDRESSES = obj({"addresses": ADDRESSES})

ABSOLUTE_LIMITS = {"type": "object", "additionalProperties": INT,
                   "required": ["maxServerMeta", "maxTotalInstances", "maxTotalCores",
                                "maxTotalRAMSize", "totalInstancesUsed", "totalCoresUsed",
                                "totalRAMUsed"]}
LIMITS = obj({"limits": obj({"absolute": ABSOLUTE_LIMITS, "rate": array({})})})
QUOTA_VALUE = {"type": ["integer", "object"]}
QUOTA_SET = obj({"quota_set": {"type": "object", "required": ["id", "instances", "cores", "ram"],
                               "properties": {"id": STRING},
                               "additionalProperties": QUOTA_VALUE}})

CONSOLE_URL = obj({"console": obj({"type": STRING, "url": STRING})})
SYNNEFO_CONSOLE = obj({"console": obj({"type": {"const": "vnc"}, "host": STRING, "port": INT,
                                       "password": STRING})})
REMOTE_CONSOLE = obj({"remote_console": obj({"protocol": STRING, "type": STRING,
                                             "url": STRING})})

TOKEN = obj({"token": obj({"methods": array(STRING), "expires_at": STRING, "user": obj(
    {"id": STRING, "name": STRING}), "project": obj({"id": STRING, "name": STRING}),
    "catalog": array({"type": "object"}), "roles": array({"type": "object"})})})
IDENTITY_VERSION = obj({"id": STRING, "status": STRING, "links": LINKS})
IDENTITY_VERSIONS = obj({"versions": obj({"values": array(IDENTITY_VERSION)})})
IDENTITY_V3 = obj({"version": IDENTITY_VERSION})
KEYPAIR_ENTRY = obj({"name": STRING, "public_key": STRING, "fingerprint": STRING},
                    {"type": {"enum": ["ssh", "x509"]}})
KEYPAIR_LIST = obj({"keypairs": array(obj({"keypair": KEYPAIR_ENTRY}))},
                   {"keypairs_links": LINKS})
KEYPAIR_CREATED = obj({"keypair": obj({"name": STRING, "public_key": STRING,
                                       "fingerprint": STRING, "user_id": STRING},
                                      {"type": {"enum": ["ssh", "x509"]},
                                       "private_key": STRING})})
KEYPAIR_SHOW = obj({"keypair": obj({"name": STRING, "public_key": STRING, "fingerprint": STRING,
                                    "user_id": STRING, "id": INT, "created_at": STRING,
                                    "updated_at": {"type": "null"}, "deleted": {"type": "boolean"},
                                    "deleted_at": {"type": "null"}},
                                   {"type": {"enum": ["ssh", "x509"]}})})
OPENAPI = obj({"openapi": STRING, "info": {"type": "object"}, "paths": {"type": "object"}})
EMPTY = None   # a status with no body (204, or the 202 of actions)

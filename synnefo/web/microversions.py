"""Compute API microversions: parsing the request headers, echoing the chosen version.

Accepts ``OpenStack-API-Version: compute X.Y`` and the legacy ``X-OpenStack-Nova-API-Version:
X.Y``; no header means the minimum; ``latest`` means the maximum. An unsupported version is 406,
a malformed one 400. The legacy ``/v2.0`` endpoint is not microversioned.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from synnefo.web.faults import HTTPFault

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 96)
NEW_HEADER = "OpenStack-API-Version"
LEGACY_HEADER = "X-OpenStack-Nova-API-Version"
SERVICE = "compute"
_VERSION_RE = re.compile(r"^([1-9]\d*)\.(0|[1-9]\d*)$")


class Version(NamedTuple):
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


MIN = Version(*MIN_VERSION)
MAX = Version(*MAX_VERSION)


def requested(headers) -> str | None:
    """The raw version string a request asks for (the new header wins), or None."""
    for item in (headers.get(NEW_HEADER) or "").split(","):
        service, _, value = item.strip().partition(" ")
        if service.lower() == SERVICE and value.strip():
            return value.strip()
    legacy = headers.get(LEGACY_HEADER)
    return legacy.strip() if legacy and legacy.strip() else None


def parse(raw: str | None) -> Version:
    if raw is None:
        return MIN
    if raw.lower() == "latest":
        return MAX
    match = _VERSION_RE.match(raw)
    if not match:
        raise HTTPFault(400, f"API Version String {raw} is of invalid format. Must be of "
                             f"format MajorNum.MinorNum.")
    version = Version(int(match.group(1)), int(match.group(2)))
    if not MIN <= version <= MAX:
        raise HTTPFault(406, f"Version {version} is not supported by the API. Minimum is "
                             f"{MIN} and maximum is {MAX}.")
    return version


def echo(response, version: Version) -> None:
    response.headers[NEW_HEADER] = f"{SERVICE} {version}"
    response.headers[LEGACY_HEADER] = str(version)
    vary = [v for v in (response.headers.get("Vary") or "").split(",") if v.strip()]
    for name in (NEW_HEADER, LEGACY_HEADER):
        if name not in vary:
            vary.append(name)
    response.headers["Vary"] = ", ".join(v.strip() for v in vary)

"""The HTTPS endpoints of ``cognito-idp`` and ``cognito-identity``, as botocore resolves them.

:mod:`aiocognito.wire._tables.endpoints` is generated from the URLs botocore clients send requests to (see
:mod:`aiocognito._codegen`), so :func:`endpoint_url` gives the same answer without importing botocore.
"""

from __future__ import annotations

import re

from ._tables.endpoints import PARTITIONS, REGION_URLS, URL_TEMPLATES, EndpointUrls, Partition

__all__ = ["endpoint_url", "region_from_pool_id"]

# The host label botocore accepts as a region name (botocore.utils.validate_region_name).
_REGION = re.compile(r"(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)")
# A user pool id: "<region>_<letters and digits>", at most 55 characters (the service model's pattern).
_POOL_ID = re.compile(r"([a-zA-Z0-9-]+)_[0-9a-zA-Z]+")
_POOL_ID_MAX = 55


def _partition(region: str) -> Partition:
    """The first partition listing or matching the region, else the first one (botocore's rule)."""
    for partition in PARTITIONS:
        if region in partition.regions or re.match(partition.region_regex, region):
            return partition
    return PARTITIONS[0]


def _pick(urls: EndpointUrls, fips: bool, dualstack: bool) -> str | None:
    if fips:
        return urls.fips_dualstack if dualstack else urls.fips
    return urls.dualstack if dualstack else urls.plain


def endpoint_url(service: str, region: str, *, fips: bool = False, dualstack: bool = False) -> str:
    """The HTTPS endpoint of ``service`` (``"cognito-idp"`` or ``"cognito-identity"``) in ``region``.

    ``endpoint_url("cognito-idp", "cn-north-1")`` is ``"https://cognito-idp.cn-north-1.amazonaws.com.cn"``.
    Like botocore, a FIPS pseudo region (``fips-us-east-1``, ``us-east-1-fips``) means ``fips=True``,
    and a well-formed region that no partition knows or matches is taken to be in the ``aws`` partition.
    Where botocore refuses a combination (dual-stack in ``aws-iso-e`` and ``aws-iso-f``, as of botocore
    1.43), so does this function.

    Raises:
        ValueError: for an unknown service, a malformed region, or a combination of FIPS and
            dual-stack that the partition does not offer.
    """
    if not any(key[0] == service for key in URL_TEMPLATES):
        raise ValueError(f"unknown service {service!r}: expected 'cognito-idp' or 'cognito-identity'")
    if not _REGION.fullmatch(region):
        raise ValueError(f"malformed region name {region!r}")
    plain_region = region.replace("fips-", "").replace("-fips", "")
    if plain_region != region:
        if not _REGION.fullmatch(plain_region):
            raise ValueError(f"malformed region name {region!r}")
        region, fips = plain_region, True
    urls = REGION_URLS.get((service, region))
    if urls is None:
        templates = URL_TEMPLATES[service, _partition(region).name]
        urls = EndpointUrls._make(None if t is None else t.replace("{region}", region) for t in templates)
    url = _pick(urls, fips, dualstack)
    if url is None:
        raise ValueError(f"{service} has no endpoint in {region} with fips={fips} and dualstack={dualstack}")
    return url


def region_from_pool_id(pool_id: str) -> str:
    """The region of a user pool id: ``"us-east-1_AbC123"`` gives ``"us-east-1"``.

    Raises:
        ValueError: if ``pool_id`` is not ``<region>_<id>``. The message does not repeat the value.
    """
    match = _POOL_ID.fullmatch(pool_id)
    if match is None or len(pool_id) > _POOL_ID_MAX or not _REGION.fullmatch(match.group(1)):
        raise ValueError("malformed user pool id: expected '<region>_<id>', like 'us-east-1_AbC123'")
    return match.group(1)

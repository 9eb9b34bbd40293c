"""Threat protection and logging settings of a user pool, kept and described as Cognito does:
``SetRiskConfiguration``, ``DescribeRiskConfiguration``, ``SetLogDeliveryConfiguration``,
``GetLogDeliveryConfiguration``. The local pool scores no risk and ships no logs.
"""

from __future__ import annotations

from typing import Any

from ..faults import invalid_parameter
from .context import Context

__all__ = [
    "describe_risk_configuration",
    "get_log_delivery_configuration",
    "set_log_delivery_configuration",
    "set_risk_configuration",
]

_RISK_PARTS = (
    "CompromisedCredentialsRiskConfiguration",
    "AccountTakeoverRiskConfiguration",
    "RiskExceptionConfiguration",
)


async def set_risk_configuration(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    client_id = body.get("ClientId") or ""
    if client_id:
        pool.client(client_id)
    config: dict[str, Any] = {"UserPoolId": pool.id}
    if client_id:
        config["ClientId"] = client_id
    config.update({part: body[part] for part in _RISK_PARTS if part in body})
    config["LastModifiedDate"] = ctx.now()
    pool.area("risk")[client_id or "ALL"] = config
    return {"RiskConfiguration": config}


async def describe_risk_configuration(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """A client's configuration, else the pool's (Cognito's fallback), else an empty one."""
    pool = ctx.store.pool(body["UserPoolId"])
    client_id = body.get("ClientId") or ""
    if client_id:
        pool.client(client_id)
    risks = pool.records.get("risk", {})
    config = risks.get(client_id) if client_id else None
    if config is None:
        config = risks.get("ALL") or {"UserPoolId": pool.id}
    return {"RiskConfiguration": config}


async def set_log_delivery_configuration(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    for item in body["LogConfigurations"]:
        if not ({"CloudWatchLogsConfiguration", "S3Configuration", "FirehoseConfiguration"} & set(item)):
            raise invalid_parameter("A log configuration needs a destination.")
    config = {"UserPoolId": pool.id, "LogConfigurations": list(body["LogConfigurations"])}
    pool.area("log_delivery")["config"] = config
    return {"LogDeliveryConfiguration": config}


async def get_log_delivery_configuration(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    stored = pool.records.get("log_delivery", {}).get("config")
    config = stored or {"UserPoolId": pool.id, "LogConfigurations": []}
    return {"LogDeliveryConfiguration": config}

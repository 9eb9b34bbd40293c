"""User import jobs: ``GetCSVHeader``, ``CreateUserImportJob``, ``DescribeUserImportJob``,
``ListUserImportJobs``, ``StartUserImportJob``, ``StopUserImportJob``.

Cognito imports the CSV file uploaded to the job's pre-signed S3 URL. The local pool has no S3, so no
file ever arrives: a started job ends as Cognito ends one started without its file, ``Failed``.
"""

from __future__ import annotations

from typing import Any

from ..faults import Fault, resource_not_found
from .context import Context
from .paging import paginate
from .state import Pool, random_id

__all__ = [
    "create_user_import_job",
    "describe_user_import_job",
    "get_csv_header",
    "list_user_import_jobs",
    "start_user_import_job",
    "stop_user_import_job",
]

#: The columns of Cognito's import CSV, before the pool's custom attributes.
CSV_HEADER = (
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
    "cognito:mfa_enabled",
    "cognito:username",
)


async def get_csv_header(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    custom = [f"custom:{name}" for name in sorted(pool.custom_attributes)]
    return {"UserPoolId": pool.id, "CSVHeader": [*CSV_HEADER, *custom]}


def _job(pool: Pool, job_id: str) -> dict[str, Any]:
    job = pool.records.get("import_jobs", {}).get(job_id)
    if job is None:
        raise resource_not_found(f"User import job {job_id} does not exist.")
    return dict(job)


async def create_user_import_job(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    job_id = "import-" + random_id(10)
    job: dict[str, Any] = {
        "JobName": body["JobName"],
        "JobId": job_id,
        "UserPoolId": pool.id,
        "PreSignedUrl": f"https://cognito-idp-import.local/{pool.id}/{job_id}",
        "CreationDate": ctx.now(),
        "Status": "Created",
        "CloudWatchLogsRoleArn": body["CloudWatchLogsRoleArn"],
        "ImportedUsers": 0,
        "SkippedUsers": 0,
        "FailedUsers": 0,
    }
    if body.get("PasswordHashingAlgorithm"):
        job["PasswordHashingAlgorithm"] = body["PasswordHashingAlgorithm"]
    pool.area("import_jobs")[job_id] = job
    return {"UserImportJob": job}


async def describe_user_import_job(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    return {"UserImportJob": _job(pool, body["JobId"])}


async def list_user_import_jobs(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    jobs = sorted(pool.records.get("import_jobs", {}).values(), key=lambda j: (j["CreationDate"], j["JobId"]))
    page, token = paginate(jobs, body["MaxResults"], body.get("PaginationToken"), lambda j: j["JobId"])
    reply: dict[str, Any] = {"UserImportJobs": page}
    if token:
        reply["PaginationToken"] = token
    return reply


async def start_user_import_job(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    job = _job(pool, body["JobId"])
    if job["Status"] != "Created":
        raise Fault("PreconditionNotMetException", f"The job is {job['Status']}; only a Created job starts.")
    now = ctx.now()
    job.update(
        Status="Failed",
        StartDate=now,
        CompletionDate=now,
        CompletionMessage="No CSV file was uploaded to the job's URL (the local user pool has no S3).",
    )
    pool.area("import_jobs")[job["JobId"]] = job
    return {"UserImportJob": job}


async def stop_user_import_job(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pool = ctx.store.pool(body["UserPoolId"])
    job = _job(pool, body["JobId"])
    if job["Status"] not in ("Created", "Pending", "InProgress"):
        raise Fault("PreconditionNotMetException", f"The job is {job['Status']}; it cannot be stopped.")
    now = ctx.now()
    job.update(Status="Stopped", CompletionDate=now, CompletionMessage="The job was stopped.")
    pool.area("import_jobs")[job["JobId"]] = job
    return {"UserImportJob": job}

"""Import API: upload a file to import in the background, then follow the job (staff only)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from clientmap.core.api_auth import STAFF
from clientmap.core.roles import is_staff
from clientmap.imports import mapping, services
from clientmap.imports.models import ImportJob

router = Router(tags=["imports"], auth=STAFF)


class JobOut(Schema):
    id: UUID
    filename: str
    format: str
    status: str
    check_only: bool
    skip_invalid: bool
    ignore_unknown: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    progress: dict
    report: dict
    errors: list[dict]
    url: str


def _out(job: ImportJob) -> dict:
    return {
        "id": job.pk,
        "filename": job.filename,
        "format": job.format or "mapping",
        "status": job.status,
        "check_only": job.check_only,
        "skip_invalid": job.skip_invalid,
        "ignore_unknown": job.ignore_unknown,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "progress": services.progress(job),
        "report": job.report,
        "errors": job.errors,
        "url": f"/api/imports/jobs/{job.pk}",
    }


def _staff(request) -> None:
    if not is_staff(request.auth):
        raise HttpError(403, "Imports are for staff users.")


@router.get("/formats", response=list[str], summary="The presets and the workbook format")
def formats(request):
    return ["workbook", *sorted(mapping.presets())]


@router.post(
    "/jobs",
    response={202: JobOut},
    summary="Upload a file and import it in the background",
    description=(
        "multipart/form-data: `file`, and `format` (workbook for a .zip of the workbook CSV files, "
        "or a preset) or `mapping` (TOML text); `check` validates without writing; "
        "`skip_invalid` imports the valid rows and writes the rest to a rejects file; "
        "`ignore_unknown` (workbook) imports the files it knows and names the others in the "
        "report instead of refusing the upload. "
        "Answers 202 with the job; poll its url until status is done or failed."
    ),
)
def create(
    request,
    file: UploadedFile = File(...),  # noqa: B008
    format: str = Form(""),  # noqa: B008
    mapping_text: str = Form("", alias="mapping"),  # noqa: B008
    check: bool = Form(False),  # noqa: B008
    skip_invalid: bool = Form(False),  # noqa: B008
    ignore_unknown: bool = Form(False),  # noqa: B008
):
    _staff(request)
    try:
        job = services.create_job(
            user=request.auth,
            filename=file.name,
            stream=file,
            format=format,
            mapping_text=mapping_text,
            check=check,
            skip_invalid=skip_invalid,
            ignore_unknown=ignore_unknown,
        )
    except services.JobError as exc:
        raise HttpError(400, str(exc)) from None
    services.start(job)
    return Status(202, _out(job))


@router.get("/jobs", response=list[JobOut], summary="Recent import jobs")
def jobs(request):
    _staff(request)
    return [_out(j) for j in ImportJob.objects.all()[:50]]


@router.get("/jobs/{job_id}", response=JobOut, summary="One import job: progress and report")
def job(request, job_id: UUID):
    _staff(request)
    return _out(get_object_or_404(ImportJob, pk=job_id))

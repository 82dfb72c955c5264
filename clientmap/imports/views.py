"""Staff pages: upload a file to import, follow its progress, read its report."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from clientmap.core import jobs
from clientmap.core.decorators import staff_required
from clientmap.imports import mapping, services
from clientmap.imports.models import ImportJob


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a file to import.")
        else:
            try:
                job = services.create_job(
                    user=request.user,
                    filename=upload.name,
                    stream=upload,
                    format=request.POST.get("format", ""),
                    mapping_text=request.POST.get("mapping", ""),
                    check=bool(request.POST.get("check")),
                    skip_invalid=bool(request.POST.get("skip_invalid")),
                    ignore_unknown=bool(request.POST.get("ignore_unknown")),
                )
            except services.JobError as exc:
                error = str(exc)
            else:
                services.start(job)
                if request.htmx:
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = job_url(job)
                    return response
                return redirect(job_url(job))
    jobs = ImportJob.objects.select_related("created_by")[:30]
    return render(
        request,
        "imports/index.html",
        {
            "jobs": jobs,
            "presets": sorted(mapping.presets()),
            "error": error,
        },
        status=400 if error else 200,
    )


def job_url(job: ImportJob) -> str:
    from django.urls import reverse

    return reverse("imports:job", args=[job.pk])


@staff_required
def job(request: HttpRequest, pk) -> HttpResponse:
    j = get_object_or_404(ImportJob, pk=pk)
    if not j.finished and jobs.reap_key(services.job_key(j)):
        j.refresh_from_db()  # its worker died: the job now says so (failed, or queued again)
    context = {"job": j, "progress": services.progress(j)}
    if request.htmx:
        return render(request, "imports/_job.html", context)
    return render(request, "imports/job.html", context)


@staff_required
def retry(request: HttpRequest, pk) -> HttpResponse:
    """Queue a failed import again (after its worker died, or once its file was fixed)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.retry(get_object_or_404(ImportJob, pk=pk))
    return redirect(job_url(get_object_or_404(ImportJob, pk=pk)))

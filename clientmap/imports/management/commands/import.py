"""``clientmap import PATH``: load a workbook folder, or a foreign export through a mapping."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from clientmap.imports import audit_hooks, mapping, workbook
from clientmap.imports.errors import ImportFailed


class Command(BaseCommand):
    help = _(
        "Import a workbook folder, or one exported file through a mapping (--mapping MAP.toml or "
        "--format PRESET), in one transaction. A bad value stops the import with file, line and "
        "column, and nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help=_("workbook folder, or the file to import"))
        parser.add_argument(
            "--format",
            default=None,
            help=_("workbook, or a preset mapping: %(presets)s")
            % {"presets": ", ".join(sorted(mapping.presets()))},
        )
        parser.add_argument("--mapping", help=_("a TOML mapping file for a foreign export"))
        parser.add_argument(
            "--check", action="store_true", help=_("validate only: report what would change")
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help=_("import the valid rows; write the rejected ones with their reason to a CSV"),
        )
        parser.add_argument("--rejects", help=_("where to write rejected rows"))
        parser.add_argument(
            "--ignore-unknown",
            action="store_true",
            help=_(
                "import a workbook folder even if it holds CSV files the workbook does not know"
            ),
        )
        parser.add_argument("--json", action="store_true", help=_("machine-readable output"))
        parser.add_argument("--no-progress", action="store_true", help=_("no progress bar"))

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        path = Path(opts["path"])
        fmt = opts["format"]
        if opts["mapping"] and fmt:
            raise CommandError(_("Give --mapping or --format, not both."))
        mapped = bool(opts["mapping"] or (fmt and fmt != "workbook"))
        if not mapped and not path.is_dir():
            raise CommandError(
                _(
                    "%(path)s is not a folder. A single exported file needs --mapping "
                    "MAP.toml or --format with one of: %(presets)s"
                )
                % {"path": path, "presets": ", ".join(sorted(mapping.presets()))}
            )
        with transaction.atomic():  # the data and its audit entry commit together
            report = self._mapped(path, opts) if mapped else self._workbook(path, opts)
            audit_hooks.command_import(
                report, path, (opts["mapping"] or fmt or "workbook") if mapped else "workbook"
            )
        seconds = time.perf_counter() - started
        if opts["json"]:
            self.stdout.write(
                json.dumps({"ok": True, **report.as_dict(), "seconds": round(seconds, 3)}, indent=2)
            )
            return
        self.stdout.write(
            f"{_('records'):<16} {_('created'):>9} {_('updated'):>9} {_('unchanged'):>10}"
        )
        for name, c in report.counts.items():
            self.stdout.write(
                f"{name:<16} {c['created']:>9} {c['updated']:>9} {c['unchanged']:>10}"
            )
        for what, n in getattr(report, "skipped", {}).items():
            self.stdout.write(_("Skipped %(n)d %(what)s.") % {"n": n, "what": what})
        for name, t in report.read.items():
            self.stdout.write(
                _(
                    "%(file)s: %(records)d records read from %(lines)d lines "
                    "(%(blank)d blank, %(continued)d continuation lines of multi-line values)."
                )
                % {
                    "file": name,
                    "records": t["records"],
                    "lines": t["lines"],
                    "blank": t["blank_lines"],
                    "continued": t["continuation_lines"],
                }
            )
        if report.absent_optional:
            self.stdout.write(
                _("Optional columns not in the file (read as empty): %(columns)s")
                % {"columns": ", ".join(report.absent_optional)}
            )
        for name in report.ignored:
            self.stdout.write(
                self.style.WARNING(_("Ignored %(file)s: not a workbook file.") % {"file": name})
            )
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(_("Warning: %(text)s") % {"text": warning}))
        cycles = getattr(report, "cycles", [])
        for cycle in cycles[:10]:
            services = cycle["services"]
            shown = ", ".join(services[:12]) + (
                _(" and %(n)d more") % {"n": len(services) - 12} if len(services) > 12 else ""
            )
            self.stdout.write(
                self.style.WARNING(
                    _("Cycle in the value chain among %(n)d services: %(services)s")
                    % {"n": len(services), "services": shown}
                )
            )
        if len(cycles) > 10:
            self.stdout.write(
                self.style.WARNING(_("… and %(n)d more cycles.") % {"n": len(cycles) - 10})
            )
        if report.rejected:
            self.stdout.write(
                self.style.WARNING(
                    _("%(n)d row(s) rejected, written with their reasons to %(file)s")
                    % {"n": report.rejected, "file": getattr(report, "rejects_file", "")}
                )
            )
        if report.checked_only:
            self.stdout.write(_("Check only: nothing was written."))
        elif not report.changed:
            self.stdout.write(_("Nothing changed: the database already holds all of this."))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Imported in %(s).1f s; %(r)d customer relations recomputed.")
                    % {"s": seconds, "r": report.relations or 0}
                )
            )

    def _fail(self, errors: list, opts: dict) -> None:
        if opts["json"]:
            self.stdout.write(
                json.dumps({"ok": False, "errors": [e.as_dict() for e in errors]}, indent=2)
            )
        raise CommandError(
            _("Nothing was imported. %(n)d problem(s):\n%(errors)s")
            % {"n": len(errors), "errors": "\n".join(f"  {e}" for e in errors)}
        )

    def _bar(self, opts: dict, desc: str, total: int, unit: str):
        if opts["no_progress"] or opts["json"]:
            return None
        from tqdm import tqdm

        return tqdm(
            total=total, desc=desc, unit=unit, unit_scale=True, file=sys.stderr, leave=False
        )

    def _workbook(self, path: Path, opts: dict):
        known = set(workbook.known_files())
        total = sum(p.stat().st_size for p in path.glob("*.csv") if p.name in known)
        bar = self._bar(opts, path.name, total, "B")

        def read(n: int) -> None:
            if bar:
                bar.update(n)

        def step(name: str) -> None:
            if bar:
                bar.update(bar.total - bar.n)  # reading is done once writing starts
                bar.set_postfix_str(_("writing %(name)s") % {"name": name})

        try:
            return workbook.import_workbook(
                path,
                check=opts["check"],
                skip_invalid=opts["skip_invalid"],
                progress=step,
                on_bytes=read,
                rejects=opts["rejects"],
                ignore_unknown=opts["ignore_unknown"],
            )
        except ImportFailed as exc:
            self._fail(exc.errors, opts)
        finally:
            if bar:
                bar.close()
                sys.stderr.flush()

    def _mapped(self, path: Path, opts: dict):
        try:
            m = mapping.load(opts["mapping"] or opts["format"])
        except mapping.MappingError as exc:
            raise CommandError(str(exc)) from None
        bar = self._bar(opts, path.name, path.stat().st_size if path.exists() else 0, "B")
        last = [0]

        def progress(p: mapping.Progress) -> None:
            if bar:
                bar.update(p.done - last[0])
                last[0] = p.done
                bar.set_postfix_str(_("%(rows)d rows") % {"rows": p.rows})

        def step(name: str) -> None:
            if bar:
                bar.update(bar.total - bar.n)  # reading is done once writing starts
                bar.set_postfix_str(_("writing %(name)s") % {"name": name})

        try:
            return mapping.import_mapped(
                path,
                m,
                check=opts["check"],
                skip_invalid=opts["skip_invalid"],
                rejects=opts["rejects"],
                on_progress=progress,
                on_step=step,
            )
        except ImportFailed as exc:
            self._fail(exc.errors, opts)
        finally:
            if bar:
                bar.close()
                sys.stderr.flush()

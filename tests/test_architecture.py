"""The layer contracts (docs/architecture.md): they hold on the code and catch planted breaks."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest
from importlinter import configuration

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.layers_contract import (  # noqa: E402
    DomainLayersContract,
    DomainNeverImportsWebContract,
)

configuration.configure()  # import-linter's own settings (timer, printer), as lint-imports does

CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS = {c["id"]: c for c in CONFIG["contracts"]}


def _options(contract: dict) -> dict:
    return {k: v for k, v in contract.items() if k not in {"id", "name", "type"}}


def _graph(imports: list[tuple[str, str]]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    modules = {"clientmap"}
    for importer, imported in imports:
        for name in (importer, imported):
            parts = name.split(".")
            modules.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    for m in sorted(modules):
        graph.add_module(m)
    for app in ("core", "directory", "catalog", "engagements", "customers", "valuechain"):
        graph.add_module(f"clientmap.{app}")
    for app in ("voice", "experience", "imports"):
        graph.add_module(f"clientmap.{app}")
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="")
    return graph


def _check(cls, contract_id: str, imports: list[tuple[str, str]]) -> bool:
    contract = cls(
        name=contract_id,
        session_options={"root_packages": ["clientmap"]},
        contract_options=_options(CONTRACTS[contract_id]),
    )
    return contract.check(_graph(imports), verbose=False).kept


def test_both_contracts_name_the_same_web_layer():
    assert CONTRACTS["layers"]["web"] == CONTRACTS["web"]["web"]


def test_lint_imports_passes_on_the_code():
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed (scripts/install.sh --dev)")
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_lower_layer_importing_a_higher_one_breaks_the_layers():
    assert _check(
        DomainLayersContract, "layers", [("clientmap.customers.rules", "clientmap.core.bulk")]
    )
    assert not _check(
        DomainLayersContract, "layers", [("clientmap.core.roles", "clientmap.customers.rules")]
    )
    # Indirectly, through a module of the middle layer, too.
    assert not _check(
        DomainLayersContract,
        "layers",
        [
            ("clientmap.directory.models", "clientmap.catalog.rules"),
            ("clientmap.catalog.rules", "clientmap.voice.models"),
        ],
    )


def test_web_modules_may_import_any_layer():
    assert _check(
        DomainLayersContract,
        "layers",
        [
            ("clientmap.core.views", "clientmap.customers.overview"),
            ("clientmap.directory.api", "clientmap.imports.services"),
            ("clientmap.core.management.commands.demo", "clientmap.imports.demo"),
        ],
    )


def test_a_domain_module_importing_a_web_module_breaks_the_web_contract():
    ok = [("clientmap.customers.views", "clientmap.customers.selectors")]
    assert _check(DomainNeverImportsWebContract, "web", ok)
    for imported in (
        "clientmap.customers.views",  # its own app's views
        "clientmap.directory.api",  # another app's API
        "clientmap.core.management.commands.demo",  # a command
        "clientmap.core.decorators",  # request plumbing
    ):
        assert not _check(
            DomainNeverImportsWebContract, "web", [("clientmap.customers.selectors", imported)]
        ), imported


def test_no_two_url_patterns_claim_the_same_path() -> None:
    """A second pattern for a path is dead code that silently loses to the first (it once
    replaced the language switch that keeps the choice in the profile)."""
    from django.urls import get_resolver
    from django.urls.resolvers import URLPattern, URLResolver

    seen: dict[str, str] = {}
    duplicates: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and not route.startswith("api/"):
                # (django-ninja registers one pattern per operation of a path, by design)
                if route in seen:
                    duplicates.append(f"{route}: {seen[route]} and {p.lookup_str}")
                seen[route] = p.lookup_str

    walk(get_resolver().url_patterns, "")
    assert duplicates == []

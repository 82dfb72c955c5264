"""Two import-linter contract types that say how Clientmap's layers work (docs/architecture.md).

Every app holds two kinds of module. **Domain modules** (models, rules, selectors, services,
signals, apps, …) sit in the app's layer. **Web modules** (views, api, urls, admin, management
commands, and the request plumbing of ``core``) sit in one top layer above every app: a page of
the directory may show customer relations. The ``web`` option of both contracts names the web
modules (module expressions, each taken with its descendants); everything else is domain.

* ``domain_layers``: a layers contract over the domain modules only — it is checked on the import
  graph without the web modules (exact, because the next contract proves no domain module
  imports a web one, so no chain between domain modules can pass through the web layer).
* ``domain_never_imports_web``: no domain module imports a web module (of its own app or any
  other).

Run by ``lint-imports`` (configured in pyproject.toml under ``[tool.importlinter]``).
"""

from __future__ import annotations

import grimp
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract
from importlinter.domain import fields
from importlinter.domain.contract import ContractCheck
from importlinter.domain.helpers import module_expressions_to_modules
from importlinter.domain.imports import ModuleExpression


def _web_modules(graph: grimp.ImportGraph, expressions) -> set[str]:
    """The web modules present in ``graph``, each with its descendants."""
    present = [
        e for e in expressions if e.has_wildcard_expression() or e.expression in graph.modules
    ]
    modules = module_expressions_to_modules(graph, present, as_packages=True)
    return {m.name for m in modules if m.name in graph.modules}


class DomainLayersContract(LayersContract):
    """The layers contract, checked on the graph of domain modules (web modules removed)."""

    type_name = "domain_layers"

    web = fields.SetField(subfield=fields.ModuleExpressionField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        for module in _web_modules(graph, self.web):  # type: ignore[arg-type]
            graph.remove_module(module)
        return super().check(graph, verbose)


class DomainNeverImportsWebContract(ForbiddenContract):
    """No domain module (anything outside ``web``) imports a web module."""

    type_name = "domain_never_imports_web"

    web = fields.SetField(subfield=fields.ModuleExpressionField())
    # Computed from ``web``: not options of this contract.
    source_modules = fields.SetField(subfield=fields.ModuleExpressionField(), required=False)
    forbidden_modules = fields.SetField(subfield=fields.ModuleExpressionField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        web = _web_modules(graph, self.web)  # type: ignore[arg-type]
        roots = set(self.session_options["root_packages"])
        domain = {
            m
            for m in graph.modules
            if m not in web and m.split(".")[0] in roots and not graph.is_module_squashed(m)
        }
        self.source_modules = {ModuleExpression(m) for m in sorted(domain)}
        self.forbidden_modules = {ModuleExpression(m) for m in sorted(web)}
        self.as_packages = False
        # A chain from a domain module into the web layer always has a direct domain → web
        # import in it, so direct imports are enough (and fast).
        self.allow_indirect_imports = True
        return super().check(graph, verbose)

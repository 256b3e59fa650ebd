"""The domains' import graph: no circle between domain packages (imports inside functions
count), the core imports no domain, and integration reads the other domains through the core's
registries (it imports only members and accounts). The same check as the project's
domain_graph hook, computed here with `ast` so CI needs nothing beside the clone."""

from __future__ import annotations

import ast
import pathlib

PORTAL = pathlib.Path(__file__).resolve().parent.parent / "portal"
NOT_DOMAINS = {"static", "translations", "__pycache__"}
# Each domain may import only those before it (accounts <- members <- voting <- proposals <-
# meetings); integration only members and accounts.
LAYERS = ["accounts", "members", "voting", "proposals", "meetings"]
# Programmes sit above all of them and above integration (it credits the pathways).


def _domains() -> list[str]:
    return sorted(
        p.name
        for p in PORTAL.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name not in NOT_DOMAINS
    )


def _imported(path: pathlib.Path, parts: tuple[str, ...]) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.level:  # relative: resolved against the file's package
                base = list(parts[:-1])[: len(parts) - node.level]
                names.append(".".join(["portal", *base, node.module]))
            else:
                names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Package -> the other portal packages it imports (anywhere in its files); "core" too."""
    packages = [*_domains(), "core"]
    graph: dict[str, set[str]] = {name: set() for name in packages}
    for path in PORTAL.rglob("*.py"):
        parts = path.relative_to(PORTAL).parts
        if len(parts) < 2 or parts[0] not in graph:
            continue
        for name in _imported(path, parts):
            bits = name.split(".")
            if len(bits) >= 2 and bits[0] == "portal" and bits[1] in graph and bits[1] != parts[0]:
                graph[parts[0]].add(bits[1])
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_check_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_between_domains():
    graph = import_graph()
    assert {
        "accounts",
        "members",
        "voting",
        "proposals",
        "meetings",
        "integration",
        "programmes",
    } <= set(graph)
    assert cycles(graph) == []


def test_the_core_imports_no_domain():
    assert import_graph()["core"] == set()


def test_each_domain_imports_only_those_below_it():
    graph = import_graph()
    for position, domain in enumerate(LAYERS):
        upstream = set(LAYERS[position + 1 :]) | {"integration", "programmes"}
        assert graph[domain] & upstream == set(), domain
    # Nothing imports programmes: it plugs into the others through their signals and registries.
    assert all("programmes" not in imported for imported in graph.values())


def test_integration_reads_the_other_domains_through_the_registries():
    assert import_graph()["integration"] <= {"accounts", "members", "core"}


# --- One permission model: rights are decided by named predicates, not by roles ---------------

# Where reading a user's global roles is the point: computing roles (the core, each domain's
# policies), the model itself, and checking data rather than rights.
ROLE_READERS = {"policies.py", "security.py", "models.py"}
ROLE_CHECKS_OF_DATA = {
    # A person named to a follow-up team must hold the role they are named as.
    ("integration/services.py", "_check_team_user"),
    # A counsellor who opens a pathway is its first counsellor; an administrator names one.
    ("integration/services.py", "open_pathway"),
}


def has_role_calls(source: str, name: str) -> list[tuple[str, int]]:
    """(enclosing function, line) of each `.has_role(` call in `source`."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = child.name
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "has_role"
            ):
                found.append((function, child.lineno))
            visit(child, inner)

    visit(ast.parse(source, name), "")
    return found


def rights_decided_by_roles() -> list[str]:
    """`.has_role(` calls outside the places allowed above, as "path:line in function"."""
    misplaced = []
    for path in sorted(PORTAL.rglob("*.py")):
        if path.name in ROLE_READERS:
            continue
        relative = path.relative_to(PORTAL).as_posix()
        for function, line in has_role_calls(path.read_text(), str(path)):
            if (relative, function) not in ROLE_CHECKS_OF_DATA:
                misplaced.append(f"{relative}:{line} in {function or 'the module'}")
    return misplaced


def test_the_check_finds_a_role_test_in_a_view():
    source = (
        "def index():\n"
        "    user = acting_user()\n"
        "    if not user.has_role(Role.ADMIN):\n"
        "        abort(403)\n"
        "allowed = current_user.has_role(Role.BOARD)\n"
    )
    assert has_role_calls(source, "views.py") == [("index", 3), ("", 5)]


def test_rights_are_decided_by_named_predicates():
    """A view, service or template helper asks a predicate (`policies.can_...`, `can()`), never
    `user.has_role(...)`: a rule written with roles does not show in the permissions matrix."""
    assert rights_decided_by_roles() == [], (
        "Decide rights with a named predicate over core.security.can (a site-wide permission "
        "if needed, then regenerate tests/core/permissions_matrix.txt)."
    )


# The documented exceptions to "views never commit" (docs/architecture.md, the request
# lifecycle): a login attempt is stored before the password is checked, so parallel attempts
# across workers see each other.
VIEW_COMMITS_ALLOWED = {("accounts/views.py", "_record_attempt")}


def transaction_calls(source: str, name: str) -> list[tuple[str, int]]:
    """(enclosing function, line) of each `.commit(` or `.rollback(` call in `source`."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef) else function
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr in ("commit", "rollback")
            ):
                found.append((function, child.lineno))
            visit(child, inner)

    visit(ast.parse(source, name), "")
    return found


def test_the_check_finds_a_commit_in_a_view():
    source = "def save():\n    db.session.commit()\n    db.session.rollback()\n"
    assert transaction_calls(source, "views.py") == [("save", 2), ("save", 3)]


def test_views_leave_commits_to_the_request_lifecycle():
    """Views never commit or roll back: the lifecycle commits after a success and rolls back
    otherwise (portal/core/lifecycle.py), so a refused service leaves nothing half-saved."""
    misplaced = []
    # The views, and the shared screens they hand their work to (history, revert, sharing).
    for path in [*sorted(PORTAL.glob("*/views*.py")), PORTAL / "core" / "itemviews.py"]:
        relative = path.relative_to(PORTAL).as_posix()
        for function, line in transaction_calls(path.read_text(), str(path)):
            if (relative, function) not in VIEW_COMMITS_ALLOWED:
                misplaced.append(f"{relative}:{line} in {function}")
    assert misplaced == []

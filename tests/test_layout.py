"""Imports point inward: nothing in shared/ imports an app, nothing in firmware/core/ includes one.

The apps are the folders of firmware/apps/ (each also a Python package at the repository root), so a fourth demo is
covered without editing this test.
"""

import ast
import re

from tests.conftest import REPO_ROOT

CORE_DIR = REPO_ROOT / "firmware" / "core"
# Headers firmware/core may include that are not in it: generated into the build tree, the same for every app.
GENERATED_HEADERS = {"protocol_codes.h", "model.h"}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.MULTILINE)


def app_names() -> set[str]:
    return {p.name for p in (REPO_ROOT / "firmware" / "apps").iterdir() if p.is_dir()}


def app_imports(source: str, apps: set[str]) -> list[str]:
    """Every `import X...` / `from X... import` in `source` whose top-level package is an app, as written."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] in apps]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in apps:
            found.append(node.module)
    return found


def foreign_includes(source: str, apps: set[str]) -> list[str]:
    """Quoted includes that are neither a firmware/core file nor a generated header, or that name an app."""
    app_path = re.compile(rf"(apps/|\.\./|({'|'.join(sorted(apps))})[_/.])")  # apps/..., ../..., kws_config.h, ...
    return [name for name in INCLUDE.findall(source)
            if app_path.match(name) or (name not in GENERATED_HEADERS and not (CORE_DIR / name).is_file())]


def test_the_apps_are_found():
    apps = app_names()
    assert {"har", "kws", "mnist"} <= apps
    assert all((REPO_ROOT / app / "__init__.py").is_file() for app in apps)


def test_the_checks_can_fail():
    apps = app_names()
    source = "import os\nimport kws.mfcc\nfrom mnist import data\nfrom . import x\nfrom shared import har_like\n"
    assert app_imports(source, apps) == ["kws.mfcc", "mnist"]
    includes = '#include "protocol.h"\n#include "kws_config.h"\n# include "apps/har/app.h"\n#include <stdint.h>\n'
    assert foreign_includes(includes, apps) == ["kws_config.h", "apps/har/app.h"]


def test_shared_imports_no_app():
    apps = app_names()
    offenders = {}
    for path in sorted((REPO_ROOT / "shared").rglob("*.py")):
        if found := app_imports(path.read_text(), apps):
            offenders[str(path.relative_to(REPO_ROOT))] = found
    assert offenders == {}, f"shared/ must not import an app: {offenders}"


def test_firmware_core_includes_no_app():
    apps = app_names()
    offenders = {}
    for path in sorted([*CORE_DIR.glob("*.c"), *CORE_DIR.glob("*.h")]):
        if found := foreign_includes(path.read_text(), apps):
            offenders[path.name] = found
    assert offenders == {}, f"firmware/core/ must include only its own and generated headers: {offenders}"

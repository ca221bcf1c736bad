"""The set-up contract: config in step with the catalogue, conda env in step with pyproject, Python discovery."""

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_pygeoapi_config_in_step_with_catalogue():
    r = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "api.config", "check"], cwd=ROOT, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert sorted(p for p in pip if not p.startswith("-e")) == sorted(project)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci/run").read_text()
    assert "./dev test" in readme
    assert re.search(r"^exec \./dev test$", ci, re.M)


def test_clear_message_when_no_python_312(tmp_path):
    if any(Path(p).exists() for p in ("/usr/bin/python3.12", "/usr/bin/python3.13", "/usr/local/bin/python3.12")):
        pytest.skip("this machine has a system Python >= 3.12")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    r = subprocess.run(["bash", str(ROOT / "dev"), "setup"], env=env, capture_output=True, text=True)
    assert r.returncode == 1
    assert "No Python >= 3.12 found" in r.stderr
    assert "BUERGERGIS_PYTHON" in r.stderr


def test_python_found_through_pyenv_when_python3_is_311():
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = sorted(pyenv_root.glob("versions/3.1[2-9]*/bin/python"))
    if not found or not shutil.which("bash"):
        pytest.skip("no pyenv Python >= 3.12 here")
    r = subprocess.run(
        ["bash", str(ROOT / "dev"), "which-python"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    out = subprocess.run(
        [r.stdout.strip(), "-c", "import sys; print(sys.version_info >= (3, 12))"], capture_output=True, text=True
    )
    assert out.stdout.strip() == "True"

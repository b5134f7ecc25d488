"""No container engine runs here, so the Dockerfile is checked against the Makefile as text."""
from __future__ import annotations

import re
import tomllib

from conftest import PROJECT_ROOT


def pip_install_args(text: str) -> str:
    match = re.search(r"python -m pip install (.+)", text)
    assert match, "no pip install line"
    return match.group(1).strip()


def test_docker_installs_exactly_like_the_makefile():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    assert pip_install_args(dockerfile) == pip_install_args(makefile)
    assert "-c constraints.txt" in pip_install_args(dockerfile)


def test_docker_runs_the_real_entry_point():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    scripts = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert 'ENTRYPOINT ["cnfiscal"]' in dockerfile and re.search(r'CMD \["run"', dockerfile)
    module, function = scripts["cnfiscal"].split(":")
    assert callable(getattr(__import__(module, fromlist=[function]), function))

"""The documentation: the site builds with every link and anchor resolved (as `make docs`
builds it), and the README's links into it resolve too."""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys

from markdown.extensions.toc import slugify

from tests.conftest import PROJECT_ROOT
from tools import generated_docs

MKDOCS = pathlib.Path(sys.executable).parent / "mkdocs"
# A Markdown link to a file of the project: its path and anchor (web addresses aside).
LOCAL_LINK = re.compile(r"\]\((?!https?://)(?P<path>[^)#\s]*)(?:#(?P<anchor>[^)\s]+))?\)")
HEADING = re.compile(r"^#{1,6} (?P<title>.+)$", re.MULTILINE)
CODE_BLOCK = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def build(project: pathlib.Path, site: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # Not --quiet: it hides the warnings, and --strict then fails on none of them.
        [str(MKDOCS), "build", "--strict", "--site-dir", str(site)],
        cwd=project,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_MKDOCS_2_WARNING": "1"},
        timeout=120,
    )


def test_the_site_builds_with_every_link_and_anchor_resolved(tmp_path: pathlib.Path) -> None:
    built = build(PROJECT_ROOT, tmp_path / "site")
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "site" / "configuration" / "index.html").exists()


def test_a_page_that_links_to_a_missing_anchor_fails_the_build(tmp_path: pathlib.Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "docs", project / "docs")
    shutil.copy(PROJECT_ROOT / "mkdocs.yml", project)
    cost = project / "docs" / "cost.md"
    cost.write_text(cost.read_text() + "\nSee [the pipeline's keys](configuration.md#pipline).\n")
    built = build(project, tmp_path / "site")
    assert built.returncode != 0
    assert "configuration.md#pipline" in built.stderr


def anchors_of(page: pathlib.Path) -> set[str]:
    text = CODE_BLOCK.sub("", page.read_text())
    return {slugify(heading.group("title").replace("`", ""), "-") for heading in HEADING.finditer(text)}


def test_the_readmes_links_resolve() -> None:
    readme = PROJECT_ROOT / "README.md"
    links = list(LOCAL_LINK.finditer(CODE_BLOCK.sub("", readme.read_text())))
    assert len(links) > 10
    for link in links:
        target = (readme.parent / link.group("path")) if link.group("path") else readme
        assert target.exists(), f"README links to {link.group('path')}, which does not exist"
        if link.group("anchor"):
            assert link.group("anchor") in anchors_of(target), f"README links to {link.group(0)}: no such heading"


def test_the_home_page_is_the_readme_with_links_made_relative_to_the_site() -> None:
    assert generated_docs.HOME.read_text() == generated_docs.home_page(), "run make docs"
    assert "](docs/" not in generated_docs.HOME.read_text()

"""`make setup`: download the wheels that each function's lambda_src/<source>/requirements.txt
pins (with hashes), built for Lambda's platform, into .wheelhouse/<source>/, so that
synth bundles them offline (stacks/shared/bundling.py)."""

from __future__ import annotations

import subprocess
import sys

from stacks.shared.bundling import LAMBDA_SRC, PIP_TARGET, REQUIREMENTS, WHEELHOUSE


def main() -> int:
    for requirements in sorted(LAMBDA_SRC.glob(f"*/{REQUIREMENTS}")):
        source = requirements.parent.name
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--require-hashes",
            "--no-deps", *PIP_TARGET, "--dest", str(WHEELHOUSE / source), "-r", str(requirements),
        ]  # fmt: skip
        if subprocess.run(command).returncode != 0:
            print(f"could not download the wheels of lambda_src/{source}/{REQUIREMENTS}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

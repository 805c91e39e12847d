"""The site's pages written from elsewhere, so that each is declared once: the
configuration reference (docs/configuration.md) from the keys' declarations in
stacks/context_keys.py, and the home page (docs/index.md) from README.md, its links into
docs/ made relative to the site. `make docs` writes them; a test fails when they differ.

    python -m tools.generated_docs [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

from stacks.context_keys import CONTEXT_KEYS, MODES, ContextKey

ROOT = Path(__file__).resolve().parent.parent
CONFIGURATION = ROOT / "docs" / "configuration.md"
HOME = ROOT / "docs" / "index.md"

INTRODUCTION = """\
# Configuration reference

<!-- Written by `make docs` from stacks/context_keys.py, where each key is declared: edit it there. -->

All configuration is CDK context. `cdk.json` ships a complete example (the AWS
documentation's example accounts), so `make synth` works with no flags. Override any
key in `cdk.json` or with `-c key=value` (`make synth CDK_ARGS="-c stage=dev"`).

- **Lists** are JSON lists in `cdk.json`; with `-c` they are comma-separated
  (`-c client_accounts=444455556666,777788889999`) or a JSON list written out
  (`-c 'client_accounts=["444455556666"]'`). Objects by VPC id are JSON in both.
- **An empty value** (`-c stage=`, as a CI line `-c stage=$STAGE` gives when the
  variable is unset) is an error, not the default: leave a key out to get its default.
- **An unknown key** (neither one of these nor CDK's own: `@...` feature flags,
  `aws:...`, lookups' `...:account=...` entries, the CLI's `notices`, `cli-telemetry`,
  `acknowledged-issue-numbers`) is an error; one close to a key of the app
  (`client_acounts`) names the right key.
- **Missing keys** that a setting needs (the app itself, `client_org_units`,
  `endpoint_type=private`, `pipeline_account`) are named together when several are
  missing, and a key the chosen mode does not use is refused, not ignored.

A wrong value stops synth before any template is written, with one message that names
the key, shows the value and says what is expected, for example:

```
Invalid configuration: context key 'api_account' is '1111-2222-3333': expected a 12-digit AWS account id as a string, such as "111122223333". Fix it in cdk.json or pass -c api_account=<value>.
```

Both stacks get an explicit `env` (account and region), so the CDK CLI refuses to deploy
a stack with credentials of the wrong account. With several client accounts there is one
client stack per account, named `ClientStack-<account>`.
"""

def cell(text: str) -> str:
    return text.replace("|", "\\|")


def row(key: ContextKey) -> str:
    example = f"`{cell(key.example)}`" if key.example else ""
    return f"| `{key.name}` | {cell(key.description)} | {cell(key.type)} | {cell(key.default_text)} | {example} |"


def configuration_page() -> str:
    sections = [INTRODUCTION]
    for mode, read_when in MODES.items():
        # A key is listed under the first setting that reads it.
        keys = [key for key in CONTEXT_KEYS if key.modes[0] == mode]
        if not keys:
            continue
        also = sorted({other for key in keys for other in key.modes[1:]})
        note = f" Also read with: {', '.join(also)}." if also else ""
        sections.append(
            "\n".join(
                [
                    f"## {mode[0].upper()}{mode[1:]}",
                    "",
                    read_when + note,
                    "",
                    "| key | meaning | value | default | example |",
                    "| --- | --- | --- | --- | --- |",
                    *(row(key) for key in keys),
                    "",
                ]
            )
        )
    return "\n".join(sections)


def home_page() -> str:
    readme = (ROOT / "README.md").read_text()
    return "<!-- Written by `make docs` from README.md: edit it there. -->\n\n" + readme.replace("](docs/", "](")


def pages() -> dict[Path, str]:
    return {CONFIGURATION: configuration_page(), HOME: home_page()}


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        stale = [path.name for path, text in pages().items() if not path.exists() or path.read_text() != text]
        if stale:
            print(f"docs/{', docs/'.join(stale)} out of date: run make docs", file=sys.stderr)
            return 1
        return 0
    if argv:
        print("usage: python -m tools.generated_docs [--check]", file=sys.stderr)
        return 2
    for path, text in pages().items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

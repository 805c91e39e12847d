"""`make <target> PROFILE=<name>`: stop at once, with a clear word, when PROFILE is not
given or names no AWS profile, before any synth or deploy starts."""

from __future__ import annotations

import sys

import botocore.session


def problem(profile: str, target: str, known: list[str]) -> str | None:
    if not profile:
        return f"Set PROFILE to the AWS profile of the account: {target} PROFILE=<profile>"
    if profile not in known:
        listed = ", ".join(sorted(known)) or "none"
        return (
            f"The AWS profile '{profile}' does not exist (profiles in your AWS config: {listed}). "
            f"Create it with `aws configure --profile {profile}` or `aws configure sso`, or pick one of those."
        )
    return None


def main(argv: list[str]) -> int:
    profile, target = argv
    found = problem(profile, target, botocore.session.Session().available_profiles)
    if found:
        print(found, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

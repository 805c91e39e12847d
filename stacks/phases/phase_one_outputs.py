"""Where the client stacks' api_id comes from: the context, else phase one's outputs file.

Precedence: an api_id in the context (`-c api_id=...` or cdk.json) that is not the
example id; else the ApiId that `make deploy-api` wrote to cdk-outputs.json, when
that file describes this configuration's API (account, region, stage, type of API,
endpoint type and access mode; a file that does not is passed over,
with a warning that says why); else cdk.json's example id, but only while every
account is an example account, so it never reaches a real deploy.
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass

from stacks.config import API_ID_PATTERN, REGIONAL, RESOURCE_POLICY, REST, AppConfig

OUTPUTS_FILE_NAME = "cdk-outputs.json"
EXAMPLE_API_ID = "a1b2c3d4e5"
EXAMPLE_ACCOUNTS = frozenset({"111122223333", "444455556666"})
DEPLOY_API_FIRST = (
    "deploy ApiStack first with `make deploy-api PROFILE=<api-account profile>` (it writes "
    f"{OUTPUTS_FILE_NAME}), or pass ApiStack's ApiId output with -c api_id=<id>"
)


@dataclass(frozen=True)
class ApiIdChoice:
    """The api_id for the client stacks and where it came from; else `problem`, why
    there is none. `ignored` says why an outputs file was passed over, if one was."""

    api_id: str | None
    source: str
    problem: str | None = None
    ignored: str | None = None
    # lambda-authorizer mode: the authorizer's id, from the context or with the API's id
    # from the outputs file; None while unknown.
    authorizer_id: str | None = None


def choose_api_id(config: AppConfig, outputs_file: pathlib.Path) -> ApiIdChoice:
    outputs, ignored = _read_outputs_file(config, outputs_file) if outputs_file.exists() else (None, None)

    def authorizer_id(api_id: str) -> str | None:
        from_file = outputs.get("AuthorizerId") if outputs and outputs["ApiId"] == api_id else None
        return config.authorizer_id or (from_file if isinstance(from_file, str) else None)

    if config.api_id is not None and config.api_id != EXAMPLE_API_ID:
        return ApiIdChoice(config.api_id, "context", authorizer_id=authorizer_id(config.api_id))
    if outputs is not None:
        return ApiIdChoice(outputs["ApiId"], outputs_file.name, authorizer_id=authorizer_id(outputs["ApiId"]))
    if config.api_id is None:
        return ApiIdChoice(None, "none", f"api_id is not known: {DEPLOY_API_FIRST}.", ignored)
    if {config.api_account, *config.client_accounts} <= EXAMPLE_ACCOUNTS:
        return ApiIdChoice(config.api_id, "example", ignored=ignored, authorizer_id=config.authorizer_id)
    return ApiIdChoice(
        None,
        "example",
        f"api_id is cdk.json's example id {EXAMPLE_API_ID}, but the accounts are not the example accounts: "
        f"a deploy would call an API that does not exist. {DEPLOY_API_FIRST[0].upper()}{DEPLOY_API_FIRST[1:]}.",
        ignored,
    )


def _read_outputs_file(config: AppConfig, outputs_file: pathlib.Path) -> tuple[dict | None, str | None]:
    """ApiStack's outputs from the file, or None and why the file was passed over."""
    passed_over = f"{outputs_file} was ignored"
    try:
        outputs = json.loads(outputs_file.read_text()).get("ApiStack", {})
    except (OSError, ValueError, AttributeError) as error:
        return None, f"{passed_over}: it is not ApiStack's outputs ({error})."
    api_id = outputs.get("ApiId") if isinstance(outputs, dict) else None
    if not isinstance(api_id, str) or not API_ID_PATTERN.fullmatch(api_id):
        return None, f"{passed_over}: it has no ApiStack ApiId output."
    expected = {
        "ApiAccount": config.api_account,
        "ApiRegion": config.api_region.name,
        "Stage": config.stage,
        "ApiType": config.api_type,
        "EndpointType": config.endpoint_type,
        "AccessMode": config.access_mode,
    }
    # Outputs written before ApiStack had the last three are a regional REST API's
    # with a resource policy.
    defaults = {"ApiType": REST, "EndpointType": REGIONAL, "AccessMode": RESOURCE_POLICY}
    found = {key: outputs.get(key, defaults.get(key)) for key in expected}
    if found != expected:
        return None, (
            f"{passed_over}: it describes the API {found}, not this configuration's {expected}. "
            "Redeploy ApiStack for this configuration, or pass -c api_id=<id>."
        )
    return outputs, None

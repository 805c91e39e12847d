"""Whether cross-account IAM works, judged from what the requestor answered when asked to
call the health route unsigned and signed (`compare_unsigned`); when it does not, which
known cause fits. `make smoke` asks from a laptop (tools/smoke.py); the pipeline's check
runs this module in CodeBuild, where only the standard library is at hand:

    python3 -m tools.verdict ANSWER_FILE KIND

ANSWER_FILE holds the requestor's answer (as `aws lambda invoke` writes it); KIND is how
the API words its refusals (rest, http, private or authorizer; rest-domain, http-domain
or private-domain when the requestor calls a custom domain). Exit status 0: works.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

MISSING_TOKEN = "Missing Authentication Token"
FORBIDDEN = "Forbidden"
# What each type of API answers an unsigned request (a private REST API's resource
# policy may deny the anonymous caller before IAM authentication does).
UNSIGNED_REFUSALS = {
    "rest": (MISSING_TOKEN, "User: anonymous is not authorized"),
    "http": (FORBIDDEN,),
    "authorizer": ("Unauthorized",),
}
UNREACHABLE = ("could not reach the API", "The API's host could not be reached: check api_region (and api_id, if given).")
# Substrings of the message the signed call got, in the order they are checked.
REST_CAUSES = (
    (
        MISSING_TOKEN,
        "No deployment of the stage, or no such path: the signed request reached no route. Check that ApiStack "
        "deployed and that `stage` is the same for every stack.",
    ),
    (
        "with an explicit deny",
        "The resource policy refuses a role of this name: deploy ClientStack with the same stage and "
        "client_region as ApiStack (in the API's own account: list it in client_accounts).",
    ),
    (
        "is not authorized to perform: execute-api:Invoke",
        "An Allow is missing: either the API's resource policy does not admit the role (redeploy ApiStack "
        "with this account in client_accounts) or the role's identity policy lacks execute-api:Invoke on "
        "this API (redeploy ClientStack: it reads the API's id from ApiStack, unless -c api_id names another).",
    ),
    (
        "signature we calculated does not match",
        "Signature mismatch: the bytes sent differ from the bytes signed (path or query encoding, or a "
        "header changed after signing).",
    ),
    (
        "Credential should be scoped to a valid region",
        "Wrong region: the request was signed for another region than the API's; API_REGION must be api_region.",
    ),
    (
        "security token included in the request is invalid",
        "The function's credentials were rejected: check the requestor role and its session.",
    ),
    (
        "Forbidden",
        "No API with this id in this region: ApiStack was deleted or replaced (its API has a new id) since this "
        "stack deployed, or -c api_id names another API. Redeploy ApiStack if it is gone, then this stack with "
        "FORCE=true (it reads ApiStack's current id when it deploys).",
    ),
    UNREACHABLE,
)
# An HTTP API answers every refusal of IAM authorization with the same word.
HTTP_CAUSES = (
    (
        FORBIDDEN,
        "The HTTP API refused the signed call and HTTP APIs do not say why: the requestor did not sign as "
        "the invoker role's session (check INVOKER_ROLE_ARN), the invoker role may not invoke this route "
        "(redeploy ApiStack with the same stage), the request was signed for another region than the "
        "API's, or ApiStack was deleted or replaced since this stack deployed (redeploy this stack with "
        "FORCE=true: it reads the current API id). The API's access log has the error type for the request id.",
    ),
    (
        "Not Found",
        "No route or no stage of this name: check that ApiStack deployed and that `stage` is the same for every stack.",
    ),
    UNREACHABLE,
)
# A private REST API adds a network boundary: checked before the REST causes.
PRIVATE_CAUSES = (
    (
        "with an explicit deny",
        "Denied by the resource policy: either it does not admit the requestor role (redeploy ApiStack with "
        "this account in client_accounts and the same stage and client_region), or the call did not come "
        "from this account's VPC in client_vpc_ids through its execute-api endpoint (check the requestor's "
        "VpcConfig and client_vpc_ids).",
    ),
    (
        "could not reach the API",
        "A private API is reached only through an execute-api interface endpoint in the requestor's VPC: "
        "deploy ClientStack with -c create_vpc_endpoint=true, or check the VPC's endpoint (private DNS, or "
        "its name as vpc_endpoint_dns_name) and that security groups allow HTTPS to it.",
    ),
    (
        FORBIDDEN,
        "The call reached API Gateway's public endpoint (through a NAT), where a private API does not exist: "
        "the VPC's execute-api endpoint is missing or has no private DNS. Deploy ClientStack with "
        "-c create_vpc_endpoint=true, or give the endpoint's name as vpc_endpoint_dns_name.",
    ),
)
# The requestor could not assume the invoker role from inside the VPC.
PRIVATE_ASSUME_ROLE_CAUSE = (
    "cause: from a private VPC, STS is reached through its VPC endpoint (create_vpc_endpoint=true makes "
    "one in assume-role mode) or a NAT; check the requestor's security group allows HTTPS to it."
)
# lambda-authorizer mode: the central authorizer's answers.
AUTHORIZER_CAUSES = (
    (
        "Unauthorized",
        "The central authorizer refused the token: STS did not vouch for it (a clock far off, or a token for "
        "another API), or STS could not be reached from the security account. Check the authorizer's logs "
        "in authorizer_account.",
    ),
    (
        "explicit deny",
        "The central authorizer does not admit this role: add the account to client_accounts (or "
        "allowed_principal_arns) and redeploy AuthorizerStack, with the same stage and client_region.",
    ),
    (
        "the API answered 500",
        "API Gateway could not call the authorizer: deploy AuthorizerStack in authorizer_account with "
        "`make deploy-authorizer` (it grants API Gateway the right to invoke it for this API's AuthorizerId).",
    ),
    UNREACHABLE,
)
# A custom domain (docs/modes/custom-domains.md): its own causes, checked before the API's.
NAME_NOT_RESOLVED = ("Name or service not known", "NameResolutionError", "nodename nor servname", "getaddrinfo failed")
HOST_NOT_SIGNED_AS_SENT = (
    "signature we calculated does not match",
    "Signature mismatch: the Host signed must be the Host sent, the custom domain. The requestor signs the host "
    "of its API_URL; a client that signs the execute-api host and sends the domain (or the reverse), or a proxy "
    "that rewrites Host, fails this way.",
)
DOMAIN_CERTIFICATE = (
    "CERTIFICATE_VERIFY_FAILED",
    "The name answered with a certificate that is not the domain's: the name resolves elsewhere than API Gateway "
    "(check its DNS record), or the ACM certificate does not cover the name.",
)
PRIVATE_DOMAIN_CAUSES = tuple(
    (text, cause)
    for texts, cause in (
        (
            NAME_NOT_RESOLVED,
            "The domain's name does not resolve in the requestor's VPC: the Route 53 private hosted zone of the "
            "domain is not associated with this VPC, or has no A alias record to the VPC's execute-api endpoint "
            "(with an existing endpoint, vpc_endpoint_id, that zone and record are yours to create).",
        ),
        ((DOMAIN_CERTIFICATE[0],), DOMAIN_CERTIFICATE[1]),
        ((HOST_NOT_SIGNED_AS_SENT[0],), HOST_NOT_SIGNED_AS_SENT[1]),
        (
            (FORBIDDEN,),
            "The private domain refused the endpoint: its domain name access association is not active yet (it "
            "takes about 15 minutes), or the AWS RAM share is pending (outside the organization, or without RAM "
            "sharing enabled in it, accept the invitation in this account within 12 hours, then redeploy "
            "ClientStack), or the association was made from another endpoint than the one the name resolves to.",
        ),
        (
            ("with an explicit deny",),
            "Denied by a policy: the domain's policy admits the client VPCs only, and the API's resource policy the "
            "requestor role from them (redeploy ApiStack with this account and VPC in client_accounts and "
            "client_vpc_ids); or the VPC endpoint's policy does not allow the domain.",
        ),
    )
    for text in texts
)
REGIONAL_DOMAIN_CAUSES = tuple(
    (text, cause)
    for texts, cause in (
        (
            NAME_NOT_RESOLVED,
            "The domain's name does not resolve: create its A alias record to ApiStack's DomainTarget and "
            "DomainTargetZone outputs (or give custom_domain_hosted_zone_id and redeploy ApiStack).",
        ),
        ((DOMAIN_CERTIFICATE[0],), DOMAIN_CERTIFICATE[1]),
        ((HOST_NOT_SIGNED_AS_SENT[0],), HOST_NOT_SIGNED_AS_SENT[1]),
    )
    for text in texts
)
KNOWN_CAUSES = {
    "rest": REST_CAUSES,
    "http": HTTP_CAUSES,
    "private": PRIVATE_CAUSES + REST_CAUSES,
    "authorizer": AUTHORIZER_CAUSES,
    "rest-domain": REGIONAL_DOMAIN_CAUSES + REST_CAUSES,
    "http-domain": REGIONAL_DOMAIN_CAUSES + HTTP_CAUSES,
    "private-domain": PRIVATE_DOMAIN_CAUSES + PRIVATE_CAUSES + REST_CAUSES,
}
# How each kind words an unsigned refusal: as the API behind the domain does.
UNSIGNED_REFUSALS |= {"rest-domain": UNSIGNED_REFUSALS["rest"], "http-domain": UNSIGNED_REFUSALS["http"]}


@dataclass
class Verdict:
    ok: bool
    lines: list[str] = field(default_factory=list)


def kind(access_mode: str | None, endpoint_type: str | None, api_type: str | None, custom_domain: str | None = None) -> str:
    """How the API words its refusals; a missing setting is that of a regional REST API.
    With a custom domain, the domain's own causes come first."""
    if access_mode == "lambda-authorizer":
        return "authorizer"
    base = "private" if endpoint_type == "private" else api_type or "rest"
    return f"{base}-domain" if custom_domain else base


def check_event(method: str, path: str) -> dict[str, Any]:
    """What the requestor is asked to do: call this route, signed and unsigned."""
    return {"method": method, "path": path, "compare_unsigned": True}


def judge(result: dict[str, Any], kind: str = "rest") -> Verdict:
    """`kind`: the API's kind as make smoke tells them apart: rest, http or private."""
    if "signed" not in result:
        verdict = Verdict(False, [f"the requestor refused the call: {result.get('error')}"])
        if kind.startswith("private") and "could not assume" in str(result.get("error")):
            verdict.lines.append(PRIVATE_ASSUME_ROLE_CAUSE)
        return verdict
    signed, unsigned = result["signed"], result["unsigned"]
    verdict = Verdict(False, [f"unsigned: {_summary(unsigned)}", f"signed:   {_summary(signed)}"])
    refusals = UNSIGNED_REFUSALS.get(kind, UNSIGNED_REFUSALS["rest"])
    refused_status = 401 if kind == "authorizer" else 403
    unsigned_refused = unsigned.get("statusCode") == refused_status and any(text in _message(unsigned) for text in refusals)
    if unsigned.get("statusCode") == 200:
        verdict.lines.append("FAILED: the API answered an unsigned request, so its methods do not require IAM.")
    elif signed.get("statusCode") == 200 and unsigned_refused:
        body = signed.get("body") or {}
        verdict.ok = True
        client = body.get("clientAccount")
        behalf = f", for client account {client}" if client and client != body.get("account") else ""
        verdict.lines.append(f"caller the API saw: {body.get('principal')} (account {body.get('account')}{behalf})")
        verdict.lines.append("OK: unsigned is refused, signed is served: cross-account IAM works.")
    else:
        verdict.lines.append("FAILED: the signed call was not served.")
        verdict.lines += [f"cause: {cause}" for text, cause in KNOWN_CAUSES[kind] if text in _message(signed)][:1] or [
            "cause: none of the known causes fits; see the API's access logs for the request id."
        ]
    return verdict


def _message(call: dict[str, Any]) -> str:
    body = call.get("body")
    message = body.get("message") if isinstance(body, dict) else body
    return f"{message or ''} {call.get('error') or ''}"


def _summary(call: dict[str, Any]) -> str:
    body = call.get("body")
    message = body.get("message") if isinstance(body, dict) and "message" in body else None
    return f"{call.get('statusCode')} {message or call.get('error') or 'ok'}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[1] not in KNOWN_CAUSES:
        print(f"usage: python3 -m tools.verdict ANSWER_FILE {{{','.join(KNOWN_CAUSES)}}}", file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as answer_file:
            answer = json.load(answer_file)
    except (OSError, ValueError) as error:
        print(f"no answer to judge in {args[0]}: {error}", file=sys.stderr)
        return 2
    if not isinstance(answer, dict) or "errorMessage" in answer:
        # Lambda's answer when the function raised: its error, not the requestor's.
        failure = f"{answer.get('errorType')}: {answer.get('errorMessage')}" if isinstance(answer, dict) else answer
        print(f"the requestor failed: {failure}; see its log group", file=sys.stderr)
        return 1
    verdict = judge(answer, args[1])
    print("\n".join(verdict.lines))
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""custom_domain_name: a private API's private custom domain, shared with exactly the
client accounts and reached from their VPCs only; a regional REST or HTTP API's
regional domain. The domain's policy judged by principalmapper's local evaluation, the
requestor's URL and the Host it signs checked against the gateway double serving the
domain over TLS (docs/modes/custom-domains.md)."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from aws_cdk.assertions import Match, Template

from lambda_src.api import handler as backend
from lambda_src.requestor import handler as requestor
from lambda_src.requestor import transport
from stacks.config import ConfigError
from tests.callers import REQUESTOR, run_as
from tests.conftest import DOMAIN, DOMAIN_HOSTED_ZONE, DOMAIN_MODES, MODES, PRIVATE, SynthesizedApp, config_from, synthesize
from tests.deploy_time import DEPLOYED_API_ID, DEPLOYED_DOMAIN_ID
from tests.gateway_double import HEALTH_REQUEST, GatewayDouble
from tests.iam import as_iam_stores_it, invoke_allowed, local_check_authorization_full, role
from tools import smoke, verdict

NAME = DOMAIN["custom_domain_name"]
CERTIFICATE = DOMAIN["custom_domain_certificate_arn"]
CLIENT_VPC = PRIVATE["client_vpc_ids"]
OTHER_VPC = "vpc-0fedcba9876543210"
CLIENT_ENDPOINT = "vpce-0a1b2c3d4e5f67890"
API_ARN = f"arn:aws:execute-api:eu-west-1:111122223333:{DEPLOYED_API_ID}"
DOMAIN_ARN = f"arn:aws:apigateway:eu-west-1:111122223333:/domainnames/{NAME}+{DEPLOYED_DOMAIN_ID}"
DOMAIN_INVOKE_ARN = f"arn:aws:execute-api:eu-west-1:111122223333:/domainnames/{NAME}+{DEPLOYED_DOMAIN_ID}"
# principalmapper 1.1.5 turns a policy's ARNs into regular expressions escaping only '.'
# and '*': the '+' of a domain's ARN would be a quantifier. Judged under a name without it.
JUDGED_DOMAIN_ARN = DOMAIN_INVOKE_ARN.replace("+", "-")
SECOND_ACCOUNT, SECOND_VPC = "777788889999", "vpc-0b1b2c3d4e5f67890"
TWO_CLIENTS = {
    **DOMAIN_MODES["private-domain"],
    "client_accounts": f"444455556666,{SECOND_ACCOUNT}",
    "client_vpc_ids": f"{CLIENT_VPC},{SECOND_VPC}",
    "client_subnet_ids": '{"%s": ["subnet-0a1b2c3d4e5f67890"], "%s": ["subnet-0c1b2c3d4e5f67890"]}' % (CLIENT_VPC, SECOND_VPC),
}
EXISTING_ENDPOINT = {**PRIVATE, **DOMAIN, "vpc_endpoint_id": CLIENT_ENDPOINT}


@pytest.fixture(scope="module")
def private() -> SynthesizedApp:
    return synthesize(gated=True, **_gated("private-domain"))


@pytest.fixture(scope="module")
def regional() -> SynthesizedApp:
    return synthesize(gated=True, **_gated("regional-domain"))


@pytest.fixture(scope="module")
def http() -> SynthesizedApp:
    return synthesize(gated=True, **_gated("http-domain"))


def _gated(mode: str) -> dict[str, Any]:
    """The configuration as tests/gates.py synthesizes it: one synth for the gates and these tests."""
    from tests.gates import GATED_MODES

    return GATED_MODES[mode]


def the(template: Template, resource_type: str) -> dict[str, Any]:
    (only,) = template.find_resources(resource_type).values()
    return only["Properties"]


def requestor_environment(synth: SynthesizedApp, stack_name: str | None = None) -> dict[str, str]:
    template = synth.deployed(stack_name) if stack_name else synth.deployed_client
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    return function["Properties"]["Environment"]["Variables"]


# The configuration.


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        ({"custom_domain_name": "Orders.example.com"}, "custom_domain_name", "a DNS name in lowercase"),
        ({"custom_domain_name": "*.example.com"}, "custom_domain_name", "no wildcard"),
        ({"custom_domain_name": "orders.example.com."}, "custom_domain_name", "no trailing dot"),
        ({"custom_domain_name": "orders"}, "custom_domain_name", "a DNS name"),
        ({"custom_domain_name": "https://orders.example.com"}, "custom_domain_name", "a DNS name"),
        ({"custom_domain_name": "orders.-x.example.com"}, "custom_domain_name", "a DNS name"),
        ({"custom_domain_name": "orders.10"}, "custom_domain_name", "a DNS name"),
        ({"custom_domain_name": "a" * 64 + ".example.com"}, "custom_domain_name", "a DNS name"),
        ({"custom_domain_certificate_arn": CERTIFICATE.replace("eu-west-1", "us-east-1")}, "custom_domain_certificate_arn", "in api_account 111122223333 and api_region eu-west-1"),
        ({"custom_domain_certificate_arn": CERTIFICATE.replace("111122223333", "444455556666")}, "custom_domain_certificate_arn", "in api_account 111122223333"),
        ({"custom_domain_certificate_arn": CERTIFICATE.replace(":acm:", ":iam:")}, "custom_domain_certificate_arn", "ACM certificate"),
        ({"custom_domain_certificate_arn": "arn:aws:acm:eu-west-1:111122223333:certificate/not-a-uuid"}, "custom_domain_certificate_arn", "ACM certificate"),
        ({"custom_domain_hosted_zone_id": "zone-1"}, "custom_domain_hosted_zone_id", "the id of the Route 53 hosted zone"),
        ({"custom_domain_share_outside_org": True}, "custom_domain_share_outside_org", "no value unless endpoint_type is private"),
        ({"vpc_endpoint_id": CLIENT_ENDPOINT}, "vpc_endpoint_id", "no value unless endpoint_type is private"),
    ],
)
def test_bad_domain_settings_name_the_key(overrides: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(**{**DOMAIN, **overrides})
    assert raised.value.key == key
    assert expected in str(raised.value)


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        ({**EXISTING_ENDPOINT, "custom_domain_hosted_zone_id": DOMAIN_HOSTED_ZONE}, "custom_domain_hosted_zone_id", "each client stack makes a private hosted zone"),
        ({**PRIVATE, **DOMAIN}, "vpc_endpoint_id", "or -c create_vpc_endpoint=true"),
        ({**EXISTING_ENDPOINT, "create_vpc_endpoint": True}, "vpc_endpoint_id", "no value with create_vpc_endpoint true"),
        ({**EXISTING_ENDPOINT, "vpc_endpoint_id": "vpce-123"}, "vpc_endpoint_id", "such as vpce-0a1b2c3d4e5f67890"),
        (
            {**EXISTING_ENDPOINT, "vpc_endpoint_dns_name": "vpce-0f1b2c3d4e5f67890-abcd1234.execute-api.eu-west-1.vpce.amazonaws.com"},
            "vpc_endpoint_id",
            "the endpoint vpc_endpoint_dns_name names for",
        ),
        ({**EXISTING_ENDPOINT, "api_id": "a1b2c3d4e5"}, "api_id", "reads the domain's ARN from this app's ApiStack"),
        ({**EXISTING_ENDPOINT, "custom_domain_share_outside_org": "maybe"}, "custom_domain_share_outside_org", "true or false"),
    ],
)
def test_bad_private_domain_settings_name_the_key(overrides: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(**overrides)
    assert raised.value.key == key
    assert expected in str(raised.value)


def test_the_domains_keys_go_only_with_a_name() -> None:
    for key, value in (("custom_domain_certificate_arn", CERTIFICATE), ("custom_domain_hosted_zone_id", DOMAIN_HOSTED_ZONE)):
        with pytest.raises(ConfigError) as raised:
            config_from(**{key: value})
        assert str(raised.value).startswith(f"context key '{key}' is '{value}': expected no value unless custom_domain_name is set")


def test_a_name_without_a_certificate_says_which_certificate() -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(custom_domain_name=NAME)
    assert raised.value.key == "custom_domain_certificate_arn"
    assert f"an ACM certificate for {NAME} in api_account 111122223333 and api_region eu-west-1" in str(raised.value)


def test_values_from_dash_c_parse() -> None:
    domain = config_from(**EXISTING_ENDPOINT, custom_domain_share_outside_org="true").custom_domain
    assert (domain.name, domain.certificate_arn, domain.endpoint_ids, domain.share_outside_org) == (
        NAME, CERTIFICATE, {CLIENT_VPC: CLIENT_ENDPOINT}, True
    )


# The private domain, in the API account.


def test_the_private_domain_is_private_with_tls_1_3_only_and_strict_host_matching(private: SynthesizedApp) -> None:
    properties = the(private.api, "AWS::ApiGateway::DomainNameV2")
    assert {key: value for key, value in properties.items() if key != "Policy"} == {
        "DomainName": NAME,
        "CertificateArn": CERTIFICATE,
        "EndpointConfiguration": {"Types": ["PRIVATE"]},
        "SecurityPolicy": "SecurityPolicy_TLS13_1_3_2025_09",
        "EndpointAccessMode": "STRICT",
    }


def domain_admits(synth: SynthesizedApp, context: dict[str, str]) -> bool:
    """Whether the domain's policy, as API Gateway stores it (execute-api:/ expanded to
    the domain), lets a caller whose own policy allows everything invoke through it."""
    policy = the(synth.api, "AWS::ApiGateway::DomainNameV2")["Policy"]
    anything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]}
    caller = role(synth.requestor_role_arn("444455556666"), anything)
    stored = as_iam_stores_it(policy, JUDGED_DOMAIN_ARN)
    return local_check_authorization_full(caller, "execute-api:Invoke", f"{JUDGED_DOMAIN_ARN}/GET/orders", context, stored, "111122223333")


@pytest.mark.parametrize(
    ("source", "context", "admitted"),
    [
        ("the client VPC", {"aws:SourceVpc": CLIENT_VPC}, True),
        ("the client VPC's endpoint", {"aws:SourceVpc": CLIENT_VPC, "aws:SourceVpce": CLIENT_ENDPOINT}, True),
        ("another VPC", {"aws:SourceVpc": OTHER_VPC}, False),
        ("another VPC's endpoint", {"aws:SourceVpc": OTHER_VPC, "aws:SourceVpce": "vpce-0f1b2c3d4e5f67890"}, False),
        ("no VPC, the internet", {}, False),
    ],
)
def test_the_domain_policy_admits_the_client_vpcs_only(
    private: SynthesizedApp, source: str, context: dict[str, str], admitted: bool
) -> None:
    assert domain_admits(private, context) is admitted, source


def test_the_domain_policy_denies_what_it_does_not_allow(private: SynthesizedApp) -> None:
    statements = the(private.api, "AWS::ApiGateway::DomainNameV2")["Policy"]["Statement"]
    assert [(s["Effect"], s["Resource"], s["Condition"]) for s in statements] == [
        ("Allow", "execute-api:/*", {"StringEquals": {"aws:SourceVpc": [CLIENT_VPC]}}),
        ("Deny", "execute-api:/*", {"StringNotEquals": {"aws:SourceVpc": [CLIENT_VPC]}}),
    ]


def test_the_domains_root_is_mapped_to_this_apis_stage(private: SynthesizedApp) -> None:
    (domain_id,) = private.api.find_resources("AWS::ApiGateway::DomainNameV2")
    (api_id,) = private.api.find_resources("AWS::ApiGateway::RestApi")
    (stage_id,) = private.api.find_resources("AWS::ApiGateway::Stage")
    assert the(private.api, "AWS::ApiGateway::BasePathMappingV2") == {
        "DomainNameArn": {"Fn::GetAtt": [domain_id, "DomainNameArn"]},
        "RestApiId": {"Ref": api_id},
        "Stage": {"Ref": stage_id},
    }


def test_the_share_names_the_domain_and_exactly_the_client_accounts_inside_the_organization() -> None:
    two = synthesize(**TWO_CLIENTS)
    (domain_id,) = two.api.find_resources("AWS::ApiGateway::DomainNameV2")
    assert the(two.api, "AWS::RAM::ResourceShare") == {
        "Name": "orders-api-prod-domain",
        "ResourceArns": [{"Fn::GetAtt": [domain_id, "DomainNameArn"]}],
        "Principals": ["444455556666", SECOND_ACCOUNT],
        "AllowExternalPrincipals": False,
    }


def test_outside_the_organization_the_share_must_be_asked_for() -> None:
    shared = synthesize(**DOMAIN_MODES["private-domain"], custom_domain_share_outside_org=True)
    assert the(shared.api, "AWS::RAM::ResourceShare")["AllowExternalPrincipals"] is True


# Each client account.


def test_each_client_associates_its_own_endpoint_with_the_domain_read_from_api_stack() -> None:
    two = synthesize(**TWO_CLIENTS)
    for stack in two.client_stacks:
        deployed = two.deployed(stack.stack_name)
        (endpoint_id,) = deployed.find_resources("AWS::EC2::VPCEndpoint", {"Properties": {"ServiceName": Match.string_like_regexp("execute-api")}})
        assert the(deployed, "AWS::ApiGateway::DomainNameAccessAssociation") == {
            "AccessAssociationSource": {"Ref": endpoint_id},
            "AccessAssociationSourceType": "VPCE",
            "DomainNameArn": DOMAIN_ARN,
        }
        # Read when it deploys: after ApiStack.
        assert "ApiStack" in [dependency.stack_name for dependency in stack.dependencies]


def test_each_client_resolves_the_domain_in_its_own_vpc_to_its_endpoint() -> None:
    two = synthesize(**TWO_CLIENTS)
    for stack, vpc in zip(two.client_stacks, (CLIENT_VPC, SECOND_VPC)):
        template = two.clients[stack.stack_name]
        (zone_id,) = template.find_resources("AWS::Route53::HostedZone")
        assert the(template, "AWS::Route53::HostedZone")["Name"] == f"{NAME}."
        assert the(template, "AWS::Route53::HostedZone")["VPCs"] == [{"VPCId": vpc, "VPCRegion": "eu-west-1"}]
        (endpoint_id,) = template.find_resources("AWS::EC2::VPCEndpoint", {"Properties": {"ServiceName": Match.string_like_regexp("execute-api")}})
        entry = {"Fn::Select": [0, {"Fn::GetAtt": [endpoint_id, "DnsEntries"]}]}
        assert the(template, "AWS::Route53::RecordSet") == {
            "Name": f"{NAME}.",
            "Type": "A",
            "HostedZoneId": {"Ref": zone_id},
            "AliasTarget": {
                "DNSName": {"Fn::Select": [1, {"Fn::Split": [":", entry]}]},
                "HostedZoneId": {"Fn::Select": [0, {"Fn::Split": [":", entry]}]},
            },
        }


def test_with_an_existing_endpoint_the_association_names_it_and_the_record_is_the_vpc_owners() -> None:
    existing = synthesize(**EXISTING_ENDPOINT)
    assert the(existing.deployed_client, "AWS::ApiGateway::DomainNameAccessAssociation")["AccessAssociationSource"] == CLIENT_ENDPOINT
    existing.client.resource_count_is("AWS::Route53::HostedZone", 0)
    existing.client.resource_count_is("AWS::EC2::VPCEndpoint", 0)
    assert CLIENT_ENDPOINT in existing.client.to_json()["Outputs"]["DomainRecordToCreate"]["Value"]


def test_the_requestor_calls_the_domain_and_its_role_invokes_only_this_apis_stage(private: SynthesizedApp) -> None:
    assert requestor_environment(private) == {"API_URL": f"https://{NAME}", "API_REGION": "eu-west-1"}
    (policy,) = [p for n, p in private.deployed_client.find_resources("AWS::IAM::Policy").items() if n.startswith("RequestorRole")]
    (invoke,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "execute-api:Invoke"]
    assert invoke["Resource"] == private.route_arns(DEPLOYED_API_ID)


def test_the_endpoint_allows_invoking_this_apis_stage_and_the_domain_only(private: SynthesizedApp) -> None:
    endpoint = the(private.deployed_client, "AWS::EC2::VPCEndpoint")
    (statement,) = endpoint["PolicyDocument"]["Statement"]
    assert statement["Action"] == "execute-api:Invoke"
    assert statement["Resource"] == [*private.route_arns(DEPLOYED_API_ID), DOMAIN_INVOKE_ARN]


# The regional domains.


def test_a_regional_rest_domain_has_tls_1_3_only_its_root_mapped_and_the_alias_record(regional: SynthesizedApp) -> None:
    (domain_id,) = regional.api.find_resources("AWS::ApiGateway::DomainName")
    assert the(regional.api, "AWS::ApiGateway::DomainName") == {
        "DomainName": NAME,
        "RegionalCertificateArn": CERTIFICATE,
        "EndpointConfiguration": {"Types": ["REGIONAL"]},
        "SecurityPolicy": "SecurityPolicy_TLS13_1_3_2025_09",
        "EndpointAccessMode": "STRICT",
    }
    mapping = the(regional.api, "AWS::ApiGateway::BasePathMapping")
    assert mapping["DomainName"] == {"Ref": domain_id} and "BasePath" not in mapping
    assert the(regional.api, "AWS::Route53::RecordSet") == {
        "Name": f"{NAME}.",
        "Type": "A",
        "HostedZoneId": DOMAIN_HOSTED_ZONE,
        "AliasTarget": {
            "DNSName": {"Fn::GetAtt": [domain_id, "RegionalDomainName"]},
            "HostedZoneId": {"Fn::GetAtt": [domain_id, "RegionalHostedZoneId"]},
        },
    }


def test_an_http_domain_has_tls_1_2_or_newer_and_without_a_zone_the_outputs_name_the_records_target(http: SynthesizedApp) -> None:
    (domain_id,) = http.api.find_resources("AWS::ApiGatewayV2::DomainName")
    assert the(http.api, "AWS::ApiGatewayV2::DomainName") == {
        "DomainName": NAME,
        "DomainNameConfigurations": [{"CertificateArn": CERTIFICATE, "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}],
    }
    assert the(http.api, "AWS::ApiGatewayV2::ApiMapping")["Stage"] == "prod"
    http.api.resource_count_is("AWS::Route53::RecordSet", 0)
    outputs = http.api.to_json()["Outputs"]
    assert outputs["DomainTarget"]["Value"] == {"Fn::GetAtt": [domain_id, "RegionalDomainName"]}
    assert outputs["DomainTargetZone"]["Value"] == {"Fn::GetAtt": [domain_id, "RegionalHostedZoneId"]}


@pytest.mark.parametrize("mode", ["regional-domain", "http-domain"])
def test_a_regional_domains_requestor_calls_the_domain_and_keeps_its_scope(mode: str) -> None:
    synth = synthesize(gated=True, **_gated(mode))
    plain = synthesize(gated=True, **_gated(mode.replace("regional-domain", "resource-policy").replace("http-domain", "http")))
    environment = requestor_environment(synth)
    assert environment["API_URL"] == f"https://{NAME}"
    assert {k: v for k, v in environment.items() if k != "API_URL"} == {
        k: v for k, v in requestor_environment(plain).items() if k != "API_URL"
    }
    policies = [t.find_resources("AWS::IAM::Policy") for t in (synth.deployed_client, plain.deployed_client)]
    assert policies[0] == policies[1]


# The requestor against the gateway double serving the domain.


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for the domain, as ACM's would be for its name."""
    directory = tmp_path_factory.mktemp("domain-tls")
    cert, key = str(directory / "cert.pem"), str(directory / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
         "-subj", f"/CN={NAME}", "-addext", f"subjectAltName=DNS:{NAME}", "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def domain_gateway(private: SynthesizedApp, certificate: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[GatewayDouble]:
    """The double as the domain: TLS for its name, resolved to it (as the private hosted
    zone resolves the name to the endpoint), admitting what IAM admits from the client VPC."""
    (api,) = private.api.find_resources("AWS::ApiGateway::RestApi").values()
    (policy,) = [p for n, p in private.deployed_client.find_resources("AWS::IAM::Policy").items() if n.startswith("RequestorRole")]

    def iam_allows(caller: Any, route_arn: str) -> bool:
        from_the_vpc = {"aws:SourceVpc": CLIENT_VPC}
        role_arn = f"arn:aws:iam::{caller.account}:role/{caller.principal_arn.split('/')[1]}"
        return domain_admits(private, from_the_vpc) and invoke_allowed(
            role_arn, policy["Properties"]["PolicyDocument"], route_arn, api["Properties"]["Policy"], API_ARN, from_the_vpc
        )

    with GatewayDouble(
        region="eu-west-1", stage="prod", callers=[REQUESTOR], backend=backend.handler, identity_allows=iam_allows,
        api_arn=API_ARN, host=NAME, tls=certificate,
    ) as double:  # fmt: skip
        resolve_to_the_double(monkeypatch, double.port)
        monkeypatch.setattr(transport, "HTTP", urllib3.PoolManager(retries=False, ca_certs=certificate[0]))
        yield double


def resolve_to_the_double(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    connect = urllib3.util.connection.create_connection

    def resolved(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        host, at = address
        return connect(("127.0.0.1", port) if (host, at) == (NAME, 443) else address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", resolved)


def test_the_deployed_requestor_reaches_the_backend_through_the_domain_signing_its_host(
    private: SynthesizedApp, domain_gateway: GatewayDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = requestor_environment(private)
    run_as(REQUESTOR, monkeypatch, environment["API_URL"], region=environment["API_REGION"])
    result = requestor.handler({"path": "/orders/123"}, None)
    assert (result["statusCode"], result["body"]) == (200, {"id": "123", "category": "book"}), result
    (received,) = domain_gateway.received
    assert received["headers"]["host"] == NAME
    assert received["target"] == "/orders/123"
    assert "host;" in received["headers"]["authorization"].split("SignedHeaders=")[1]


def test_the_domain_answers_its_own_name_only(domain_gateway: GatewayDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    run_as(REQUESTOR, monkeypatch, f"https://{NAME}")
    result = requestor.handler(HEALTH_REQUEST, None)
    assert result["statusCode"] == 200, result
    status, _ = domain_gateway.answer("GET", "/", {"host": f"{DEPLOYED_API_ID}.execute-api.eu-west-1.amazonaws.com"}, b"")
    assert status == 403


# make smoke's verdict (tools/verdict.py) names the domain's own causes.

UNSIGNED = {"ok": False, "statusCode": 403, "body": {"message": "User: anonymous is not authorized to perform: execute-api:Invoke"}}


def signed_failure(status: int | None, message: str) -> dict[str, Any]:
    if status is None:
        return {"ok": False, "statusCode": None, "error": f"could not reach the API at https://{NAME}: {message}"}
    return {"ok": False, "statusCode": status, "body": {"message": message}, "error": f"the API answered {status}: {message}"}


@pytest.mark.parametrize(
    ("kind", "signed", "cause"),
    [
        ("private-domain", signed_failure(None, "NameResolutionError: Name or service not known"), "private hosted zone of the domain is not associated with this VPC"),
        ("private-domain", signed_failure(403, "Forbidden"), "the AWS RAM share is pending"),
        ("private-domain", signed_failure(403, "Forbidden"), "access association is not active yet"),
        ("private-domain", signed_failure(403, "The request signature we calculated does not match the signature you provided."), "the Host signed must be the Host sent"),
        ("rest-domain", signed_failure(None, "NameResolutionError: Name or service not known"), "create its A alias record to ApiStack's DomainTarget"),
        ("http-domain", signed_failure(403, "The request signature we calculated does not match"), "the Host signed must be the Host sent"),
        ("rest-domain", signed_failure(None, "SSLError: CERTIFICATE_VERIFY_FAILED"), "certificate that is not the domain's"),
    ],
)
def test_smokes_verdict_names_the_domains_causes(kind: str, signed: dict[str, Any], cause: str) -> None:
    judged = verdict.judge({"signed": signed, "unsigned": UNSIGNED}, kind)
    assert judged.ok is False
    assert cause in judged.lines[-1], judged.lines


def test_smoke_and_the_pipelines_check_tell_a_domain_by_the_client_stacks_output(private: SynthesizedApp, http: SynthesizedApp) -> None:
    for synth, expected in ((private, "private-domain"), (http, "http-domain")):
        outputs = {name: output["Value"] for name, output in synth.client.to_json()["Outputs"].items()}
        assert outputs["CustomDomainName"] == NAME
        assert smoke.kind_of(outputs) == expected
    assert verdict.kind("resource-policy", "regional", "rest") == "rest"


def test_a_domain_key_without_the_name_says_remove_it_and_a_misspelt_one_is_named() -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(custom_domain_certificate_arn=CERTIFICATE)
    assert "Remove it from cdk.json (or the -c custom_domain_certificate_arn=... argument)." in str(raised.value)
    with pytest.raises(ConfigError) as raised:
        config_from(custom_domain_nmae=NAME)
    assert "did you mean 'custom_domain_name'?" in str(raised.value)


def test_in_assume_role_mode_the_private_domains_requestor_calls_the_domain_and_sts_by_its_endpoint() -> None:
    synth = synthesize(**DOMAIN_MODES["private-domain"], access_mode="assume-role")
    environment = requestor_environment(synth)
    assert environment["API_URL"] == f"https://{NAME}"
    plain = requestor_environment(synthesize(**MODES["private-assume-role-endpoints"]))
    # Without the domain: the execute-api endpoint by its own name, the API named by x-apigw-api-id.
    assert set(plain) - set(environment) == {"API_ID"}
    assert environment["STS_ENDPOINT_URL"] == plain["STS_ENDPOINT_URL"]
    (policy,) = [p for n, p in synth.deployed_client.find_resources("AWS::IAM::Policy").items() if n.startswith("RequestorRole")]
    (statement,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Action"] == "sts:AssumeRole"]
    assert statement["Resource"] == synth.config.invoker_role_arn

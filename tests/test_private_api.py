"""endpoint_type private: the API reachable only from the client accounts' VPCs, still
IAM-authorized. Every security property one test, on the templates, and the resource
policy evaluated as IAM would, by principalmapper's local policy simulation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from stacks.config import ConfigError
from tests.conftest import SERVICES, SynthesizedApp, config_from, synthesize
from tests.deploy_time import DEPLOYED_API_ID
from tests.iam import invoke_allowed

CLIENT_VPC = "vpc-0a1b2c3d4e5f67890"
OTHER_VPC = "vpc-0fedcba9876543210"
SUBNETS = ("subnet-0a1b2c3d4e5f67890", "subnet-0b1b2c3d4e5f67890")
PRIVATE = {"endpoint_type": "private", "client_vpc_ids": CLIENT_VPC, "client_subnet_ids": ",".join(SUBNETS)}
API_ARN = f"arn:aws:execute-api:eu-west-1:111122223333:{DEPLOYED_API_ID}"
ENDPOINT_DNS = "vpce-0a1b2c3d4e5f67890-abcd1234.execute-api.eu-west-1.vpce.amazonaws.com"
ENDPOINT_GROUP = "sg-0a1b2c3d4e5f67890"


@pytest.fixture(scope="module", params=sorted(SERVICES))
def private(request: pytest.FixtureRequest) -> SynthesizedApp:
    context, service = SERVICES[request.param]
    return synthesize(service=service, **context, **PRIVATE)


@pytest.fixture(scope="module", params=sorted(SERVICES))
def with_endpoints(request: pytest.FixtureRequest) -> SynthesizedApp:
    context, service = SERVICES[request.param]
    return synthesize(service=service, **context, access_mode="assume-role", create_vpc_endpoint=True, **PRIVATE)


def regional_twin(synth: SynthesizedApp) -> SynthesizedApp:
    """The same service as a regional API, for the comparisons."""
    return synthesize(service=synth.config.service, service_name=synth.config.service_name)


def resource_policy(template: Template) -> dict[str, Any]:
    (api,) = template.find_resources("AWS::ApiGateway::RestApi").values()
    return api["Properties"]["Policy"]


def test_the_api_is_private(private: SynthesizedApp) -> None:
    private.api.has_resource_properties("AWS::ApiGateway::RestApi", {"EndpointConfiguration": {"Types": ["PRIVATE"]}})


def test_requests_from_outside_the_client_vpcs_are_denied(private: SynthesizedApp) -> None:
    assert resource_policy(private.api)["Statement"][-1] == {
        "Sid": "DenyOutsideTheClientVpcs",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*",
        "Condition": {"StringNotEquals": {"aws:SourceVpc": [CLIENT_VPC]}},
    }


def test_the_identity_statements_are_those_of_the_regional_api(private: SynthesizedApp) -> None:
    regional = resource_policy(regional_twin(private).api)["Statement"]
    assert resource_policy(private.api)["Statement"][:-1] == regional


def test_in_assume_role_mode_the_private_api_admits_the_invoker_role_only(with_endpoints: SynthesizedApp) -> None:
    allow, deny_others, deny_api_account, deny_outside = resource_policy(with_endpoints.api)["Statement"]
    invoker = f"arn:aws:iam::111122223333:role/{with_endpoints.names.invoker_role}"
    invoker_anywhere = invoker.replace("111122223333", "*")
    assert (allow["Principal"], allow["Condition"]) == (
        {"AWS": "*"},
        {"ArnLike": {"aws:PrincipalArn": invoker_anywhere}, "StringEquals": {"aws:PrincipalAccount": ["111122223333"]}},
    )
    assert deny_others["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [invoker_anywhere]}}
    assert deny_api_account["Condition"] == {
        "StringEquals": {"aws:PrincipalAccount": "111122223333"},
        "ArnNotLike": {"aws:PrincipalArn": [invoker]},
    }
    assert deny_outside["Condition"] == {"StringNotEquals": {"aws:SourceVpc": [CLIENT_VPC]}}


def test_the_requestor_runs_in_the_client_subnets_behind_its_security_group(private: SynthesizedApp) -> None:
    private.deployed_client.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "VpcConfig": {
                "SubnetIds": list(SUBNETS),
                "SecurityGroupIds": [{"Fn::GetAtt": [Match.string_like_regexp("^NetworkRequestorSecurityGroup"), "GroupId"]}],
            }
        },
    )


def test_the_requestors_security_group_allows_https_out_only(private: SynthesizedApp) -> None:
    (group,) = private.deployed_client.find_resources("AWS::EC2::SecurityGroup").values()
    assert group["Properties"]["VpcId"] == CLIENT_VPC
    assert group["Properties"]["SecurityGroupEgress"] == [
        {
            "CidrIp": "0.0.0.0/0",
            "Description": "HTTPS out, for the VPC's execute-api endpoint",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]
    assert "SecurityGroupIngress" not in group["Properties"]


def test_named_the_vpc_endpoints_security_group_the_requestor_may_reach_it_only() -> None:
    synth = synthesize(vpc_endpoint_security_group_id=ENDPOINT_GROUP, **PRIVATE)
    (group,) = synth.deployed_client.find_resources("AWS::EC2::SecurityGroup").values()
    # No rule of its own: CloudFormation drops a group's default allow-all egress rule
    # when an egress rule resource is added to it, which CDK relies on too.
    assert "SecurityGroupEgress" not in group["Properties"]
    synth.deployed_client.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        {"DestinationSecurityGroupId": ENDPOINT_GROUP, "FromPort": 443, "ToPort": 443, "IpProtocol": "tcp"},
    )
    synth.deployed_client.resource_count_is("AWS::EC2::SecurityGroupEgress", 1)


def test_without_create_vpc_endpoint_no_endpoint_is_made(private: SynthesizedApp) -> None:
    private.deployed_client.resource_count_is("AWS::EC2::VPCEndpoint", 0)


def test_with_private_dns_the_requestor_calls_the_apis_usual_url(private: SynthesizedApp) -> None:
    (function,) = private.deployed_client.find_resources("AWS::Lambda::Function").values()
    environment = function["Properties"]["Environment"]["Variables"]
    assert environment["API_URL"] == f"https://{DEPLOYED_API_ID}.execute-api.eu-west-1.amazonaws.com/prod"
    assert "API_ID" not in environment


def test_without_private_dns_the_requestor_calls_the_endpoint_by_name_and_names_the_api() -> None:
    synth = synthesize(vpc_endpoint_dns_name=ENDPOINT_DNS, **PRIVATE)
    synth.deployed_client.has_resource_properties(
        "AWS::Lambda::Function",
        {"Environment": {"Variables": Match.object_like({"API_URL": f"https://{ENDPOINT_DNS}/prod", "API_ID": DEPLOYED_API_ID})}},
    )


def test_the_execute_api_endpoint_allows_only_invoking_this_apis_stage(with_endpoints: SynthesizedApp) -> None:
    with_endpoints.deployed_client.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "ServiceName": "com.amazonaws.eu-west-1.execute-api",
            "VpcEndpointType": "Interface",
            # Private DNS would send every execute-api call of the VPC to this endpoint.
            "PrivateDnsEnabled": False,
            "VpcId": CLIENT_VPC,
            "SubnetIds": list(SUBNETS),
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": "execute-api:Invoke",
                        "Resource": with_endpoints.route_arns(DEPLOYED_API_ID),
                    }
                ],
            },
        },
    )


def test_in_assume_role_mode_an_sts_endpoint_allows_only_assuming_the_invoker_role(
    with_endpoints: SynthesizedApp,
) -> None:
    with_endpoints.deployed_client.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "ServiceName": "com.amazonaws.eu-west-1.sts",
            "PrivateDnsEnabled": False,
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": "sts:AssumeRole",
                        "Resource": f"arn:aws:iam::111122223333:role/{with_endpoints.names.invoker_role}",
                    }
                ],
            },
        },
    )


def endpoint_dns_name(logical_id_prefix: str) -> Any:
    return {
        "Fn::Select": [
            1,
            {
                "Fn::Split": [
                    ":",
                    {"Fn::Select": [0, {"Fn::GetAtt": [Match.string_like_regexp(f"^{logical_id_prefix}"), "DnsEntries"]}]},
                ]
            },
        ]
    }


def test_the_requestor_calls_the_endpoints_it_made_by_their_own_names(with_endpoints: SynthesizedApp) -> None:
    with_endpoints.deployed_client.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": Match.object_like(
                    {
                        "API_URL": {"Fn::Join": ["", ["https://", endpoint_dns_name("NetworkExecuteApi"), "/prod"]]},
                        "API_ID": DEPLOYED_API_ID,
                        "STS_ENDPOINT_URL": {"Fn::Join": ["", ["https://", endpoint_dns_name("NetworkSts")]]},
                    }
                )
            }
        },
    )


def test_the_endpoints_accept_https_from_the_requestor_only(with_endpoints: SynthesizedApp) -> None:
    groups = with_endpoints.deployed_client.find_resources("AWS::EC2::SecurityGroup")
    (endpoint_group,) = [name for name in groups if name.startswith("NetworkEndpointSecurityGroup")]
    (requestor_group,) = [name for name in groups if name.startswith("NetworkRequestorSecurityGroup")]
    with_endpoints.deployed_client.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "GroupId": {"Fn::GetAtt": [endpoint_group, "GroupId"]},
            "SourceSecurityGroupId": {"Fn::GetAtt": [requestor_group, "GroupId"]},
            "FromPort": 443,
            "ToPort": 443,
            "IpProtocol": "tcp",
        },
    )
    for endpoint in with_endpoints.deployed_client.find_resources("AWS::EC2::VPCEndpoint").values():
        assert endpoint["Properties"]["SecurityGroupIds"] == [{"Fn::GetAtt": [endpoint_group, "GroupId"]}]


def test_the_network_interface_permissions_sit_in_a_policy_of_their_own(private: SynthesizedApp) -> None:
    (policy,) = [p for n, p in private.deployed_client.find_resources("AWS::IAM::Policy").items() if "NetworkInterfaces" in n]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Resource"] == "*"
    assert set(statement["Action"]) == {
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    }
    ((only_role,),) = [[r["Ref"] for r in policy["Properties"]["Roles"]]]
    assert only_role.startswith("RequestorRole")


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        ({"api_type": "http", **PRIVATE}, "endpoint_type", "HTTP APIs have no private endpoints"),
        ({"endpoint_type": "private", "client_subnet_ids": SUBNETS[0]}, "client_vpc_ids", "one VPC id per client account"),
        ({"endpoint_type": "private", "client_vpc_ids": CLIENT_VPC}, "client_subnet_ids", "the private subnets"),
        ({**PRIVATE, "client_vpc_ids": "vpc-123"}, "client_vpc_ids", "a VPC id such as vpc-0a1b2c3d4e5f67890"),
        ({**PRIVATE, "client_vpc_ids": json.dumps([f"{CLIENT_VPC}\n"])}, "client_vpc_ids", "a VPC id"),
        ({**PRIVATE, "client_subnet_ids": "subnet-xyz"}, "client_subnet_ids", "a subnet id such as"),
        ({**PRIVATE, "client_vpc_ids": f"{CLIENT_VPC},{OTHER_VPC}"}, "client_vpc_ids", "one VPC id per client account"),
        (
            {**PRIVATE, "client_accounts": "444455556666,777788889999", "client_vpc_ids": f"{CLIENT_VPC},{OTHER_VPC}"},
            "client_subnet_ids",
            "an object by VPC id with several client accounts",
        ),
        (
            {**PRIVATE, "client_subnet_ids": json.dumps({OTHER_VPC: [SUBNETS[0]]})},
            "client_subnet_ids",
            f"an entry for exactly the VPCs {CLIENT_VPC}",
        ),
        ({"client_vpc_ids": CLIENT_VPC}, "client_vpc_ids", "no value unless endpoint_type is private"),
        ({**PRIVATE, "create_vpc_endpoint": "yes"}, "create_vpc_endpoint", "true or false"),
        ({**PRIVATE, "client_region": "eu-central-1"}, "client_region", "a private API is reached through VPC endpoints of its own region"),
        ({**PRIVATE, "vpc_endpoint_dns_name": "vpce-1.example.com"}, "vpc_endpoint_dns_name", "the DNS name of the VPC's execute-api endpoint"),
        (
            {**PRIVATE, "vpc_endpoint_dns_name": ENDPOINT_DNS.replace("eu-west-1", "us-east-1")},
            "vpc_endpoint_dns_name",
            "the DNS name of the VPC's execute-api endpoint",
        ),
        (
            {**PRIVATE, "vpc_endpoint_dns_name": ENDPOINT_DNS, "create_vpc_endpoint": True},
            "vpc_endpoint_dns_name",
            "no value with create_vpc_endpoint true",
        ),
        ({"vpc_endpoint_dns_name": ENDPOINT_DNS}, "vpc_endpoint_dns_name", "no value unless endpoint_type is private"),
        ({"create_vpc_endpoint": "true"}, "create_vpc_endpoint", "false unless endpoint_type is private"),
        ({**PRIVATE, "vpc_endpoint_security_group_id": "sg-1"}, "vpc_endpoint_security_group_id", "the id of the security group"),
        (
            {**PRIVATE, "vpc_endpoint_security_group_id": ENDPOINT_GROUP, "create_vpc_endpoint": True},
            "vpc_endpoint_security_group_id",
            "no value with create_vpc_endpoint true",
        ),
        ({"vpc_endpoint_security_group_id": ENDPOINT_GROUP}, "vpc_endpoint_security_group_id", "no value unless endpoint_type is private"),
    ],
)
def test_bad_private_settings_name_the_key(overrides: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(**overrides)
    assert raised.value.key == key
    assert expected in str(raised.value)


def test_several_client_accounts_each_get_their_vpc_and_subnets() -> None:
    config = config_from(
        endpoint_type="private",
        client_accounts="444455556666,777788889999",
        client_vpc_ids=f"{CLIENT_VPC},{OTHER_VPC}",
        client_subnet_ids=json.dumps({CLIENT_VPC: [SUBNETS[0]], OTHER_VPC: [SUBNETS[1]]}),
    )
    assert {account: (n.vpc_id, n.subnet_ids) for account, n in config.client_networks.items()} == {
        "444455556666": (CLIENT_VPC, (SUBNETS[0],)),
        "777788889999": (OTHER_VPC, (SUBNETS[1],)),
    }


# What IAM decides, by principalmapper's local policy simulation.


def requestor_identity_policy(template: Template) -> dict[str, Any]:
    (policy,) = [p for n, p in template.find_resources("AWS::IAM::Policy").items() if n.startswith("RequestorRoleDefault")]
    return policy["Properties"]["PolicyDocument"]


REQUESTOR = "the requestor role"


@pytest.mark.parametrize(
    ("principal", "source_vpc", "allowed"),
    [
        (REQUESTOR, CLIENT_VPC, True),
        (REQUESTOR, OTHER_VPC, False),
        (REQUESTOR, None, False),  # from the internet: no source VPC at all
        ("arn:aws:iam::444455556666:role/some-other-role", CLIENT_VPC, False),
    ],
)
def test_iam_admits_the_requestor_from_its_vpc_only(
    private: SynthesizedApp, principal: str, source_vpc: str | None, allowed: bool
) -> None:
    principal_arn = private.requestor_role_arn("444455556666") if principal == REQUESTOR else principal
    context = {"aws:SourceVpc": source_vpc} if source_vpc else {}
    for request_arn in private.request_arns(DEPLOYED_API_ID):
        decision = invoke_allowed(
            principal_arn, requestor_identity_policy(private.deployed_client), request_arn,
            resource_policy(private.api), API_ARN, context,
        )
        assert decision is allowed, request_arn


def test_the_same_evaluation_admits_another_vpc_when_the_api_is_regional(private: SynthesizedApp) -> None:
    # The control: without the network statement the same caller from elsewhere is served.
    regional = regional_twin(private)
    for request_arn in regional.request_arns(DEPLOYED_API_ID):
        assert invoke_allowed(
            regional.requestor_role_arn("444455556666"), requestor_identity_policy(regional.deployed_client),
            request_arn, resource_policy(regional.api), API_ARN, {"aws:SourceVpc": OTHER_VPC},
        )

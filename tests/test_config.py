"""Each validation rule of the context, and how app.py reports a bad value."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import region_info

from stacks.config import ConfigError
from tests.background import app_py
from tests.conftest import config_from, suite_context


def test_example_configuration_parses() -> None:
    config = config_from()
    assert config.api_account == "111122223333"
    assert config.api_region.name == "eu-west-1"
    assert config.api_region.partition == "aws"
    assert config.client_accounts == ("444455556666",)
    assert config.client_region == config.api_region
    assert config.stage == "prod"
    assert config.api_id is None  # read from ApiStack when the consumers deploy


def test_values_given_with_dash_c_arrive_as_strings_and_parse() -> None:
    config = config_from(client_accounts="444455556666, 777788889999", client_region="us-east-1")
    assert config.client_accounts == ("444455556666", "777788889999")
    assert config.client_region.name == "us-east-1"


def test_stage_defaults_to_prod_and_api_id_is_optional() -> None:
    config = config_from(stage=None, api_id=None)
    assert config.stage == "prod"
    assert config.api_id is None


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        ({"api_account": "11112222333"}, "api_account", "12-digit AWS account id"),
        ({"api_account": 111122223333}, "api_account", "as a string"),
        ({"api_region": "eu-west"}, "api_region", "AWS region name"),
        ({"api_region": "eu-west-9"}, "api_region", "region known to aws-cdk-lib"),
        ({"client_region": "EU-WEST-1"}, "client_region", "AWS region name"),
        ({"client_region": "cn-north-1"}, "client_region", "same partition as api_region"),
        ({"client_accounts": []}, "client_accounts", "at least one"),
        ({"client_accounts": ""}, "client_accounts", "is empty: expected a value (this key is required)"),
        ({"api_region": " "}, "api_region", "is empty: expected a value (this key is required)"),
        ({"stage": ""}, "stage", "is empty: expected a value (leave the key out to use its default)"),
        ({"api_id": " "}, "api_id", "is empty: expected a value"),
        ({"org_id": ""}, "org_id", "is empty: expected a value"),
        ({"api_account": "111122223333\n"}, "api_account", "12-digit AWS account id"),
        ({"api_account": "\u0661\u0661\u0661\u0661\u0662\u0662\u0662\u0662\u0663\u0663\u0663\u0663"}, "api_account", "12-digit"),
        ({"client_accounts": "\uff14\uff14\uff14\uff14\uff15\uff15\uff15\uff15\uff16\uff16\uff16\uff16"}, "client_accounts", "12-digit"),
        ({"api_region": "eu-west-1\n"}, "api_region", "AWS region name"),
        ({"stage": "prod\n"}, "stage", "letters, digits"),
        ({"api_id": "a1b2c3d4e5\n"}, "api_id", "10 lowercase letters and digits"),
        ({"client_accounts": '["444455556666"'}, "client_accounts", "separated by commas, such as a,b, or a JSON list"),
        ({"allowed_principal_arns": "arn:aws:iam::444455556666:role/*"}, "allowed_principal_arns", "admits almost every role of the account"),
        ({"allowed_principal_arns": "arn:aws:iam::444455556666:role/*/?*"}, "allowed_principal_arns", "with a letter or digit"),
        ({"allowed_principal_arns": "arn:aws:iam::444455556666:role/*-*"}, "allowed_principal_arns", "with a letter or digit"),
        ({"allowed_principal_arns": "arn:aws:iam::444455556666:role/*_*"}, "allowed_principal_arns", "with a letter or digit"),
        (
            {"org_id": "o-a1b2c3d4e5", "allowed_principal_arns": "arn:aws:iam::*:role/*e*"},
            "allowed_principal_arns",
            "starts with literal text: a pattern that starts with a wildcard admits every role whose name merely contains its letters, almost every role of the organization",
        ),
        ({"allowed_principal_arns": "arn:aws:iam::444455556666:role/?rders-*"}, "allowed_principal_arns", "almost every role of the account"),
        ({"allowed_principal_arns": "arn:aws:iam::444455556666:role/*/orders-*"}, "allowed_principal_arns", "starts with literal text"),
        (
            {"org_id": "o-a1b2c3d4e5", "allowed_principal_arns": "arn:aws:iam::*:role/*"},
            "allowed_principal_arns",
            "admits almost every role of the organization",
        ),
        ({"allowed_principal_arns": "arn:aws:iam::444455556666:role/r\u00e9le"}, "allowed_principal_arns", "an IAM role ARN"),
        ({"client_accounts": "444455556666,12"}, "client_accounts", "12-digit AWS account id"),
        ({"client_accounts": {"a": 1}}, "client_accounts", "list of 12-digit account ids"),
        ({"client_accounts": "444455556666,444455556666"}, "client_accounts", "repeated: 444455556666"),
        ({"stage": "prod stage"}, "stage", "letters, digits"),
        ({"stage": "s" * 34}, "stage", "at most 33 characters"),
        ({"api_id": "A1B2C3D4E5"}, "api_id", "10 lowercase letters and digits"),
        ({"api_id": "a1b2c3"}, "api_id", "10 lowercase letters and digits"),
        ({"throttle_rate": "fast"}, "throttle_rate", "a number greater than 0 and at most 10000"),
        ({"throttle_rate": 0}, "throttle_rate", "a number greater than 0"),
        ({"throttle_rate": True}, "throttle_rate", "a number greater than 0"),
        ({"throttle_burst": "2.5"}, "throttle_burst", "a whole number greater than 0 and at most 5000"),
        ({"throttle_burst": 6000}, "throttle_burst", "at most 5000"),
        ({"create_cloudwatch_role": "no"}, "create_cloudwatch_role", "true or false"),
        ({"api_type": "http", "create_cloudwatch_role": "false"}, "create_cloudwatch_role", "no value with api_type http"),
        (
            {"invoker_role_arn": "arn:aws:iam::111122223333:role/orders-api-invoker-prod-eu-west-1"},
            "invoker_role_arn",
            "no value unless access_mode is assume-role (which api_type http implies)",
        ),
        ({"allowed_principal_arns": "arn:aws:iam::444455556666:user/alice"}, "allowed_principal_arns", "an IAM role ARN"),
        ({"allowed_principal_arns": "arn:aws-cn:iam::444455556666:role/x"}, "allowed_principal_arns", "in partition aws"),
        ({"allowed_principal_arns": "arn:aws:iam::*:role/orders-*"}, "allowed_principal_arns", "needs org_id"),
        ({"allowed_principal_arns": {"arn": 1}}, "allowed_principal_arns", "a list of IAM role ARNs"),
        ({"org_id": "o-short"}, "org_id", "an AWS Organizations id such as o-a1b2c3d4e5"),
        ({"org_paths": "o-a1b2c3d4e5/r-ab12/*"}, "org_paths", "no value unless org_id is set"),
        ({"access_mode": "assume_role"}, "access_mode", "one of resource-policy, assume-role"),
        (
            {"access_mode": "assume-role", "invoker_role_arn": "arn:aws:iam::444455556666:role/orders-api-invoker"},
            "invoker_role_arn",
            "the ARN of ApiStack's invoker role in api_account 111122223333",
        ),
        (
            {"access_mode": "assume-role", "invoker_role_arn": "arn:aws:iam::111122223333:role/orders-*"},
            "invoker_role_arn",
            "its InvokerRoleArn output",
        ),
        (
            {"org_id": "o-a1b2c3d4e5", "org_paths": "o-zzzzzzzzzz/r-ab12/*"},
            "org_paths",
            "an entity path in o-a1b2c3d4e5",
        ),
    ],
)
def test_each_rule_names_the_key_the_value_and_the_fix(overrides: dict[str, Any], key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(**overrides)
    message = str(raised.value)
    assert raised.value.key == key
    assert f"context key '{key}'" in message
    assert expected in message
    assert f"-c {key}=" in message


def test_every_missing_key_without_a_default_is_named_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(api_account=None, api_region=None, client_accounts=None)
    assert str(raised.value) == (
        "The app needs context keys that are not set: 'api_account' (the API's 12-digit AWS account id, such as "
        "\"111122223333\"); 'api_region' (the API's region, such as \"eu-west-1\"); 'client_accounts' (the accounts whose "
        "requestor may call the API, such as [\"444455556666\"]; or client_org_units instead). Set them in cdk.json or "
        "pass -c key=<value>."
    )


def test_one_missing_key_is_named_alone() -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(api_account=None)
    assert raised.value.key == "api_account"
    assert str(raised.value).startswith("The app needs context keys that are not set: 'api_account' (the API's 12-digit")
    assert "api_region" not in str(raised.value)


def test_a_misspelt_key_is_reported_with_the_key_to_use_instead() -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(client_acounts=["444455556666"])
    assert raised.value.key == "client_acounts"
    assert str(raised.value) == (
        "context key 'client_acounts' is not a key of this app or of CDK: did you mean 'client_accounts'? "
        "Rename it to 'client_accounts' in cdk.json, or pass -c client_accounts=<value>."
    )


def test_a_list_given_as_json_text_parses_like_a_comma_separated_one() -> None:
    as_json = config_from(client_accounts='["444455556666", "777788889999"]')
    assert as_json.client_accounts == config_from(client_accounts="444455556666,777788889999").client_accounts


def test_the_api_account_may_also_be_a_client_account() -> None:
    # A same-account caller needs only one Allow; the resource policy admits exactly
    # its requestor role like any other client's, and denies the rest of the account.
    config = config_from(client_accounts="111122223333,444455556666")
    assert config.admission.principal_arns[0] == f"arn:aws:iam::111122223333:role/{config.names.requestor_role}"


def test_security_settings_parse_from_dash_c_strings() -> None:
    config = config_from(
        throttle_rate="12.5",
        throttle_burst="30",
        create_cloudwatch_role="False",
        allowed_principal_arns="arn:aws:iam::777788889999:role/orders-*, arn:aws:iam::444455556666:role/ops/audit",
        org_id="o-a1b2c3d4e5",
        org_paths="o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*",
    )
    assert (config.throttle_rate, config.throttle_burst, config.create_cloudwatch_role) == (12.5, 30, False)
    assert config.allowed_principal_arns == (
        "arn:aws:iam::777788889999:role/orders-*",
        "arn:aws:iam::444455556666:role/ops/audit",
    )
    assert config.org_paths == ("o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*",)


def test_security_settings_default_to_a_throttled_stage_with_a_cloudwatch_role() -> None:
    config = config_from()
    assert (config.throttle_rate, config.throttle_burst, config.create_cloudwatch_role) == (50, 100, True)
    assert (config.allowed_principal_arns, config.org_id, config.org_paths) == ((), None, ())


def test_assume_role_mode_defaults_the_invoker_role_to_apistacks_name() -> None:
    assert config_from().invoker_role_arn is None
    config = config_from(access_mode="assume-role")
    assert config.invoker_role_arn == f"arn:aws:iam::111122223333:role/{config.names.invoker_role}"
    given = "arn:aws:iam::111122223333:role/platform/orders-invoker"
    assert config_from(access_mode="assume-role", invoker_role_arn=given).invoker_role_arn == given


def test_stage_limit_follows_from_the_iam_role_name_limit() -> None:
    longest = config_from(stage="s" * 33)
    assert len(longest.names.requestor_role) == 64
    with pytest.raises(ConfigError) as raised:
        config_from(stage="s" * 34)
    assert raised.value.key == "stage"
    assert "at most 33 characters with service_name orders and these regions: it is part of the requestor role name " in str(raised.value)
    assert "orders-api-requestor-<stage>-eu-west-1, and IAM role and Lambda function names have at most 64" in str(raised.value)


LONGEST_REGION = max((r.name for r in region_info.RegionInfo.regions if r.partition == "aws"), key=len)


def test_the_longest_service_name_and_region_leave_room_for_a_stage() -> None:
    service_name = "s" + "-v" * 11 + "x"  # 24 characters, the longest allowed
    fits = {"service_name": service_name, "api_region": LONGEST_REGION, "client_region": LONGEST_REGION}
    spare = 64 - len(f"{service_name}-api-requestor--{LONGEST_REGION}")
    assert spare >= 8, "a useful stage name must still fit"
    names = config_from(**fits, stage="p" * spare).names
    assert max(len(names.requestor_role), len(names.invoker_role), len(names.authorizer_function)) == 64
    with pytest.raises(ConfigError, match=f"at most {spare} characters with service_name {service_name}"):
        config_from(**fits, stage="p" * (spare + 1))


def test_every_name_follows_the_service_name() -> None:
    names = config_from(service_name="inventory").names
    assert (names.api, names.requestor_role, names.invoker_role, names.authorizer_function) == (
        "inventory-api-prod",
        "inventory-api-requestor-prod-eu-west-1",
        "inventory-api-invoker-prod-eu-west-1",
        "inventory-api-authz-prod-eu-west-1",
    )
    assert (names.stack_set, names.guard_policy, names.invoke_sid, names.title) == (
        "inventory-api-requestor-prod",
        "inventory-api-requestor-guard-prod",
        "InvokeTheInventoryApiOnly",
        "Inventory",
    )


@pytest.mark.parametrize("value", ["Inventory", "inventory_api", "-inventory", "inventory-", "in--ventory", "9lives", "a" * 25, "ınventory"])
def test_a_service_name_that_cannot_start_every_name_is_refused(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from(service_name=value)
    assert raised.value.key == "service_name"
    assert "1 to 24 lowercase letters and digits, words joined by '-'" in str(raised.value)


def test_cdk_context_keys_that_are_not_ours_are_left_alone() -> None:
    config = config_from(**{"@aws-cdk/core:target": True, "notices": False})
    assert config.api_account == "111122223333"


# Started when the session starts (tests/background.py).
BACKGROUND = {"a bad value": app_py(suite_context(client_accounts="444455556666,not-an-account"))}


def test_app_reports_a_bad_value_without_traceback_and_writes_nothing() -> None:
    run = BACKGROUND["a bad value"]
    assert run.result.returncode == 1
    assert "Invalid configuration: context key 'client_accounts' is 'not-an-account'" in run.result.stderr
    assert "Traceback" not in run.result.stderr
    assert [path for path in run.directory.rglob("*") if path.is_file()] == []

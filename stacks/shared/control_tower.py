"""AWS Control Tower's proactive controls (cfn-guard rules bundled by
cdklabs-cdk-validator-cfnguard), as a validation plugin that evaluates only the rules
that can apply to the templates being validated.

A rule can only find something in a template that has a resource of a type the rule
names. The package's 237 rules name about 100 types, most of which this app never
creates; evaluating them all cost about 1.2 s of every synth. The rules are chosen
from the templates at each validation, so a resource type the app starts to create
switches its rules on by itself, and a rule the package adds runs until it is known.
"""

from __future__ import annotations

import functools
import json
import pathlib
import re
import tarfile
from collections.abc import Iterable

import aws_cdk as cdk
import jsii
from cdklabs.cdk_validator_cfnguard import _jsii as guard_package
from cdklabs.cdk_validator_cfnguard import CfnGuardValidator

# Where the package keeps the Control Tower rules inside its jsii tarball, and the
# resource types as a rule names them (in its queries, its variables or its header).
RULES_IN_PACKAGE = re.compile(r"^package/rules/control-tower/cfn-guard/.+/(?P<rule>[^/]+)\.guard$")
RESOURCE_TYPE = re.compile(r"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+")


def package_tarball() -> pathlib.Path:
    """The plugin's jsii tarball: its code, its rules and the cfn-guard binaries."""
    (tarball,) = pathlib.Path(guard_package.__file__).parent.glob("*.jsii.tgz")
    return tarball


@functools.cache
def rule_resource_types() -> dict[str, frozenset[str]]:
    """Each bundled rule, by the name `disabled_rules` takes (its file's stem), and the
    resource types it names. Read from the package itself, so an upgrade brings its own."""
    tarball = package_tarball()
    rules = {}
    with tarfile.open(tarball) as package:
        for member in package:
            found = RULES_IN_PACKAGE.match(member.name)
            if found and member.isfile():
                text = package.extractfile(member).read().decode()
                rules[found["rule"]] = frozenset(RESOURCE_TYPE.findall(text))
    if not rules:
        raise RuntimeError(f"no Control Tower rules found in {tarball}: has cdklabs-cdk-validator-cfnguard changed its layout?")
    return rules


def resource_types(template_paths: Iterable[str]) -> set[str]:
    return {
        resource["Type"]
        for path in template_paths
        for resource in json.loads(pathlib.Path(path).read_text()).get("Resources", {}).values()
    }


def rules_that_cannot_apply(present: set[str]) -> list[str]:
    return sorted(rule for rule, types in rule_resource_types().items() if not types & present)


@jsii.implements(cdk.IPolicyValidationPlugin)
class ControlTowerChecks:
    """CfnGuardValidator on the rules that name a resource type of the templates, each
    finding reported as an error.

    The plugin (0.0.62) reports its findings without a severity. Once any finding of a
    plugin is acknowledged, CDK (2.275) recomputes that plugin's conclusion from the
    severities of the findings left, and counts a finding without one as no error: with
    the plugin alone, one acknowledgment would let every other finding of it through,
    printed but passing (tests/test_compliance.py shows both)."""

    def __init__(self) -> None:
        self._every_rule = CfnGuardValidator()

    @property
    def name(self) -> str:
        return self._every_rule.name

    @property
    def version(self) -> str | None:
        return self._every_rule.version

    @property
    def rule_ids(self) -> list[str] | None:
        return self._every_rule.rule_ids

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        disabled = rules_that_cannot_apply(resource_types(context.template_paths))
        if len(disabled) == len(rule_resource_types()):
            return cdk.PolicyValidationPluginReport(success=True, violations=[])
        report = CfnGuardValidator(disabled_rules=disabled).validate(context)
        return cdk.PolicyValidationPluginReport(
            success=report.success,
            violations=[
                cdk.PolicyViolation(
                    rule_name=violation.rule_name,
                    description=violation.description,
                    fix=violation.fix,
                    rule_metadata=violation.rule_metadata,
                    violating_resources=[
                        cdk.PolicyViolatingResource(
                            resource_logical_id=resource.resource_logical_id,
                            template_path=resource.template_path,
                            locations=resource.locations,
                        )
                        for resource in violation.violating_resources
                    ],
                    severity=violation.severity or "error",
                )
                for violation in report.violations
            ],
            metadata=report.metadata,
            plugin_version=report.plugin_version,
        )

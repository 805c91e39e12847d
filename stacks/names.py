"""Every name the app gives to what it creates, made from the service's name
(context key `service_name`), the stage and the regions: renaming the service renames
them all, and two services or stages in one account never share a name.

Some names are contracts between stacks in different accounts: ClientStack creates
the requestor role under `requestor_role` and ApiStack admits exactly that name; ApiStack
names the authorizer function `authorizer_function`, which AuthorizerStack creates;
the organization's guard protects every role and function named `requestor_role_prefix-*`.
"""

from __future__ import annotations

from dataclasses import dataclass

# IAM role names and Lambda function names have at most 64 characters.
NAME_LIMIT = 64


@dataclass(frozen=True)
class Names:
    service: str
    stage: str
    api_region: str
    client_region: str

    @property
    def title(self) -> str:
        """The service as prose says it: "Orders", "Inventory Items"."""
        return " ".join(word.capitalize() for word in self.service.split("-"))

    @property
    def api(self) -> str:
        return f"{self.service}-api-{self.stage}"

    @property
    def requestor_role_prefix(self) -> str:
        return f"{self.service}-api-requestor"

    @property
    def requestor_role(self) -> str:
        # Role names are unique per account, not per region: the stage and region keep
        # two deployments in one client account apart.
        return f"{self.requestor_role_prefix}-{self.stage}-{self.client_region}"

    @property
    def invoker_role(self) -> str:
        return f"{self.service}-api-invoker-{self.stage}-{self.api_region}"

    @property
    def authorizer_function(self) -> str:
        return f"{self.service}-api-authz-{self.stage}-{self.api_region}"

    @property
    def requestor_function(self) -> str:
        # The role's name: the pipeline's check may invoke exactly this function, and the
        # organization's guard protects functions of this prefix too.
        return self.requestor_role

    @property
    def pipeline(self) -> str:
        return f"{self.service}-api-{self.stage}-delivery"

    @property
    def pipeline_check_role(self) -> str:
        """The role of the pipeline's check, which each checked requestor lets invoke it."""
        return f"{self.service}-api-check-{self.stage}-{self.api_region}"

    @property
    def denied_parameter(self) -> str:
        """The SSM parameter the authorizer reads its deny list from (lambda-authorizer mode)."""
        return f"/{self.service}-api/{self.stage}/denied-principals"

    @property
    def stack_set(self) -> str:
        return f"{self.requestor_role_prefix}-{self.stage}"

    @property
    def guard_policy(self) -> str:
        return f"{self.requestor_role_prefix}-guard-{self.stage}"

    @property
    def invoke_sid(self) -> str:
        """The Sid of the statements that let a role invoke this API, such as InvokeTheOrdersApiOnly."""
        return f"InvokeThe{self.title.replace(' ', '')}ApiOnly"

    def too_long(self) -> list[tuple[str, str]]:
        """The names over NAME_LIMIT, as (what they name, the attribute)."""
        limited = {
            "the requestor role name": "requestor_role",
            "the invoker role name": "invoker_role",
            "the authorizer function name": "authorizer_function",
        }
        return [(what, attribute) for what, attribute in limited.items() if len(getattr(self, attribute)) > NAME_LIMIT]

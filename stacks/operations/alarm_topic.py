"""One SNS topic per account for the alarms of this app, encrypted with the stack's
key (CloudWatch cannot publish to a topic under the AWS managed SNS key)."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from stacks.shared.log_groups import logs_key

CLOUDWATCH = "cloudwatch.amazonaws.com"


class AlarmTopic(Construct):
    """Exposes `topic` and `key`. Only CloudWatch alarms of this account may publish,
    over TLS; `email`, when given, is subscribed (AWS mails it a confirmation link)."""

    def __init__(self, scope: Construct, construct_id: str, *, title: str, email: str | None) -> None:
        super().__init__(scope, construct_id)
        account = Stack.of(self).account
        # The stack's one key (its log groups' too); CloudWatch may use it only for the
        # messages of alarms of this account.
        self.key = logs_key(Stack.of(self))
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal(CLOUDWATCH)],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            )
        )
        self.topic = sns.Topic(self, "Topic", master_key=self.key, enforce_ssl=True, display_name=f"{title} API alarms")
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal(CLOUDWATCH)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            )
        )
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        CfnOutput(Stack.of(self), "AlarmTopicArn", value=self.topic.topic_arn, description="Where this account's alarms go")

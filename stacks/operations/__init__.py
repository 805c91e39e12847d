"""Operating the pattern once it is live: who calls (Contributor Insights), alarms to
one encrypted SNS topic per account, and a dashboard per API. app.py attaches these
constructs to the stacks they watch."""

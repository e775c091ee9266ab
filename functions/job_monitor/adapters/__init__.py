"""Adapters: the ports implemented on AWS (Bedrock job sources, DynamoDB state and journal, SNS)."""

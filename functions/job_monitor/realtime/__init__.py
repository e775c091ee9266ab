"""The real-time path: Bedrock state-change events from EventBridge, checked and published now."""

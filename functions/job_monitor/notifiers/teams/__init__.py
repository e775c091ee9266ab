"""Microsoft Teams: Adaptive Card rendering and delivery to a Workflows (Power Automate) webhook."""

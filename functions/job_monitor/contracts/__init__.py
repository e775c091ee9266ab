"""Message contracts: what is published to SNS (transition, digest, Chatbot), how it is routed."""

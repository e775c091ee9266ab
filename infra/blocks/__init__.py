"""A small library of CDK building blocks the capability constructs are made of, so that every
resource of a kind is configured one way:

- ``storage``: encrypted queues, topics and tables;
- ``functions``: a Python function with its own role and log group, and its async failure handling;
- ``schedules``: an EventBridge Scheduler schedule with its role and dead-letter queue;
- ``alarms``: what a capability asks to be alarmed on, and alarm actions as a strategy.

Blocks build resources under the scope they are given and know nothing of the stack's layout.
"""

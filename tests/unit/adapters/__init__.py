"""Unit tests of job_monitor.adapters (the state store and its codec)."""

"""Unit tests of job_monitor.publish, against the in-memory fakes of the ports (no moto)."""

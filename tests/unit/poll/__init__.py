"""Unit tests of job_monitor.poll, against the in-memory fakes of the ports (no moto)."""

"""Unit tests of job_monitor.domain: pure, no AWS."""

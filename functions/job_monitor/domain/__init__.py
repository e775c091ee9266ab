"""Pure domain: the job kind registry, jobs and transitions, detection, the claim rules. No AWS."""

"""The daily digest: built from the journal and the running jobs, published once a day."""

"""The publish pipeline: claim -> publish -> commit, generic over alert types."""

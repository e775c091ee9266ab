"""The scheduled poll: the run loop over regions and kinds, its time budget, baseline and scan."""

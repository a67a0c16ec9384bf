"""What the situation pages show: resumption figures, buildings, requests, the feed, geography, projections."""

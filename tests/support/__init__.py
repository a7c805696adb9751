"""Helpers shared by the test tiers: settings for tmp dirs, generated documents, fakes, servers."""

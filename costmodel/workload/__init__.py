"""The workload and the scenario: requests, lengths, traffic, mixes, presets, usage logs (above the catalogue)."""

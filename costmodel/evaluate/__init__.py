"""evaluate(): a scenario priced against every option, break-even, ranking, growth and uncertainty."""

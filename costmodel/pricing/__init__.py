"""API bills from dated price schedules, one request's price, and the price and rental feeds."""

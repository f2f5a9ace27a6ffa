"""`hkbot serve`: the HTTP side: one Sanic app for every bot, its limits, health and logs."""

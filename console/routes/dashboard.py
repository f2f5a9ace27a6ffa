"""Console route for the dashboard: turns, answers and misses per day, bot, language and topic."""
from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from console import stats
from console.context import console_of
from console.pages import LANGUAGE_NAMES, bot_title, guard, render, run, topic_titles

bp = Blueprint("console_dashboard")


@bp.get("/console/dashboard", name="dashboard")
@guard("dashboard")
async def dashboard(request: Request) -> HTTPResponse:
    bots = console_of(request).bots
    bot = request.args.get("bot") if request.args.get("bot") in bots else None
    try:
        days = min(90, max(1, int(request.args.get("days", "14"))))
    except ValueError:
        days = 14
    rows, topics = await run(lambda: stats.daily(days=days, bot=bot))
    bot_titles, titles = {name: bot_title(bots, name) for name in bots}, topic_titles()
    chart = {
        "rows": [r.to_dict() for r in rows],
        "topics": {name: counter.most_common(8) for name, counter in topics.items()},
        "names": {"bots": bot_titles, "topics": titles, "languages": LANGUAGE_NAMES},  # charts name things too
    }
    return render(request, "dashboard.html", rows=rows, topics=topics, chart=chart, bots=sorted(bots), bot=bot, days=days,
                  bot_titles=bot_titles, titles=titles)

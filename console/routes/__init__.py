"""The console's route modules, one `sanic.Blueprint` per area, in the order they are mounted."""
from __future__ import annotations

from console.routes import auth, dashboard, handoffs, knowledge, publishing, review, transfer, users

BLUEPRINTS = (auth.bp, dashboard.bp, users.bp, knowledge.bp, publishing.bp, transfer.bp, review.bp, handoffs.bp)

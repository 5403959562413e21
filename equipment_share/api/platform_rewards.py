"""Platform rewards: per platform and year, the policy's reward rate × the subsidy paid for use
of the platform's instruments."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.finance_schemas import PlatformRewardArgs, PlatformRewardPageSchema
from equipment_share.api.pagination import paginate_list
from equipment_share.services.platform_rewards import platform_rewards

blp = ApiBlueprint(
    "api_platform_rewards", __name__, description="Rewards to platforms for subsidised use."
)


@blp.route("/platform-rewards")
@blp.arguments(PlatformRewardArgs, location="query")
@blp.response(200, PlatformRewardPageSchema)
@blp.errors(403)
def list_rewards(args):
    """Rewards per platform for a year (finance, admin: all; a platform: its own)

    Per policy with a `platform_reward_rate`: rate × the subsidy of paid claims of the year on
    lines of the platform's instruments, rounded half-up to the fen.
    """
    year = args.pop("year", None) or this_year()
    rewards = platform_rewards(current_actor(), year, args.pop("platform_id", None))
    return paginate_list(rewards, args)


def this_year() -> int:
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).year

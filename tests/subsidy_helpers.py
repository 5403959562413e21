"""Shared set-up for subsidy tests: a finance user, a certified SME with confirmed use in March
2026 of a platform's instrument (150.00 an hour + 60.00 setup: two hours cost 360.00), and
policies made through the service."""

from datetime import date
from decimal import Decimal

from equipment_share.extensions import db
from equipment_share.services import subsidy
from tests.statement_helpers import RATE, SETUP, confirmed_use, local

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def policy_values(**changes) -> dict:
    return {
        "name": "Lüliang innovation voucher 2026",
        "valid_from": date(2026, 1, 1),
        "valid_to": date(2026, 12, 31),
        "sources": [
            {"name": "province", "rate": "0.30", "annual_cap": "200000.00"},
            {"name": "city", "rate": "0.20", "annual_cap": "100000.00", "per_claim_cap": None},
        ],
        "min_claim_amount": "0.00",
        "eligible_categories": None,
        "eligible_purposes": None,
        "require_tech_sme": True,
        "exclude_related_parties": True,
        "group_caps": False,
        "require_invoice": False,
        "platform_reward_rate": None,
    } | changes


def make_policy(finance_user, **changes):
    policy = subsidy.create_policy(finance_user, policy_values(**changes))
    db.session.commit()
    return policy


def use_on(platform_user, sme_user, equipment, day: int, hour: int = 9, hours: int = 2):
    """A confirmed use of `hours` hours on 2026-03-`day`."""
    return confirmed_use(platform_user, sme_user, equipment, local(date(2026, 3, day), hour), hours)


__all__ = ["MARCH", "RATE", "SETUP", "Decimal", "make_policy", "policy_values", "use_on"]

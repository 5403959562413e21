"""A subsidy policy in plain words, as a finance officer would read it out:
"Provincial fund: 30% of eligible fees, at most ¥200,000.00 per enterprise per year."."""

from decimal import Decimal

from flask_babel import gettext as _

from equipment_share.i18n import format_money
from equipment_share.web.labels import label, purpose_label


def rate_text(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def source_sentence(source) -> str:
    values = {
        "fund": source.name,
        "rate": rate_text(source.rate),
        "cap": format_money(source.annual_cap),
    }
    if source.per_claim_cap is None:
        return _(
            "%(fund)s: %(rate)s of eligible fees, at most %(cap)s per enterprise per year.",
            **values,
        )
    return _(
        "%(fund)s: %(rate)s of eligible fees, at most %(cap)s per enterprise per year "
        "and %(claim_cap)s per claim.",
        claim_cap=format_money(source.per_claim_cap),
        **values,
    )


def policy_sentences(policy) -> list[str]:
    """Every rule of the policy, one sentence each, funding sources first."""
    sentences = [source_sentence(source) for source in policy.sources]
    if policy.valid_to is None:
        sentences.append(_("Counts use from %(day)s on.", day=policy.valid_from.isoformat()))
    else:
        sentences.append(
            _(
                "Counts use from %(first)s to %(last)s.",
                first=policy.valid_from.isoformat(),
                last=policy.valid_to.isoformat(),
            )
        )
    if policy.min_claim_amount:
        sentences.append(
            _(
                "A claim earning less than %(amount)s is not paid.",
                amount=format_money(policy.min_claim_amount),
            )
        )
    sentences.append(_categories(policy.eligible_categories))
    sentences.append(_purposes(policy.eligible_purposes))
    if policy.require_tech_sme:
        sentences.append(_("Only certified tech SMEs may claim."))
    if policy.exclude_related_parties:
        sentences.append(_("Use of a related party's instruments does not count."))
    if policy.group_caps:
        sentences.append(_("Related enterprises share one set of caps."))
    if policy.require_invoice:
        sentences.append(_("Each fee needs an invoice to count."))
    if policy.platform_reward_rate:
        sentences.append(
            _(
                "Platforms receive %(rate)s of the subsidy paid for use of their instruments.",
                rate=rate_text(policy.platform_reward_rate),
            )
        )
    return sentences


def _categories(categories: list | None) -> str:
    if not categories:
        return _("Instruments of every category count.")
    return _(
        "Only instruments of these categories count: %(names)s.",
        names=_(", ").join(str(label(name)) for name in categories),
    )


def _purposes(purposes: list | None) -> str:
    if not purposes:
        return _("Every kind of use counts.")
    return _(
        "Only these kinds of use count: %(names)s.",
        names=_(", ").join(str(purpose_label(name)) for name in purposes),
    )

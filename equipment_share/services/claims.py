"""Subsidy claims over the database: drafting, submitting under the caps, and finance's review.

Pages and the API call the same functions; each takes the acting user and plain values, returns
the Claim (its lines and sources loaded) and raises domain errors:

- `draft_claim(actor, period_from, period_to, policy_id=None) -> Claim`: an SME drafts a claim
  for a period within one year: every confirmed usage record of the period not yet in a live
  claim is a line, and every adjustment not yet carried; computed by domain/subsidy.py.
- `draft_claims(actor_or_None, period_from, period_to, policy_id=None) -> [claim ids]`: the
  same draft for every approved SME with something to claim, set-based (`flask draft-claims`).
- `submit(actor, claim_id) -> Claim`: draft → submitted. Recomputed under the lock of the
  claimant's cap key and year (its group's, when the policy counts related enterprises as
  one), so that two submissions never exceed an annual cap together; its usage records become
  claimed (`ClaimedUsage`; a record in another live claim answers 409 already_claimed).
- `withdraw(actor, claim_id) -> Claim`: the SME; draft or submitted → withdrawn; releases.
- `approve(actor, claim_id)`, `reject(actor, claim_id, reason)` (releases),
  `record_notice(actor, claim_id, notice_from, notice_to)`,
  `pay(actor, claim_id, paid_on, payment_reference)`: finance.
- `may_act(actor, claim, action) -> bool`: whether a page offers the action (the SME submits
  and withdraws its own, finance decides, the state allows it).
- `visible_claim(viewer, claim_id) -> Claim` (404 for another SME's),
  `visible_claims_query(viewer, *, status=None, organization_id=None, year=None) -> Select`.
- `reserved_this_year(members, year) -> {source name: Decimal}`: live claims' subsidy.

Every step appends to the audit chain and mails the SME (services/claim_mail.py) in the same
transaction.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, column, delete, func, insert, or_, select, table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from equipment_share.database import hold_sqlite_write_lock
from equipment_share.domain import subsidy as rules
from equipment_share.domain.errors import (
    N_,
    AlreadyClaimed,
    Forbidden,
    Message,
    NotFound,
    ValidationFailed,
)
from equipment_share.domain.fields import REQUIRED, check_text, clean_reason
from equipment_share.domain.subsidy import (
    LIVE_STATUSES,
    ClaimAction,
    ClaimLineKind,
    ClaimStatus,
    next_claim_status,
)
from equipment_share.domain.usage import UsageStatus
from equipment_share.extensions import db
from equipment_share.models import (
    Adjustment,
    Booking,
    CapLock,
    Claim,
    ClaimedUsage,
    ClaimLine,
    ClaimLineSource,
    ClaimSource,
    Equipment,
    FundingSource,
    Invoice,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Role,
    SubsidyPolicy,
    UsageRecord,
    User,
    organization_relations,
    utcnow,
)
from equipment_share.services import audit, claim_mail
from equipment_share.services.access import require_role
from equipment_share.services.subsidy import get_policy, policy_for_period

REFERENCE_MAX_LENGTH = 100


# --- who sees what -----------------------------------------------------------------------------


def can_see_claim(viewer: User | None, claim: Claim) -> bool:
    if viewer is None:
        return False
    if viewer.role in (Role.ADMIN, Role.FINANCE):
        return True
    return viewer.role == Role.SME and viewer.organization_id == claim.organization_id


SME_ACTIONS = frozenset({ClaimAction.SUBMIT, ClaimAction.WITHDRAW})


def may_act(actor: User | None, claim: Claim, action: ClaimAction | str) -> bool:
    """Whether a page offers the action: the enterprise submits and withdraws its own claims,
    finance decides, and the claim's state allows it (each change checks both again)."""
    action = ClaimAction(action)
    if actor is None or not rules.can_transition(claim.status, action):
        return False
    if action in SME_ACTIONS:
        return actor.role == Role.SME and actor.organization_id == claim.organization_id
    return actor.role == Role.FINANCE


def visible_claim(viewer: User | None, claim_id: int) -> Claim:
    claim = load_claim(claim_id)
    if claim is None or not can_see_claim(viewer, claim):
        raise NotFound()
    return claim


def load_claim(claim_id: int) -> Claim | None:
    """The claim read afresh; its lines load on first use (with their sources, selectin)."""
    claim = db.session.get(Claim, claim_id, populate_existing=True)
    if claim is not None:
        db.session.expire(claim, ["lines", "sources"])
    return claim


def visible_claims_query(
    viewer: User,
    *,
    status: ClaimStatus | None = None,
    organization_id: int | None = None,
    year: int | None = None,
) -> Select:
    """Claims, newest first: an SME's own, all for finance and admin; a platform none (403)."""
    require_role(viewer, Role.SME, Role.FINANCE, Role.ADMIN)
    query = select(Claim).order_by(Claim.id.desc())
    if viewer.role == Role.SME:
        query = query.where(Claim.organization_id == viewer.organization_id)
    if status is not None:
        query = query.where(Claim.status == status)
    if organization_id is not None:
        query = query.where(Claim.organization_id == organization_id)
    if year is not None:
        query = query.where(Claim.year == year)
    return query


# --- drafting ----------------------------------------------------------------------------------


def draft_claim(
    actor: User,
    period_from: date | None,
    period_to: date | None,
    policy_id: int | None = None,
) -> Claim:
    require_role(actor, Role.SME)
    _check_period(period_from, period_to)
    if policy_id is not None:
        policy = get_policy(policy_id)
    else:
        policy = policy_for_period(period_from, period_to)
        if policy is None:
            raise ValidationFailed(
                {"policy_id": Message(N_("No subsidy policy covers this period."))}
            )
    organization_id = actor.organization_id
    claimant, members = _claimant(organization_id)
    start, end = _period_bounds(period_from, period_to)
    inputs = _usage_inputs(
        (UsageRecord.organization_id == organization_id)
        & (UsageRecord.status == UsageStatus.CONFIRMED)
        & (UsageRecord.occurred_at >= start)
        & (UsageRecord.occurred_at < end)
        & ~select(ClaimedUsage.usage_id).where(ClaimedUsage.usage_id == UsageRecord.id).exists()
    )
    inputs += _adjustment_inputs(
        (Adjustment.organization_id == organization_id) & Adjustment.claim_id.is_(None)
    )
    result = _compute(inputs, policy, claimant, members, period_from.year, None)
    claim = Claim(
        organization_id=organization_id,
        policy_id=policy.id,
        status=ClaimStatus.DRAFT,
        period_from=period_from,
        period_to=period_to,
        year=period_from.year,
        created_by_id=actor.id,
    )
    _set_totals(claim, result)
    db.session.add(claim)
    db.session.flush()
    _insert_lines(claim.id, policy, result)
    db.session.expire(claim, ["lines", "sources"])  # written in bulk: read on first use
    audit.record(
        actor, "claim", claim.id, "create", to_state=claim.status.value, changes=_totals(claim)
    )
    return claim


def _check_period(period_from, period_to) -> None:
    errors = {}
    for name, value in (("period_from", period_from), ("period_to", period_to)):
        if not isinstance(value, date):
            errors[name] = REQUIRED
    if not errors and period_to < period_from:
        errors["period_to"] = Message(N_("Must not be before the start date."))
    elif not errors and period_to.year != period_from.year:
        errors["period_to"] = Message(N_("A claim's period lies within one calendar year."))
    if errors:
        raise ValidationFailed(errors)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _period_bounds(period_from: date, period_to: date) -> tuple[datetime, datetime]:
    """The period's dates (inclusive) as UTC instants [start, end) in the deployment's zone."""
    zone = _zone()
    start = datetime.combine(period_from, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(period_to + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def _claimant(organization_id: int) -> tuple[rules.Claimant, frozenset[int]]:
    """The SME's facts for the rules, and its cap group (itself and the SMEs related to it,
    directly or through one another)."""
    organization = db.session.get(Organization, organization_id)
    related = _related_ids({organization_id})
    claimant = rules.Claimant(
        organization_id=organization_id,
        tech_sme=organization.tech_sme_certified,
        related_ids=frozenset(related),
    )
    members, frontier = {organization_id}, {organization_id}
    while frontier:
        neighbours = (
            related if frontier == {organization_id} else _related_ids(frontier)
        ) - members
        if not neighbours:
            break
        smes = set(
            db.session.scalars(
                select(Organization.id).where(
                    Organization.id.in_(neighbours), Organization.kind == OrganizationKind.SME
                )
            )
        )
        members |= smes
        frontier = smes
    return claimant, frozenset(members)


def _related_ids(organization_ids: set[int]) -> set[int]:
    """The organisations related to any of these (either direction), but not these."""
    table = organization_relations
    rows = db.session.execute(
        select(table.c.organization_id, table.c.related_id).where(
            or_(
                table.c.organization_id.in_(organization_ids),
                table.c.related_id.in_(organization_ids),
            )
        )
    )
    found = set()
    for left, right in rows:
        if left in organization_ids:
            found.add(right)
        if right in organization_ids:
            found.add(left)
    return found - organization_ids


def _usage_inputs(condition, *, with_organization: bool = False) -> list:
    """The lines' facts; with_organization: (organization id, line) pairs."""
    zone = _zone()
    rows = db.session.execute(
        select(
            UsageRecord.organization_id,
            UsageRecord.id,
            UsageRecord.fee,
            UsageRecord.occurred_at,
            UsageRecord.platform_id,
            UsageRecord.status,
            Equipment.category,
            Booking.purpose_category,
            Invoice.id,
        )
        .join(Booking, Booking.id == UsageRecord.booking_id)
        .join(Equipment, Equipment.id == UsageRecord.equipment_id)
        .outerjoin(Invoice, Invoice.usage_id == UsageRecord.id)
        .where(condition)
        .order_by(UsageRecord.occurred_at, UsageRecord.id)
    )
    lines = [
        (
            organization_id,
            rules.LineInput(
                key=usage_id,
                fee=fee,
                day=occurred_at.astimezone(zone).date(),
                platform_id=platform_id,
                category=category,
                purpose=purpose.value if purpose is not None else "research",
                confirmed=status == UsageStatus.CONFIRMED,
                has_invoice=invoice_id is not None,
            ),
        )
        for (
            organization_id,
            usage_id,
            fee,
            occurred_at,
            platform_id,
            status,
            category,
            purpose,
            invoice_id,
        ) in rows
    ]
    return lines if with_organization else [line for _, line in lines]


def _adjustment_inputs(condition, *, with_organization: bool = False) -> list:
    """Adjustments count as lines of their own, judged by their usage record's facts."""
    zone = _zone()
    rows = db.session.execute(
        select(
            Adjustment.organization_id,
            Adjustment.id,
            Adjustment.fee_delta,
            UsageRecord.occurred_at,
            UsageRecord.platform_id,
            Equipment.category,
            Booking.purpose_category,
        )
        .join(UsageRecord, UsageRecord.id == Adjustment.usage_id)
        .join(Booking, Booking.id == UsageRecord.booking_id)
        .join(Equipment, Equipment.id == UsageRecord.equipment_id)
        .where(condition)
        .order_by(Adjustment.id)
    )
    lines = [
        (
            organization_id,
            rules.LineInput(
                key=adjustment_id,
                fee=fee_delta,
                day=occurred_at.astimezone(zone).date(),
                platform_id=platform_id,
                category=category,
                purpose=purpose.value if purpose is not None else "research",
                kind=ClaimLineKind.ADJUSTMENT,
            ),
        )
        for (
            organization_id,
            adjustment_id,
            fee_delta,
            occurred_at,
            platform_id,
            category,
            purpose,
        ) in rows
    ]
    return lines if with_organization else [line for _, line in lines]


def policy_rules(policy: SubsidyPolicy) -> rules.Policy:
    return rules.Policy(
        valid_from=policy.valid_from,
        valid_to=policy.valid_to,
        sources=tuple(
            rules.Source(source.name, source.rate, source.annual_cap, source.per_claim_cap)
            for source in policy.sources
        ),
        min_claim_amount=policy.min_claim_amount,
        eligible_categories=(
            None if policy.eligible_categories is None else frozenset(policy.eligible_categories)
        ),
        eligible_purposes=(
            None if policy.eligible_purposes is None else frozenset(policy.eligible_purposes)
        ),
        require_tech_sme=policy.require_tech_sme,
        exclude_related_parties=policy.exclude_related_parties,
        require_invoice=policy.require_invoice,
    )


def reserved_this_year(
    members: Iterable[int], year: int, exclude_claim_id: int | None = None
) -> dict[str, Decimal]:
    """What each funding source (by name) pays these SMEs in live claims of the year."""
    query = (
        select(FundingSource.name, func.sum(ClaimSource.subsidy))
        .join(ClaimSource, ClaimSource.source_id == FundingSource.id)
        .join(Claim, Claim.id == ClaimSource.claim_id)
        .where(
            Claim.organization_id.in_(list(members)),
            Claim.year == year,
            Claim.status.in_(LIVE_STATUSES),
        )
        .group_by(FundingSource.name)
    )
    if exclude_claim_id is not None:
        query = query.where(Claim.id != exclude_claim_id)
    return {name: Decimal(total or 0) for name, total in db.session.execute(query)}


def _compute(
    inputs: list[rules.LineInput],
    policy: SubsidyPolicy,
    claimant: rules.Claimant,
    members: frozenset[int],
    year: int,
    exclude_claim_id: int | None,
) -> rules.ClaimResult:
    counted = members if policy.group_caps else {claimant.organization_id}
    reserved = reserved_this_year(counted, year, exclude_claim_id)
    return rules.compute_claim(
        inputs,
        policy_rules(policy),
        claimant,
        [reserved.get(source.name, Decimal(0)) for source in policy.sources],
    )


def _set_totals(claim: Claim, result: rules.ClaimResult) -> None:
    claim.total_fee = result.total_fee
    claim.eligible_fee = result.eligible_fee
    claim.subsidy = result.subsidy
    claim.subsidy_note = result.note


def _totals(claim: Claim) -> dict:
    return {
        "total_fee": claim.total_fee,
        "eligible_fee": claim.eligible_fee,
        "subsidy": claim.subsidy,
    }


def _insert_lines(claim_id: int, policy: SubsidyPolicy, result: rules.ClaimResult) -> None:
    """Lines and their per-source shares in a few bulk statements (a claim may have thousands)."""
    rows = [_line_row(claim_id, position, line) for position, line in enumerate(result.lines)]
    if rows:
        # a plain executemany (no RETURNING): far cheaper per row; the ids are read back after
        _insert_rows(LINE_ROWS, rows)
        line_ids = db.session.scalars(
            select(ClaimLine.id).where(ClaimLine.claim_id == claim_id).order_by(ClaimLine.position)
        ).all()
        _insert_line_sources(line_ids, policy, result)
    db.session.execute(
        insert(ClaimSource.__table__),
        [
            {"claim_id": claim_id, "source_id": source.id, "position": index, "subsidy": amount}
            for index, (source, amount) in enumerate(
                zip(policy.sources, result.sources, strict=True)
            )
        ],
    )


# The line tables as bare columns: bulk inserts pass stored values (integer fen, enum values)
# without a type conversion per value; a claim may have thousands of lines.
LINE_ROWS = table(
    "claim_lines",
    *(
        column(name)
        for name in (
            "claim_id",
            "position",
            "kind",
            "usage_id",
            "adjustment_id",
            "platform_id",
            "fee",
            "eligible_fee",
            "subsidy",
            "ineligible_reason",
        )
    ),
)
LINE_SOURCE_ROWS = table(
    "claim_line_sources", column("line_id"), column("source_id"), column("subsidy")
)


def _insert_rows(bare_table, rows: list[dict]) -> None:
    """Many rows into a bare table: PostgreSQL's COPY (several times cheaper than INSERTs),
    an executemany elsewhere; in the session's own transaction either way."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(insert(bare_table), rows)
        return
    names = list(rows[0])
    statement = f"COPY {bare_table.name} ({', '.join(names)}) FROM STDIN"
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[name] for name in names])


def _line_row(claim_id: int, position: int, line: rules.LineResult) -> dict:
    usage = line.kind == ClaimLineKind.USAGE
    return {
        "claim_id": claim_id,
        "position": position,
        "kind": line.kind.value,
        "usage_id": line.key if usage else None,
        "adjustment_id": None if usage else line.key,
        "platform_id": line.platform_id,
        "fee": line.fee_fen,
        "eligible_fee": line.eligible_fen,
        "subsidy": line.subsidy_fen,
        "ineligible_reason": line.reason.value if line.reason else None,
    }


def _insert_line_sources(line_ids, policy: SubsidyPolicy, result: rules.ClaimResult) -> None:
    shares = [
        {"line_id": line_id, "source_id": source.id, "subsidy": amount}
        for line_id, line in zip(line_ids, result.lines, strict=True)
        for source, amount in zip(policy.sources, line.source_fens, strict=True)
    ]
    _insert_rows(LINE_SOURCE_ROWS, shares)


# --- drafting for every SME at once ------------------------------------------------------------

BATCH_SMES = 500


def draft_claims(
    actor: User | None,
    period_from: date | None,
    period_to: date | None,
    policy_id: int | None = None,
) -> list[int]:
    """A draft for every approved SME with unclaimed confirmed use (or an uncarried adjustment)
    in the period, as each would draft it itself; the SMEs review and submit them. For finance
    at the end of a period (`flask draft-claims`, no actor) or a finance user.

    Set-based: a few queries and bulk inserts per 500 SMEs instead of some twenty statements
    per claim. Returns the new claims' ids.
    """
    if actor is not None:
        require_role(actor, Role.FINANCE)
    _check_period(period_from, period_to)
    policy = get_policy(policy_id) if policy_id is not None else None
    policy = policy or policy_for_period(period_from, period_to)
    if policy is None:
        raise ValidationFailed({"policy_id": Message(N_("No subsidy policy covers this period."))})
    year = period_from.year
    start, end = _period_bounds(period_from, period_to)
    smes = dict(
        db.session.execute(
            select(Organization.id, Organization.tech_sme_certified)
            .where(
                Organization.kind == OrganizationKind.SME,
                Organization.status == OrganizationStatus.APPROVED,
            )
            .order_by(Organization.id)
        ).all()
    )
    related = _all_relations()
    groups = _cap_groups(smes, related)
    sme_ids = list(smes)
    created = []
    for chunk in range(0, len(sme_ids), BATCH_SMES):
        part = sme_ids[chunk : chunk + BATCH_SMES]
        created += _draft_batch(
            actor, policy, part, smes, related, groups, year, start, end, (period_from, period_to)
        )
        db.session.commit()
    return created


def _all_relations() -> dict[int, set[int]]:
    table = organization_relations
    related: dict[int, set[int]] = {}
    for left, right in db.session.execute(select(table.c.organization_id, table.c.related_id)):
        related.setdefault(left, set()).add(right)
        related.setdefault(right, set()).add(left)
    return related


def _cap_groups(smes: dict[int, bool], related: dict[int, set[int]]) -> dict[int, frozenset]:
    """Each SME's cap group: the SMEs related to it, directly or through one another."""
    groups: dict[int, frozenset] = {}
    for sme_id in smes:
        if sme_id in groups:
            continue
        members, frontier = {sme_id}, [sme_id]
        while frontier:
            neighbours = related.get(frontier.pop(), set()) - members
            neighbours = {other for other in neighbours if other in smes}
            members |= neighbours
            frontier.extend(neighbours)
        group = frozenset(members)
        for member in members:
            groups[member] = group
    return groups


def _draft_batch(actor, policy, sme_ids, smes, related, groups, year, start, end, period):
    period_from, period_to = period
    usage = _by_organization(
        _usage_inputs(
            UsageRecord.organization_id.in_(sme_ids)
            & (UsageRecord.status == UsageStatus.CONFIRMED)
            & (UsageRecord.occurred_at >= start)
            & (UsageRecord.occurred_at < end)
            & ~select(ClaimedUsage.usage_id)
            .where(ClaimedUsage.usage_id == UsageRecord.id)
            .exists(),
            with_organization=True,
        )
    )
    adjustments = _by_organization(
        _adjustment_inputs(
            Adjustment.organization_id.in_(sme_ids) & Adjustment.claim_id.is_(None),
            with_organization=True,
        )
    )
    counted = set().union(*(groups[sme_id] for sme_id in sme_ids)) if policy.group_caps else set()
    reserved = _reserved_by_organization(counted | set(sme_ids), year)
    rules_policy = policy_rules(policy)
    results = []
    for sme_id in sme_ids:
        inputs = usage.get(sme_id, []) + adjustments.get(sme_id, [])
        if not inputs:
            continue
        claimant = rules.Claimant(sme_id, smes[sme_id], frozenset(related.get(sme_id, ())))
        members = groups[sme_id] if policy.group_caps else {sme_id}
        already = [
            sum((reserved.get((member, source.name), Decimal(0)) for member in members), Decimal(0))
            for source in policy.sources
        ]
        results.append((sme_id, rules.compute_claim(inputs, rules_policy, claimant, already)))
    if not results:
        return []
    now = utcnow()
    claim_table = Claim.__table__
    claim_ids = db.session.scalars(
        insert(claim_table).returning(claim_table.c.id, sort_by_parameter_order=True),
        [
            {
                "organization_id": sme_id,
                "policy_id": policy.id,
                "status": ClaimStatus.DRAFT,
                "period_from": period_from,
                "period_to": period_to,
                "year": year,
                "total_fee": result.total_fee,
                "eligible_fee": result.eligible_fee,
                "subsidy": result.subsidy,
                "subsidy_note": result.note,
                "status_reason": "",
                "payment_reference": "",
                "created_by_id": actor.id if actor else None,
                "created_at": now,
                "updated_at": now,
            }
            for sme_id, result in results
        ],
    ).all()
    _insert_rows(
        LINE_ROWS,
        [
            _line_row(claim_id, position, line)
            for claim_id, (_, result) in zip(claim_ids, results, strict=True)
            for position, line in enumerate(result.lines)
        ],
    )
    line_ids = {
        (claim_id, position): line_id
        for line_id, claim_id, position in db.session.execute(
            select(ClaimLine.id, ClaimLine.claim_id, ClaimLine.position).where(
                ClaimLine.claim_id.in_(claim_ids)
            )
        )
    }
    _insert_rows(
        LINE_SOURCE_ROWS,
        [
            {"line_id": line_ids[claim_id, position], "source_id": source.id, "subsidy": amount}
            for claim_id, (_, result) in zip(claim_ids, results, strict=True)
            for position, line in enumerate(result.lines)
            for source, amount in zip(policy.sources, line.source_fens, strict=True)
        ],
    )
    db.session.execute(
        insert(ClaimSource.__table__),
        [
            {"claim_id": claim_id, "source_id": source.id, "position": index, "subsidy": amount}
            for claim_id, (_, result) in zip(claim_ids, results, strict=True)
            for index, (source, amount) in enumerate(
                zip(policy.sources, result.sources, strict=True)
            )
        ],
    )
    for claim_id, (_, result) in zip(claim_ids, results, strict=True):
        audit.record(
            actor,
            "claim",
            claim_id,
            "create",
            to_state=ClaimStatus.DRAFT.value,
            changes={
                "total_fee": result.total_fee,
                "eligible_fee": result.eligible_fee,
                "subsidy": result.subsidy,
            },
        )
    return claim_ids


def _by_organization(pairs) -> dict[int, list[rules.LineInput]]:
    grouped: dict[int, list[rules.LineInput]] = {}
    for organization_id, line in pairs:
        grouped.setdefault(organization_id, []).append(line)
    return grouped


def _reserved_by_organization(organization_ids: set[int], year: int) -> dict:
    if not organization_ids:
        return {}
    rows = db.session.execute(
        select(Claim.organization_id, FundingSource.name, func.sum(ClaimSource.subsidy))
        .join(ClaimSource, ClaimSource.source_id == FundingSource.id)
        .join(Claim, Claim.id == ClaimSource.claim_id)
        .where(
            Claim.organization_id.in_(organization_ids),
            Claim.year == year,
            Claim.status.in_(LIVE_STATUSES),
        )
        .group_by(Claim.organization_id, FundingSource.name)
    )
    return {(organization_id, name): Decimal(total or 0) for organization_id, name, total in rows}


# --- submitting --------------------------------------------------------------------------------


def submit(actor: User, claim_id: int, now: datetime | None = None) -> Claim:
    require_role(actor, Role.SME)
    hold_sqlite_write_lock()  # submissions one after the other; PostgreSQL locks rows
    visible_claim(actor, claim_id)
    claim = _locked_claim(claim_id)
    status = next_claim_status(claim.status, ClaimAction.SUBMIT)
    policy = claim.policy
    claimant, members = _claimant(claim.organization_id)
    key = rules.cap_key(claim.organization_id, members - {claim.organization_id}, policy.group_caps)
    _lock_cap_key(key, claim.year)

    lines = db.session.execute(
        select(ClaimLine.id, ClaimLine.kind, ClaimLine.usage_id, ClaimLine.adjustment_id)
        .where(ClaimLine.claim_id == claim.id)
        .order_by(ClaimLine.position)
    ).all()
    usage_ids = [line.usage_id for line in lines if line.kind == ClaimLineKind.USAGE]
    adjustment_ids = [line.adjustment_id for line in lines if line.kind == ClaimLineKind.ADJUSTMENT]
    _refuse_claimed(usage_ids, adjustment_ids)

    by_usage = {item.key: item for item in _usage_inputs(UsageRecord.id.in_(usage_ids))}
    by_adjustment = {
        item.key: item for item in _adjustment_inputs(Adjustment.id.in_(adjustment_ids))
    }
    inputs = [
        by_usage[line.usage_id]
        if line.kind == ClaimLineKind.USAGE
        else by_adjustment[line.adjustment_id]
        for line in lines
    ]
    result = _compute(inputs, policy, claimant, members, claim.year, claim.id)
    _rewrite_lines(claim, [line.id for line in lines], policy, result)

    if usage_ids:
        db.session.execute(
            insert(ClaimedUsage),
            [{"usage_id": usage_id, "claim_id": claim.id} for usage_id in usage_ids],
        )
    if adjustment_ids:
        carried = db.session.execute(
            update(Adjustment)
            .where(Adjustment.id.in_(adjustment_ids), Adjustment.claim_id.is_(None))
            .values(claim_id=claim.id)
            .execution_options(synchronize_session=False)
        )
        if carried.rowcount != len(adjustment_ids):
            raise _already_claimed([], adjustment_ids)
    claim.status = status
    claim.submitted_at = now or utcnow()
    claim.cap_key = key
    _set_totals(claim, result)
    try:
        db.session.flush()
    except IntegrityError:
        # the database's word: a record went into another live claim just now
        db.session.rollback()
        raise _already_claimed(usage_ids, []) from None
    return _after(actor, claim, "submit", ClaimStatus.DRAFT, changes=_totals(claim))


def _lock_cap_key(key: str, year: int) -> None:
    """Make sure the (cap key, year) row exists, then hold its lock until commit."""
    dialect = db.session.get_bind().dialect.name
    make_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(make_insert(CapLock).values(cap_key=key, year=year).on_conflict_do_nothing())
    db.session.execute(
        select(CapLock.cap_key)
        .where(CapLock.cap_key == key, CapLock.year == year)
        .with_for_update()
    )


def _locked_claim(claim_id: int) -> Claim:
    claim = db.session.scalars(
        select(Claim)
        .where(Claim.id == claim_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if claim is None:
        raise NotFound()
    return claim


def _refuse_claimed(usage_ids: list[int], adjustment_ids: list[int]) -> None:
    claimed = (
        list(
            db.session.scalars(
                select(ClaimedUsage.usage_id).where(ClaimedUsage.usage_id.in_(usage_ids))
            )
        )
        if usage_ids
        else []
    )
    carried = (
        list(
            db.session.scalars(
                select(Adjustment.id).where(
                    Adjustment.id.in_(adjustment_ids), Adjustment.claim_id.is_not(None)
                )
            )
        )
        if adjustment_ids
        else []
    )
    if claimed or carried:
        raise _already_claimed(sorted(claimed), sorted(carried))


def _already_claimed(usage_ids: list[int], adjustment_ids: list[int]) -> AlreadyClaimed:
    return AlreadyClaimed(
        N_("Some of these usage records are already in another submitted claim."),
        details={"usage_ids": usage_ids, "adjustment_ids": adjustment_ids},
    )


def _rewrite_lines(
    claim: Claim, line_ids: list[int], policy: SubsidyPolicy, result: rules.ClaimResult
) -> None:
    if line_ids:
        db.session.execute(
            update(ClaimLine),
            [
                {
                    "id": line_id,
                    "eligible_fee": line.eligible_fee,
                    "subsidy": line.subsidy,
                    "fee": line.fee,
                    "ineligible_reason": line.reason.value if line.reason else None,
                }
                for line_id, line in zip(line_ids, result.lines, strict=True)
            ],
        )
        db.session.execute(delete(ClaimLineSource).where(ClaimLineSource.line_id.in_(line_ids)))
        _insert_line_sources(line_ids, policy, result)
    for source_row, amount in zip(
        sorted(claim.sources, key=lambda row: row.position), result.sources, strict=True
    ):
        source_row.subsidy = amount


# --- the rest of the workflow ------------------------------------------------------------------


def withdraw(actor: User, claim_id: int) -> Claim:
    require_role(actor, Role.SME)
    visible_claim(actor, claim_id)
    claim = _locked_claim(claim_id)
    before = claim.status
    claim.status = next_claim_status(claim.status, ClaimAction.WITHDRAW)
    _release(claim)
    return _after(actor, claim, "withdraw", before)


def approve(actor: User, claim_id: int, now: datetime | None = None) -> Claim:
    claim = _finance_locked(actor, claim_id)
    before = claim.status
    claim.status = next_claim_status(claim.status, ClaimAction.APPROVE)
    claim.decided_at, claim.decided_by_id = now or utcnow(), actor.id
    return _after(actor, claim, "approve", before)


def reject(actor: User, claim_id: int, reason: str | None, now: datetime | None = None) -> Claim:
    claim = _finance_locked(actor, claim_id)
    reason = clean_reason(reason)
    before = claim.status
    claim.status = next_claim_status(claim.status, ClaimAction.REJECT)
    claim.decided_at, claim.decided_by_id = now or utcnow(), actor.id
    claim.status_reason = reason
    _release(claim)
    return _after(actor, claim, "reject", before, reason=claim.status_reason)


def record_notice(
    actor: User, claim_id: int, notice_from: date | None, notice_to: date | None
) -> Claim:
    """The public notice (公示) period of an approved claim."""
    claim = _finance_locked(actor, claim_id)
    next_claim_status(claim.status, ClaimAction.NOTICE)
    errors = {
        name: REQUIRED
        for name, value in (("notice_from", notice_from), ("notice_to", notice_to))
        if not isinstance(value, date)
    }
    if not errors and notice_to < notice_from:
        errors["notice_to"] = Message(N_("Must not be before the start date."))
    if errors:
        raise ValidationFailed(errors)
    changes = audit.value_changes(
        {"notice_from": claim.notice_from, "notice_to": claim.notice_to},
        {"notice_from": notice_from, "notice_to": notice_to},
    )
    claim.notice_from, claim.notice_to = notice_from, notice_to
    return _after(actor, claim, "notice", claim.status, changes=changes)


def pay(actor: User, claim_id: int, paid_on: date | None, payment_reference: str | None) -> Claim:
    claim = _finance_locked(actor, claim_id)
    errors = {}
    if not isinstance(paid_on, date):
        errors["paid_on"] = REQUIRED
    if (message := check_text(payment_reference, REFERENCE_MAX_LENGTH, required=True)) is not None:
        errors["payment_reference"] = message
    before = claim.status
    status = next_claim_status(claim.status, ClaimAction.PAY)
    if errors:
        raise ValidationFailed(errors)
    claim.status = status
    claim.paid_on, claim.payment_reference = paid_on, payment_reference.strip()
    return _after(
        actor,
        claim,
        "pay",
        before,
        changes={"paid_on": paid_on, "payment_reference": claim.payment_reference},
    )


def _finance_locked(actor: User, claim_id: int) -> Claim:
    visible_claim(actor, claim_id)
    if actor.role != Role.FINANCE:
        raise Forbidden()
    return _locked_claim(claim_id)


def _release(claim: Claim) -> None:
    """Its records and adjustments are free for another claim; its subsidy no longer counts."""
    db.session.execute(delete(ClaimedUsage).where(ClaimedUsage.claim_id == claim.id))
    db.session.execute(
        update(Adjustment)
        .where(Adjustment.claim_id == claim.id)
        .values(claim_id=None)
        .execution_options(synchronize_session=False)
    )


def _after(
    actor: User,
    claim: Claim,
    action: str,
    before: ClaimStatus,
    *,
    reason: str = "",
    changes: dict | None = None,
) -> Claim:
    db.session.flush()
    audit.record(
        actor,
        "claim",
        claim.id,
        action,
        from_state=before.value,
        to_state=claim.status.value,
        reason=reason,
        changes=changes,
    )
    claim_mail.claim_event(claim, action)
    return load_claim(claim.id)

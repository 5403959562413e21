"""Demo data around Lüliang: four platforms, twenty instruments, five SMEs and a login per role,
with a month of use behind them: bookings, usage records (confirmed, disputed, awaiting the
SME) and rate cards with an off-peak rate and a no-show fee, so statements have lines.

Most instruments are idle on weekday daytimes (with a lunch break) as well as on weekday
evenings and weekends, so that a search for a weekday morning finds some; the fifth of each
platform runs production all day and is offered only in the evenings and at weekends. The coal
platform has bookings today (relative to when the command runs, in Shanghai time), one of them
ready to check in at once, and a request waiting for its decision.

The subsidy loop is there too: a policy with two funding sources (provincial and city), the
year's budgets, invoices, and claims of earlier months in every state (draft, submitted,
approved, rejected, paid, withdrawn), each made through the claims service; the last month's
confirmed use stays unclaimed, for a new claim in the wizard.

Loading is idempotent: organisations are found by name, users by e-mail, instruments by name;
the history is added once, when there are no bookings yet, and the subsidy history once, when
there is no subsidy policy yet; today's bookings are added when the coal platform has none
starting today, next to what is there.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from equipment_share.domain.availability import Interval
from equipment_share.domain.bookings import ACTIVE_STATUSES, BookingStatus, PurposeCategory
from equipment_share.domain.fees import estimate_for
from equipment_share.domain.organizations import uscc_with_check_character
from equipment_share.extensions import db
from equipment_share.models import (
    Booking,
    Equipment,
    IdleWindow,
    IdleWindowKind,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Role,
    SubsidyPolicy,
    UsageRecord,
    UsageStatus,
    User,
    utcnow,
)
from equipment_share.services import budgets, claims, rate_cards, subsidy, usage

DEMO_PASSWORD = "lvliang-demo-2026"  # nosec B105  # the demo logins' published password

PLATFORMS = [
    {
        "name": "吕梁市煤炭清洁利用技术创新中心",
        "name_en": "Lüliang Clean Coal Utilisation Innovation Centre",
        "uscc": "12141100MB1A2C3D4",
        "industry": "煤炭",
        "address": "山西省吕梁市离石区滨河北中路 18 号",
        "email": "coal@lvliang.example",
        "instruments": [
            ("工业分析仪", "Proximate analyser", "chemical_analysis", "SDTGA-8000", "120.00"),
            (
                "元素分析仪",
                "CHNS elemental analyser",
                "chemical_analysis",
                "Vario EL cube",
                "260.00",
            ),
            ("氧弹量热仪", "Bomb calorimeter", "thermal_analysis", "IKA C6000", "150.00"),
            ("煤岩显微镜", "Coal petrography microscope", "microscopy", "Leica DM4 P", "300.00"),
            ("热重分析仪", "Thermogravimetric analyser", "thermal_analysis", "TGA 2", "220.00"),
        ],
    },
    {
        "name": "孝义市铸造产业技术研究院",
        "name_en": "Xiaoyi Foundry Industry Technology Institute",
        "uscc": "12141181MB0B7E6F5",
        "industry": "铸造",
        "address": "山西省孝义市梧桐工业园区",
        "email": "foundry@lvliang.example",
        "instruments": [
            (
                "直读光谱仪",
                "Spark optical emission spectrometer",
                "spectroscopy",
                "SPECTROMAXx",
                "180.00",
            ),
            (
                "万能材料试验机",
                "Universal testing machine",
                "materials_testing",
                "WAW-600B",
                "160.00",
            ),
            (
                "金相显微镜",
                "Metallographic microscope",
                "microscopy",
                "Zeiss Axio Vert.A1",
                "140.00",
            ),
            ("X射线探伤机", "X-ray flaw detector", "materials_testing", "XXG-3005", "350.00"),
            ("冲击试验机", "Charpy impact tester", "materials_testing", "JBW-500", "90.00"),
        ],
    },
    {
        "name": "汾阳杏花村白酒酿造检测中心",
        "name_en": "Xinghuacun Baijiu Brewing Testing Centre",
        "uscc": "12141182MB0C1G2H3",
        "industry": "白酒",
        "address": "山西省汾阳市杏花村镇",
        "email": "baijiu@lvliang.example",
        "instruments": [
            ("气相色谱-质谱联用仪", "GC-MS", "chromatography", "Agilent 8890/5977B", "480.00"),
            ("高效液相色谱仪", "HPLC", "chromatography", "Waters e2695", "320.00"),
            (
                "原子吸收光谱仪",
                "Atomic absorption spectrometer",
                "spectroscopy",
                "AA-7000",
                "200.00",
            ),
            ("电子鼻", "Electronic nose", "food_biology", "PEN3", "150.00"),
            ("发酵中试罐", "Pilot fermenter (500 L)", "process_pilot", "BIOTECH-500JS", "260.00"),
        ],
    },
    {
        "name": "吕梁新材料中试基地",
        "name_en": "Lüliang New Materials Pilot Base",
        "uscc": "12141122MB0D4J5K6",
        "industry": "新材料",
        "address": "山西省吕梁市交城县经济开发区",
        "email": "materials@lvliang.example",
        "instruments": [
            (
                "扫描电子显微镜",
                "Scanning electron microscope",
                "microscopy",
                "ZEISS Sigma 300",
                "800.00",
            ),
            ("X射线衍射仪", "X-ray diffractometer", "spectroscopy", "Bruker D8 Advance", "450.00"),
            (
                "激光粒度分析仪",
                "Laser particle size analyser",
                "materials_testing",
                "Mastersizer 3000",
                "180.00",
            ),
            (
                "同步热分析仪",
                "Simultaneous thermal analyser",
                "thermal_analysis",
                "NETZSCH STA 449",
                "300.00",
            ),
            (
                "比表面积分析仪",
                "BET surface area analyser",
                "materials_testing",
                "ASAP 2460",
                "240.00",
            ),
        ],
    },
]

SMES = [
    (
        "吕梁华晟煤化科技有限公司",
        "Lüliang Huasheng Coal Chemical Technology",
        "91141100MA0KX1234",
        True,
        "2026140100001",
    ),
    (
        "孝义市恒达精密铸造有限公司",
        "Xiaoyi Hengda Precision Casting",
        "91141181MA0LY2345",
        True,
        "2026140100002",
    ),
    (
        "汾阳市杏香酒业科技有限公司",
        "Fenyang Xingxiang Liquor Technology",
        "91141182MA0MW3456",
        True,
        "2026140100003",
    ),
    (
        "交城县新源碳材料有限公司",
        "Jiaocheng Xinyuan Carbon Materials",
        "91141122MA0NU4567",
        False,
        "",
    ),
    ("离石区启航检测服务有限公司", "Lishi Qihang Testing Services", "91141102MA0PT5678", False, ""),
]

# Aliases and abbreviations people search by, per instrument name (the catalogue matches them).
KEYWORDS = {
    "工业分析仪": ["工分仪", "灰分", "挥发分", "proximate analysis"],
    "元素分析仪": ["CHNS", "碳氢氮硫", "EA"],
    "氧弹量热仪": ["量热仪", "发热量", "calorimeter"],
    "煤岩显微镜": ["镜质组反射率", "偏光显微镜", "petrography"],
    "热重分析仪": ["TGA", "TG", "热重"],
    "直读光谱仪": ["OES", "火花直读光谱", "光谱仪"],
    "万能材料试验机": ["拉伸试验机", "万能试验机", "tensile tester"],
    "金相显微镜": ["金相", "倒置显微镜", "metallography"],
    "X射线探伤机": ["探伤", "无损检测", "NDT"],
    "冲击试验机": ["摆锤冲击", "夏比冲击", "Charpy"],
    "气相色谱-质谱联用仪": ["GC-MS", "GCMS", "气质联用", "气质"],
    "高效液相色谱仪": ["HPLC", "液相", "液相色谱"],
    "原子吸收光谱仪": ["AAS", "原子吸收", "重金属"],
    "电子鼻": ["E-nose", "气味分析"],
    "发酵中试罐": ["发酵罐", "中试", "fermentation"],
    "扫描电子显微镜": ["SEM", "扫描电镜", "电镜", "EDS"],
    "X射线衍射仪": ["XRD", "衍射仪", "物相分析"],
    "激光粒度分析仪": ["粒度仪", "激光粒度", "particle size"],
    "同步热分析仪": ["STA", "TG-DSC", "热分析"],
    "比表面积分析仪": ["BET", "比表面", "孔径分析"],
}

# Weekday evenings and weekends: the idle time between production shifts.
WEEKLY_IDLE = [
    ((0, 1, 2, 3, 4), time(18, 0), time(22, 0)),
    ((5, 6), time(8, 30), time(17, 30)),
]
# Weekday daytimes around a lunch break, for all but the fifth instrument of each platform.
WEEKDAY_DAYTIME_IDLE = [
    ((0, 1, 2, 3, 4), time(8, 30), time(12, 0)),
    ((0, 1, 2, 3, 4), time(13, 30), time(17, 30)),
]
PRODUCTION_ALL_DAY = 4  # the index of the instrument without daytime idle windows


@dataclass
class DemoLogins:
    password: str = DEMO_PASSWORD
    accounts: list[tuple[str, str, str]] = field(default_factory=list)


def _organization(name: str, **values) -> Organization:
    organization = db.session.scalar(select(Organization).where(Organization.name == name))
    if organization is None:
        values["uscc"] = uscc_with_check_character(values["uscc"])
        organization = Organization(name=name, status=OrganizationStatus.APPROVED, **values)
        db.session.add(organization)
        db.session.flush()
    return organization


def _user(email: str, role: Role, organization: Organization | None, name: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, role=role, organization=organization, name=name)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
    return user


def _instrument(platform: Organization, spec: tuple, index: int) -> None:
    name, name_en, category, model, rate = spec
    exists = db.session.scalar(
        select(Equipment).where(Equipment.platform_id == platform.id, Equipment.name == name)
    )
    if exists:
        # demo data loaded before instruments had keywords gets them now
        exists.keywords = exists.keywords or KEYWORDS.get(name, [])
        return
    equipment = Equipment(
        platform=platform,
        name=name,
        name_en=name_en,
        category=category,
        model=model,
        location=f"{platform.address} · {index + 101} 室",
        description=f"{name}（{model}），{platform.name}开放共享。",
        hourly_rate=rate,
        setup_fee="50.00" if index % 2 else "0.00",
        min_charge_minutes=60,
        billing_increment_minutes=30,
        slot_minutes=30,
        min_booking_minutes=60,
        max_booking_minutes=480,
        lead_time_hours=24,
        horizon_days=60,
        requires_approval=index % 2 == 0,
        # about 4,000 hours' fees: some above the evaluation's ¥500,000, some below
        original_value=Decimal(rate) * 4000,
        purchase_year=2015 + index % 8,
        keywords=KEYWORDS.get(name, []),
    )
    daytime = WEEKDAY_DAYTIME_IDLE if index != PRODUCTION_ALL_DAY else []
    for weekdays, start, end in [*daytime, *WEEKLY_IDLE]:
        equipment.idle_windows.append(
            IdleWindow(
                kind=IdleWindowKind.WEEKLY,
                weekdays=",".join(map(str, weekdays)),
                start_time=start,
                end_time=end,
            )
        )
    db.session.add(equipment)
    db.session.flush()
    rate_cards.start_version(None, equipment)


def load_demo_data() -> DemoLogins:
    logins = DemoLogins()
    admin = _user("admin@lvliang.example", Role.ADMIN, None, "系统管理员")
    finance = _user("finance@lvliang.example", Role.FINANCE, None, "市科技局 王审核")
    logins.accounts += [("admin", admin.email, "-"), ("finance", finance.email, "市科技局")]
    for spec in PLATFORMS:
        platform = _organization(
            spec["name"],
            name_en=spec["name_en"],
            kind=OrganizationKind.PLATFORM,
            uscc=spec["uscc"],
            industry=spec["industry"],
            address=spec["address"],
        )
        user = _user(spec["email"], Role.PLATFORM, platform, f"{spec['industry']}平台管理员")
        for index, instrument in enumerate(spec["instruments"]):
            _instrument(platform, instrument, index)
        logins.accounts.append(("platform", user.email, platform.name))
    for number, (name, name_en, uscc, certified, cert_no) in enumerate(SMES, start=1):
        sme = _organization(
            name,
            name_en=name_en,
            kind=OrganizationKind.SME,
            uscc=uscc,
            tech_sme_certified=certified,
            tech_sme_cert_no=cert_no,
        )
        user = _user(f"sme{number}@lvliang.example", Role.SME, sme, f"{name[:4]}研发部")
        logins.accounts.append(("sme", user.email, sme.name))
    db.session.flush()
    if not db.session.scalar(select(func.count()).select_from(Booking)):
        _history()
    if not db.session.scalar(select(func.count()).select_from(SubsidyPolicy)):
        _subsidy_history(finance)
    _today(utcnow())
    return logins


SHANGHAI = ZoneInfo("Asia/Shanghai")
# (days ago, start hour, hours booked, minutes actually used, what the SME did)
PAST_USE = [
    (20, 9, 2, 125, "confirmed"),
    (15, 14, 3, 170, "confirmed"),
    (9, 9, 4, 250, "disputed"),
    (6, 10, 2, 95, "confirmed"),
    (3, 15, 2, 140, "awaiting"),
    (2, 9, 1, 60, "awaiting"),
]


def _history() -> None:
    """A month of use of the coal platform's instruments by the first two SMEs."""
    coal = db.session.scalar(select(User).where(User.email == "coal@lvliang.example"))
    smes = [
        db.session.scalar(select(User).where(User.email == f"sme{number}@lvliang.example"))
        for number in (1, 2)
    ]
    instruments = db.session.scalars(
        select(Equipment)
        .where(Equipment.platform_id == coal.organization_id)
        .order_by(Equipment.id)
    ).all()
    _off_peak_rates(coal, instruments[0])
    today = utcnow().astimezone(SHANGHAI).date()
    for index, (days_ago, hour, hours, used, outcome) in enumerate(PAST_USE):
        sme, equipment = smes[index % 2], instruments[index % 3]
        booking = _past_booking(sme, equipment, today - timedelta(days=days_ago), hour, hours)
        record = usage.record_usage(
            coal, booking, booking.start_at, booking.start_at + timedelta(minutes=used), "演示数据"
        )
        if outcome == "confirmed":
            usage.confirm(sme, record)
        elif outcome == "disputed":
            usage.dispute(sme, record, "实际使用约 3 小时，请核对。")


# (instrument of the coal platform, sme number, start "now" or an hour today, hours, status)
TODAY = [
    (1, 1, "now", 2, BookingStatus.CONFIRMED),
    (2, 2, 9, 2, BookingStatus.CONFIRMED),
    (3, 1, 14, 2, BookingStatus.CONFIRMED),
    (0, 2, 19, 2, BookingStatus.CONFIRMED),
]


def _today(now: datetime) -> None:
    """Confirmed bookings of the coal platform's instruments today, for the check-in flow: one
    from the current half hour (ready to check in at once), the others this morning, this
    afternoon and this evening; and a request for the day after tomorrow waiting for the
    platform's decision. Added once a day; a slot already taken is left out."""
    coal = db.session.scalar(select(User).where(User.email == "coal@lvliang.example"))
    local_now = now.astimezone(SHANGHAI)
    today = local_now.date()
    midnight = datetime.combine(today, time(0), tzinfo=SHANGHAI)
    starts_today = (
        select(func.count())
        .select_from(Booking)
        .join(Booking.equipment)
        .where(
            Equipment.platform_id == coal.organization_id,
            Booking.start_at >= midnight,
            Booking.start_at < midnight + timedelta(days=1),
        )
    )
    if db.session.scalar(starts_today):
        return
    instruments = db.session.scalars(
        select(Equipment)
        .where(Equipment.platform_id == coal.organization_id)
        .order_by(Equipment.id)
    ).all()
    current_half_hour = local_now.replace(minute=local_now.minute // 30 * 30, second=0)
    for index, number, hour, hours, status in TODAY:
        start = (
            current_half_hour.replace(microsecond=0)
            if hour == "now"
            else datetime.combine(today, time(hour), tzinfo=SHANGHAI)
        )
        _booking_if_free(instruments[index], number, start, hours, status, now)
    request = datetime.combine(today + timedelta(days=2), time(10), tzinfo=SHANGHAI)
    _booking_if_free(instruments[2], 1, request, 2, BookingStatus.PENDING, now)


def _booking_if_free(
    equipment: Equipment,
    sme_number: int,
    start: datetime,
    hours: int,
    status: BookingStatus,
    now: datetime,
) -> None:
    end = start + timedelta(hours=hours)
    taken = db.session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.equipment_id == equipment.id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at < end,
            Booking.end_at > start,
        )
    )
    if taken:
        return
    sme = db.session.scalar(select(User).where(User.email == f"sme{sme_number}@lvliang.example"))
    booking = _past_booking(
        sme, equipment, start.date(), start.hour, hours, start=start, status=status
    )
    booking.purpose = "煤样工业分析与发热量测定（演示数据）"
    booking.created_at = min(now, start) - timedelta(days=1)


def _off_peak_rates(platform_user: User, equipment: Equipment) -> None:
    current = rate_cards.version_values(rate_cards.in_force(equipment))
    rate_cards.add_version(
        platform_user,
        equipment,
        current
        | {
            "rate_windows": [
                {"weekdays": None, "start": "18:00", "end": "08:00", "hourly_rate": "80.00"}
            ],
            "items": [{"code": "sample", "label": "样品制备（每个）", "unit_price": "15.00"}],
            "no_show_fee": {"kind": "percent", "value": "50"},
            "late_cancellation_fee": {"kind": "fixed", "value": "30.00"},
        },
        None,
    )


def _past_booking(
    sme: User,
    equipment: Equipment,
    day: date,
    hour: int,
    hours: int,
    purpose_category: PurposeCategory = PurposeCategory.RESEARCH,
    start: datetime | None = None,
    status: BookingStatus = BookingStatus.CONFIRMED,
) -> Booking:
    """Bookings in the past (or too soon for the lead time) cannot be made through the rules,
    which refuse them."""
    start = start or datetime.combine(day, time(hour), tzinfo=SHANGHAI)
    interval = Interval(start, start + timedelta(hours=hours))
    version, card = rate_cards.rate_card_in_force(equipment)
    booking = Booking(
        equipment=equipment,
        organization_id=sme.organization_id,
        booked_by_id=sme.id,
        start_at=interval.start,
        end_at=interval.end,
        purpose="新材料研发测试（演示数据）",
        purpose_category=purpose_category,
        status=status,
        rate_card_id=version.id,
        hourly_rate=card.hourly_rate,
        setup_fee=card.setup_fee,
        min_charge_minutes=card.min_charge_minutes,
        billing_increment_minutes=card.billing_increment_minutes,
        estimated_fee=estimate_for(interval, card),
        created_at=interval.start - timedelta(days=3),
    )
    db.session.add(booking)
    db.session.flush()
    return booking


# (sme number, months back, day of that month, hour, hours, kind of use) of claimed use
CLAIMED_USE = [
    (1, 4, 6, 9, 3, PurposeCategory.RESEARCH),
    (1, 4, 13, 14, 2, PurposeCategory.CERTIFICATION),
    (2, 4, 8, 9, 4, PurposeCategory.RESEARCH),
    (3, 4, 20, 9, 2, PurposeCategory.PRODUCT_TESTING),
    (1, 3, 5, 9, 4, PurposeCategory.RESEARCH),
    (2, 3, 12, 14, 3, PurposeCategory.RESEARCH),
    (3, 3, 18, 9, 2, PurposeCategory.RESEARCH),
    (3, 3, 25, 14, 2, PurposeCategory.TRAINING),
]
# (sme number, months back, what finance (or the SME) did with the claim)
CLAIMS = [
    (1, 4, "paid"),
    (2, 4, "approved"),
    (3, 4, "rejected"),
    (1, 3, "submitted"),
    (2, 3, "withdrawn"),
    (3, 3, "draft"),
]


def _month(today: date, back: int) -> tuple[date, date]:
    """The first and last day of the month `back` months before today's."""
    year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
    first = date(year, month + 1, 1)
    next_year, next_month = divmod(year * 12 + month + 1, 12)
    return first, date(next_year, next_month + 1, 1) - timedelta(days=1)


def _subsidy_history(finance: User) -> None:
    """A policy with two funds, its budgets, invoiced use of earlier months, and a claim in
    every state, all through the services, as finance, the platform and the SMEs would."""
    today = utcnow().astimezone(SHANGHAI).date()
    policy = subsidy.create_policy(
        finance,
        {
            "name": "吕梁市科研仪器设备共享使用补贴",
            "valid_from": _month(today, 4)[0].replace(month=1, day=1),
            "valid_to": None,
            "sources": [
                {"name": "省级专项资金", "rate": "0.30", "annual_cap": "200000.00"},
                {
                    "name": "市中小企业发展专项资金",
                    "rate": "0.20",
                    "annual_cap": "100000.00",
                    "per_claim_cap": "50000.00",
                },
            ],
            "min_claim_amount": "50.00",
            "eligible_categories": None,
            "eligible_purposes": ["research", "product_testing", "training"],
            "require_tech_sme": True,
            "exclude_related_parties": True,
            "group_caps": False,
            "require_invoice": True,
            "platform_reward_rate": "0.10",
        },
    )
    for year in sorted({_month(today, 4)[0].year, today.year}):
        budgets.create_budget(finance, year, "省级专项资金", "300000.00")
        budgets.create_budget(finance, year, "市中小企业发展专项资金", "150000.00")
    _claimed_use(today)
    _invoice_recent_use(today)
    for number, back, outcome in CLAIMS:
        sme = db.session.scalar(select(User).where(User.email == f"sme{number}@lvliang.example"))
        claim = claims.draft_claim(sme, *_month(today, back), policy_id=policy.id)
        _take_to(claim.id, outcome, sme, finance, _month(today, back)[1])


def _claimed_use(today: date) -> None:
    """Confirmed, invoiced use of the foundry platform's instruments in earlier months."""
    foundry = db.session.scalar(select(User).where(User.email == "foundry@lvliang.example"))
    instruments = db.session.scalars(
        select(Equipment)
        .where(Equipment.platform_id == foundry.organization_id)
        .order_by(Equipment.id)
    ).all()
    for index, (number, back, day, hour, hours, kind) in enumerate(CLAIMED_USE):
        sme = db.session.scalar(select(User).where(User.email == f"sme{number}@lvliang.example"))
        first, _last = _month(today, back)
        booking = _past_booking(
            sme, instruments[index % len(instruments)], first.replace(day=day), hour, hours, kind
        )
        end = booking.end_at
        record = usage.record_usage(foundry, booking, booking.start_at, end, "演示数据")
        usage.confirm(sme, record)
        invoice_day = first.replace(day=min(day + 2, 28))
        subsidy.record_invoice(foundry, record.id, f"1411{first:%Y%m}{index + 1:04d}", invoice_day)


def _invoice_recent_use(today: date) -> None:
    """The coal platform invoiced the last month's confirmed use, all but the latest record:
    a new claim shows a line without an invoice and why it earns nothing."""
    coal = db.session.scalar(select(User).where(User.email == "coal@lvliang.example"))
    records = db.session.scalars(
        select(UsageRecord)
        .where(
            UsageRecord.platform_id == coal.organization_id,
            UsageRecord.status == UsageStatus.CONFIRMED,
        )
        .order_by(UsageRecord.occurred_at)
    ).all()
    for index, record in enumerate(records[:-1], start=1):
        day = record.occurred_at.astimezone(SHANGHAI).date()
        subsidy.record_invoice(coal, record.id, f"1411{day:%Y%m%d}{index:02d}", day)


def _take_to(claim_id: int, outcome: str, sme: User, finance: User, month_end: date) -> None:
    """Move a draft claim on to `outcome`, as the SME and finance would, on plausible days
    after the month: submitted after 3 days, decided after 10, paid after 30."""
    if outcome == "draft":
        return
    if outcome == "withdrawn":
        claims.withdraw(sme, claim_id)
        return
    claims.submit(sme, claim_id, now=_noon(month_end + timedelta(days=3)))
    if outcome == "submitted":
        return
    decided = _noon(month_end + timedelta(days=10))
    if outcome == "rejected":
        claims.reject(
            finance, claim_id, "发票抬头与申报企业名称不一致，请更正后重新申报。", now=decided
        )
        return
    claims.approve(finance, claim_id, now=decided)
    notice_from = month_end + timedelta(days=12)
    claims.record_notice(finance, claim_id, notice_from, notice_from + timedelta(days=6))
    if outcome == "paid":
        claims.pay(
            finance, claim_id, month_end + timedelta(days=30), f"吕财科拨〔{month_end.year}〕17号"
        )


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=SHANGHAI)

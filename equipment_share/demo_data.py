"""Demo data around Lüliang: four platforms, twenty instruments, five SMEs and a login per role,
with a month of use behind them: bookings, usage records (confirmed, disputed, awaiting the
SME) and rate cards with an off-peak rate and a no-show fee, so statements have lines.

Loading is idempotent: organisations are found by name, users by e-mail, instruments by name;
the history is added once, when there are no bookings yet.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from equipment_share.domain.availability import Interval
from equipment_share.domain.bookings import BookingStatus
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
    User,
    utcnow,
)
from equipment_share.services import rate_cards, usage

DEMO_PASSWORD = "demo12345"

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

# Weekday evenings and weekends: the idle time between production shifts.
WEEKLY_IDLE = [
    ((0, 1, 2, 3, 4), time(18, 0), time(22, 0)),
    ((5, 6), time(8, 30), time(17, 30)),
]


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
        select(Equipment.id).where(Equipment.platform_id == platform.id, Equipment.name == name)
    )
    if exists:
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
    )
    for weekdays, start, end in WEEKLY_IDLE:
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


def _past_booking(sme: User, equipment: Equipment, day: date, hour: int, hours: int) -> Booking:
    """Bookings in the past cannot be made through the rules (they refuse the past)."""
    start = datetime.combine(day, time(hour), tzinfo=SHANGHAI)
    interval = Interval(start, start + timedelta(hours=hours))
    version, card = rate_cards.rate_card_in_force(equipment)
    booking = Booking(
        equipment=equipment,
        organization_id=sme.organization_id,
        booked_by_id=sme.id,
        start_at=interval.start,
        end_at=interval.end,
        purpose="新材料研发测试（演示数据）",
        status=BookingStatus.CONFIRMED,
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

import enum
from datetime import datetime

from sqlalchemy import Column, Enum, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from equipment_share.models.base import Base, UTCDateTime, utcnow


class OrganizationKind(enum.StrEnum):
    PLATFORM = "platform"
    SME = "sme"


class OrganizationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


# Related parties (same actual controller, shared shareholders, same legal representative).
# Stored once per pair, smaller id first; Organization.related_organizations reads both directions.
organization_relations = Table(
    "organization_relations",
    Base.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("related_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
)


def enum_column(enum_class: type[enum.Enum]) -> Enum:
    """Enum stored by value as plain text, so both backends and Alembic treat it alike."""
    return Enum(
        enum_class,
        values_callable=lambda members: [member.value for member in members],
        native_enum=False,
        validate_strings=True,
        length=20,
    )


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[OrganizationKind] = mapped_column(enum_column(OrganizationKind))
    status: Mapped[OrganizationStatus] = mapped_column(
        enum_column(OrganizationStatus), default=OrganizationStatus.PENDING
    )
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    tech_sme_certified: Mapped[bool] = mapped_column(default=False)
    tech_sme_cert_no: Mapped[str] = mapped_column(String(64), default="")
    industry: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users = relationship("User", back_populates="organization")
    equipment = relationship("Equipment", back_populates="platform")
    _relations_out = relationship(
        "Organization",
        secondary=organization_relations,
        primaryjoin=id == organization_relations.c.organization_id,
        secondaryjoin=id == organization_relations.c.related_id,
        viewonly=True,
    )
    _relations_in = relationship(
        "Organization",
        secondary=organization_relations,
        primaryjoin=id == organization_relations.c.related_id,
        secondaryjoin=id == organization_relations.c.organization_id,
        viewonly=True,
    )

    @property
    def related_organizations(self) -> list["Organization"]:
        return sorted({*self._relations_out, *self._relations_in}, key=lambda org: org.id)

    @property
    def is_approved(self) -> bool:
        return self.status == OrganizationStatus.APPROVED

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name!r}>"

"""Words for stored values (statuses, roles, kinds), translated where they are shown."""

from flask_babel import lazy_gettext as _l

from equipment_share.domain.equipment import CATEGORIES

LABELS = {
    "pending": _l("pending approval"),
    "approved": _l("approved"),
    "rejected": _l("rejected"),
    "platform": _l("Platform"),
    "sme": _l("SME"),
    "admin": _l("Administrator"),
    "finance": _l("Finance officer"),
    "weekly": _l("weekly"),
    "once": _l("one-off"),
    # booking states ("pending" and "rejected" are above)
    "confirmed": _l("confirmed"),
    "completed": _l("completed"),
    "cancelled": _l("cancelled"),
    "no_show": _l("no-show"),
    # claim states ("approved" and "rejected" are above)
    "draft": _l("draft"),
    "submitted": _l("submitted"),
    "withdrawn": _l("withdrawn"),
    "paid": _l("paid"),
}
# booking purpose categories ("other" is also an instrument category: these have their own words)
PURPOSES = {
    "research": _l("research and development"),
    "product_testing": _l("product testing"),
    "certification": _l("statutory certification"),
    "training": _l("training"),
    "other": _l("other use"),
}


def purpose_label(value) -> str:
    key = getattr(value, "value", value)
    return PURPOSES.get(key, key)


def label(value) -> str:
    """The reader's word for a stored value; the value itself when there is none."""
    key = getattr(value, "value", value)
    if key in CATEGORIES:
        return _l(CATEGORIES[key])
    return LABELS.get(key, key)

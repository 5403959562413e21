"""The user's notices in the app (the bell): list them, mark one or all as read."""

import marshmallow as ma

from equipment_share.api.auth import current_actor
from equipment_share.api.blueprint import ApiBlueprint
from equipment_share.api.fields import ID_CONVERTER as ID
from equipment_share.api.fields import Instant, OutputSchema
from equipment_share.api.pagination import PaginationArgs, page_schema, paginate
from equipment_share.domain.notices import TEMPLATES
from equipment_share.models import Notification
from equipment_share.services import notices
from equipment_share.services.notice_text import render

blp = ApiBlueprint(
    "api_notifications",
    __name__,
    description="The user's notifications: bookings, usage records and claims that concern them.",
)


class NotificationSchema(OutputSchema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"enum": sorted(TEMPLATES)})
    object_type = ma.fields.String(
        metadata={"enum": ["booking", "usage", "claim"], "description": "What it is about."}
    )
    object_id = ma.fields.Integer(allow_none=True)
    text = ma.fields.String(
        metadata={"description": "The notice in the language of Accept-Language (zh-CN or en)."}
    )
    params = ma.fields.Dict(
        metadata={"description": "The values of the text (names, times, amounts as strings)."}
    )
    created_at = Instant()
    read_at = Instant(allow_none=True, metadata={"description": "Null while unread."})


NotificationPageSchema = page_schema(NotificationSchema, "NotificationPage")


class NotificationListArgs(PaginationArgs):
    unread = ma.fields.Boolean(
        load_default=False, metadata={"description": "Only the unread ones (unread=true)."}
    )


class ReadAllSchema(OutputSchema):
    marked = ma.fields.Integer(metadata={"description": "How many were unread until now."})
    unread = ma.fields.Integer(metadata={"description": "Unread now: 0."})


def _answer(notice: Notification) -> dict:
    return {
        "id": notice.id,
        "kind": notice.kind,
        "object_type": notice.object_type,
        "object_id": notice.object_id,
        "text": render(notice.kind, notice.params or {}),
        "params": notice.params or {},
        "created_at": notice.created_at,
        "read_at": notice.read_at,
    }


@blp.route("/notifications")
@blp.arguments(NotificationListArgs, location="query")
@blp.response(200, NotificationPageSchema)
@blp.errors(400, 422)
def list_notifications(args):
    """The user's notifications, newest first"""
    actor = current_actor()
    page = paginate(notices.notices_query(actor, unread=args["unread"]), args)
    page["items"] = [_answer(notice) for notice in page["items"]]
    return page


@blp.route(f"/notifications/<{ID}:notification_id>/read", methods=["POST"])
@blp.response(200, NotificationSchema)
@blp.errors(404)
def read(notification_id):
    """Mark one of the user's notifications as read (again: no change)

    Another user's notification answers 404.
    """
    notice = notices.mark_read(current_actor(), notification_id)
    return _answer(notice)


@blp.route("/notifications/read-all", methods=["POST"])
@blp.response(200, ReadAllSchema)
def read_all():
    """Mark all of the user's notifications as read"""
    marked = notices.mark_all_read(current_actor())
    return {"marked": marked, "unread": 0}

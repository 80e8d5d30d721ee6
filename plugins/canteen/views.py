"""The canteen's API under /api/v1/canteen: menus for everyone, the delivery list for staff."""

from core.plugin_api import ApiBlueprint, commit, current_user, page_schema, session, public
from plugins.canteen import service
from plugins.canteen.schemas import CanteenDayQuery, CanteenDeliveryListSchema, CanteenMenuSchema

# Ids in paths stop at the database's 32-bit integers: a larger one is a 404, not a database error.
blp = ApiBlueprint("canteen", __name__, url_prefix="/canteen", description="Community canteen: menus and home deliveries")


@blp.route("/listings/<int:listing_id>/menus")
@blp.arguments(CanteenDayQuery, location="query")
@blp.response(200, page_schema(CanteenMenuSchema))
@public
def list_menus(args, listing_id):
    """The menus of a canteen listing's meals on one day, or of every meal still to come (public)."""
    return service.menus(session(), listing_id, args)


@blp.route("/slots/<int:slot_id>/menu")
@blp.response(200, CanteenMenuSchema)
@public
def get_menu(slot_id):
    """What one meal serves (public)."""
    return service.menu_of(session(), slot_id)


@blp.route("/slots/<int:slot_id>/menu", methods=["PUT"])
@blp.arguments(CanteenMenuSchema)
@blp.response(200, CanteenMenuSchema, description="the menu was replaced")
@blp.alt_response(201, schema=CanteenMenuSchema, description="the menu was published")
def publish_menu(data, slot_id):
    """The canteen's staff publish (or replace) the menu of one of its meals."""
    db = session()
    menu, created = service.publish_menu(db, current_user(), slot_id, data)
    commit(db)
    return menu, 201 if created else 200


@blp.route("/operators/<int:operator_id>/deliveries")
@blp.arguments(CanteenDayQuery, location="query")
@blp.response(200, CanteenDeliveryListSchema)
def list_deliveries(args, operator_id):
    """The home deliveries of a day (today by default), for volunteers: the canteen's and the community's staff."""
    return service.deliveries(session(), current_user(), operator_id, args)

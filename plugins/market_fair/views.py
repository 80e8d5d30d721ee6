"""The market fair's API: stall maps, the vendor register, visits, sales reports and gifts in kind."""

from core.plugin_api import (
    ApiBlueprint, PageArgs, commit, current_user, operator_of_type, page_schema, paginate, session, public,
)
from plugins.market_fair import KEY, service
from plugins.market_fair.schemas import (
    GiftSchema, SalesReportSchema, StallMapSchema, VendorPatchSchema, VendorSchema, VisitCountSchema, VisitSchema,
)

blp = ApiBlueprint("market_fair", __name__, url_prefix="/market-fair",
                description="Neighbourhood market fair: stalls, vendors, visits, sales pledges and gifts in kind")


@blp.route("/slots/<int:slot_id>/stalls")
@blp.response(200, StallMapSchema)
@public
def get_stall_map(slot_id):
    """Which stalls of this fair are taken (public)."""
    return service.stall_map(session(), slot_id)


@blp.route("/operators/<int:operator_id>/vendors")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(VendorSchema))
def list_vendors(args, operator_id):
    """The fair's vendor register (its staff, and the community's staff)."""
    db = session()
    operator = operator_of_type(db, current_user(), operator_id, KEY)
    return paginate(db, service.vendors(operator), args)


@blp.route("/operators/<int:operator_id>/vendors", methods=["POST"])
@blp.arguments(VendorSchema)
@blp.response(201, VendorSchema)
def register_vendor(data, operator_id):
    """Put a merchant on the register; a ``local`` merchant pays the low-cost stall price (the fair's staff)."""
    db, user = session(), current_user()
    vendor = service.register_vendor(db, user, operator_of_type(db, user, operator_id, KEY, manage=True), **data)
    commit(db)
    return vendor


@blp.route("/vendors/<int:vendor_id>", methods=["PATCH"])
@blp.arguments(VendorPatchSchema)
@blp.response(200, VendorSchema)
def update_vendor(data, vendor_id):
    """Change a vendor's business name or tier (the fair's staff)."""
    db = session()
    vendor = service.update_vendor(db, current_user(), vendor_id, data)
    commit(db)
    return vendor


@blp.route("/slots/<int:slot_id>/visits")
@blp.response(200, VisitCountSchema)
@public
def count_visits(slot_id):
    """How many residents registered to visit this fair (public)."""
    return service.visit_count(session(), slot_id)


@blp.route("/slots/<int:slot_id>/visits", methods=["POST"])
@blp.response(201, VisitSchema)
@blp.alt_response(200, schema=VisitSchema, description="registered already: the first registration")
def register_visit(slot_id):
    """A resident registers a free visit to the fair; registering again changes nothing."""
    db = session()
    visit, new = service.register_visit(db, current_user(), slot_id)
    commit(db)
    return visit, 201 if new else 200


@blp.route("/bookings/<int:booking_id>/sales-report", methods=["POST"])
@blp.arguments(SalesReportSchema)
@blp.response(201, SalesReportSchema)
def report_sales(data, booking_id):
    """After the fair the vendor (or the fair's staff) reports sales; the pledged share is due to the fund."""
    db = session()
    report = service.report_sales(db, current_user(), booking_id, **data)
    commit(db)
    return report


@blp.route("/operators/<int:operator_id>/sales-reports")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(SalesReportSchema))
def list_sales_reports(args, operator_id):
    """Every vendor's reported sales and pledge (the fair's staff, and the community's staff)."""
    db = session()
    return paginate(db, service.sales_reports(operator_of_type(db, current_user(), operator_id, KEY)),
                    args)


@blp.route("/slots/<int:slot_id>/in-kind", methods=["POST"])
@blp.arguments(GiftSchema)
@blp.response(201, GiftSchema)
def record_gift(data, slot_id):
    """Goods donated at the fair, into the fund at declared value and apart from its cash."""
    db = session()
    gift = service.record_gift(db, current_user(), slot_id, **data)
    commit(db)
    return gift

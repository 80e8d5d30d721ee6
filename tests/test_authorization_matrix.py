"""Who may call what: every route of the URL map, API and pages, called as every kind of user.

The routes come from ``app.url_map``, so a new route is in the matrix without
editing this file, and fails until its policy is declared below: one line in
``POLICY``, keyed by the endpoint name, naming the subjects allowed (see
:mod:`tests.world` for who they are). Everybody else must be refused — 401 (the
login page, for pages) when anonymous, 403 or 404 otherwise — and a refused call
must change nothing in the database. An allowed call must get past
authorization: anything but 401/403/404, and never a 5xx (a 409 or a 422 from the
domain is fine: the caller was let in, the state or the input said no). No
response to anonymous, another community or another operator may contain the
resident's address or email.

Pages that act through a form answer with a redirect and a flashed message; a
flashed "not allowed" or "not found" counts as refused there.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Callable

import flask
import pytest
from flask import Flask
from flask_wtf.csrf import generate_csrf

from core import create_app
from core.web.common import LOGIN_KEY
from tests.world import (
    ADMIN, ANON, CANARIES, CHARITY, COMMITTEE, DISTRICT, OPERATOR, RESIDENT, RIVAL, STAFF, STRANGER, SUBJECTS, TYPES,
    restore, snapshot,
)

API = "/api/v1"
SAFE = ("GET", "HEAD")


@dataclass(frozen=True)
class Rule:
    """Who may call an endpoint, and what to send so that the call is a real one."""

    allowed: frozenset[str]
    body: Callable[[dict], dict] | None = None  # JSON for the API, form fields for pages
    query: Callable[[dict], dict] | None = None
    kind: str | None = None  # which operator type's records fill the path (default: the endpoint's plugin, or canteen)
    path: dict[str, str] | None = None  # literal values for this route's path parameters, beside PATH_VALUES
    multipart: bool = False  # the API body is sent as multipart/form-data (a file upload), not JSON


def only(*subjects: str, **request) -> Rule:
    return Rule(frozenset(subjects), **request)


def public(**request) -> Rule:
    return Rule(frozenset(SUBJECTS), **request)


def users(**request) -> Rule:
    return Rule(frozenset(SUBJECTS) - {ANON}, **request)


def residents(**request) -> Rule:
    """Any resident, of any community (a non-resident of the listing's community pays the paid price)."""
    return only(RESIDENT, STRANGER, ADMIN, **request)


FUND_READERS = (STAFF, COMMITTEE, CHARITY, ADMIN)
AUDITORS = (COMMITTEE, CHARITY, ADMIN)
OPERATOR_OR_STAFF = (OPERATOR, STAFF, ADMIN)
TOMORROW = (dt.date.today() + dt.timedelta(days=2)).isoformat()
TODAY = dt.date.today().isoformat()
PERIOD = {"query": lambda w: {"period": w["period"]}}


def month_before(period: str) -> str:
    from core.score_rule import previous

    return previous(period)


LOGIN = {"email": "senior68@example.org", "password": "demo-password"}

POLICY: dict[str, Rule] = {  # keyed by endpoint, or "endpoint METHOD" where one method lets in fewer
    # --- the API ---------------------------------------------------------------------------------
    "api-docs.openapi_json": public(),
    "auth.login": public(body=lambda w: LOGIN),
    "auth.logout": users(),
    "auth.me": users(),
    "auth.my_data": users(),
    "communities.list_communities": public(),
    "communities.get_community": public(),
    "communities.list_spaces": public(),
    "communities.create_space": only(STAFF, ADMIN, body=lambda w: {"name": "Library"}),
    "communities.create_community": only(ADMIN, body=lambda w: {"slug": "heping-east", "name": "Heping East"}),
    "communities.put_operator_types": only(STAFF, ADMIN, body=lambda w: {"enabled": list(TYPES)}),
    "district.summary": only(DISTRICT, ADMIN, **PERIOD),
    "public.district_totals": public(**PERIOD),
    "operators.list_operator_types": public(),
    "operators.list_operators": public(),
    "operators.get_operator": public(),
    "operators.apply_operator": users(body=lambda w: {"community": w["community"], "name": "New", "type": "canteen"}),
    "operators.approve_operator": only(STAFF, ADMIN),
    "operators.list_agreements": only(*OPERATOR_OR_STAFF),
    "operators.create_agreement": only(*OPERATOR_OR_STAFF, body=lambda w: {"space_id": w["space"],
                                                                          "starts_on": TOMORROW}),
    "operators.approve_agreement": only(STAFF, ADMIN),
    "operators.find_customers": only(OPERATOR, ADMIN, query=lambda w: {"q": "Chen"}),  # the operator's own staff
    "operators.get_stripe_account": only(*OPERATOR_OR_STAFF),
    "operators.put_stripe_account": only(STAFF, ADMIN, body=lambda w: {"account_id": "acct_1Matrix0"}),
    "operators.stripe_onboarding_link": only(OPERATOR, ADMIN),  # without Stripe here: a 409, past authorization
    "scores.record_inspection": only(STAFF, ADMIN, body=lambda w: {"period": w["period"], "score": 7.5,
                                                                   "notes": "Clean kitchen"}),
    "scores.list_inspections": only(OPERATOR, *FUND_READERS),
    "scores.list_scores": only(OPERATOR, *FUND_READERS),
    "scores.adjust_score": only(STAFF, ADMIN, body=lambda w: {"score": 6.5, "reason": "Flooded kitchen"}),  # 409: none
    "scores.evaluate": only(STAFF, ADMIN, body=lambda w: {"period": month_before(w["period"])}),
    "scores.get_settings": only(STAFF, ADMIN),
    "scores.put_settings": only(STAFF, ADMIN, body=lambda w: {
        "answer_days": 7, "weights": {"ratings": 30, "complaints": 20, "fulfilment": 20, "inspection": 20,
                                      "donations": 10}, "star_lines": {"5": 9, "4": 8, "3": 6.5}}),
    "standing.suspend": only(STAFF, ADMIN, body=lambda w: {"reason": "Food safety"}),
    "standing.reinstate": only(STAFF, ADMIN, body=lambda w: {"reason": "Kitchen cleaned"}),  # active: a 409
    "standing.exit_operator": only(STAFF, ADMIN, body=lambda w: {"reason": "Three months under 6",
                                                                 "ends_on": TOMORROW, "existing_bookings": "honour"}),
    "standing.get_standing": only(*OPERATOR_OR_STAFF),
    "standing.published_operators": public(),
    "listings.search": public(),
    "listings.get": public(),
    "listings.list_slots": public(),
    "listings.create": only(OPERATOR, ADMIN, body=lambda w: {"operator_id": w["operator"], "title": "Dinner"}),
    "listings.update": only(OPERATOR, ADMIN, body=lambda w: {"title": "Lunch"}),
    "listings.create_slot": only(OPERATOR, ADMIN, body=lambda w: {
        "starts_at": f"{TOMORROW}T09:00:00+08:00", "ends_at": f"{TOMORROW}T10:00:00+08:00", "capacity": 5}),
    "schedules.list_schedules": public(),
    "schedules.create_schedule": only(OPERATOR, ADMIN, body=lambda w: {
        "weekdays": [2], "start_time": "18:00", "end_time": "19:00", "capacity": 5, "valid_from": TOMORROW}),
    "schedules.create_closure": only(OPERATOR, ADMIN, body=lambda w: {"date": TOMORROW, "reason": "Holiday"}),
    "schedules.cancel_slot": only(OPERATOR, ADMIN, body=lambda w: {"reason": "The stove is broken"}),
    "schedules.change_places": only(OPERATOR, ADMIN, body=lambda w: {"capacity": 90}),
    "bookings.create_quote": residents(body=lambda w: {"slot_id": w["slot"], "quantity": 1}),
    "bookings.create_booking": residents(body=lambda w: {"slot_id": w["slot"], "payment_method": "cash"}),
    "bookings.list_bookings": users(),
    "waitlist.join_waitlist": residents(),  # the resident booked it, the others find places: a 409 past authorization
    "waitlist.slot_waitlist": only(*OPERATOR_OR_STAFF),
    "waitlist.my_waitlist": users(),
    # the resident, or those who may book for them (the office, the time's operator's staff): no offer yet, a 409
    "waitlist.accept_offer": only(RESIDENT, OPERATOR, STAFF, ADMIN, body=lambda w: {"payment_method": "cash"}),
    "waitlist.decline_offer": only(RESIDENT, OPERATOR, STAFF, ADMIN),
    "waitlist.leave_waitlist": only(RESIDENT, OPERATOR, STAFF, ADMIN),
    "bookings.get_booking": only(RESIDENT, OPERATOR, STAFF, ADMIN),
    "bookings.cancel_booking": only(RESIDENT, OPERATOR, STAFF, ADMIN),  # the resident, or those who act for them
    "bookings.gift_receipt": only(RESIDENT, OPERATOR, STAFF, ADMIN, kind="gift"),  # who may see the booking
    "bookings.sell_at_counter": only(OPERATOR, ADMIN, body=lambda w: {"slot_id": w["slot"], "quantity": 1}),
    "bookings.check_in_booking": only(OPERATOR, ADMIN),
    "bookings.no_show_booking": only(OPERATOR, ADMIN),
    "bookings.rate_booking": only(RESIDENT, body=lambda w: {"stars": 5}, kind="rated"),  # rated already: a 409
    "bookings.get_rating": only(RESIDENT, OPERATOR, STAFF, ADMIN, kind="rated"),
    "complaints.file_complaint": only(RESIDENT, body=lambda w: {"category": "quality", "text": "Cold rice"}),
    "complaints.get_complaint": only(RESIDENT, OPERATOR, STAFF, ADMIN),  # the operator is not told who
    "complaints.put_photo": only(RESIDENT),  # no body: a 422 not_an_image, past authorization
    "complaints.get_photo": only(RESIDENT, OPERATOR, STAFF, ADMIN),
    "complaints.my_complaints": users(),  # one's own
    "complaints.community_complaints": only(STAFF, ADMIN),
    "complaints.operator_complaints": only(*OPERATOR_OR_STAFF),
    "complaints.acknowledge_complaint": only(STAFF, ADMIN),
    "complaints.resolve_complaint": only(STAFF, ADMIN, body=lambda w: {"upheld": True, "note": "Checked"}),
    "complaints.reply_to_complaint": only(OPERATOR, ADMIN, body=lambda w: {"text": "Sorry, mended"}),
    "complaints.rate_handling": only(RESIDENT, body=lambda w: {"stars": 4}),  # not resolved yet: a 409
    "needs.post_need": only(RESIDENT, ADMIN, body=lambda w: {"title": "Benches", "description": "By the gate"}),
    "needs.board": public(),  # who asked: to the community's staff only
    "needs.support_need": only(RESIDENT, ADMIN),  # the resident's own need: a 409 own_need
    "needs.compile_need": only(STAFF, ADMIN, body=lambda w: {
        "title": "Reading room", "scope": "Evenings", "budget_amount": 100, "sponsor": {"kind": "fund"}}),
    "needs.community_orders": public(),
    "needs.get_order": public(),
    "needs.take_order": only(OPERATOR, ADMIN, body=lambda w: {"operator_id": w["operator"]}),
    "needs.deliver_order": only(STAFF, ADMIN),  # not taken yet: a 409 order_not_taken
    "needs.rate_order": only(RESIDENT, body=lambda w: {"stars": 4}),  # only who asked or supported; a 409 until delivered
    "volunteering.register_volunteer": only(STAFF, ADMIN, body=lambda w: {"user_id": w["member"], "consent": True}),
    "volunteering.list_volunteers": only(STAFF, ADMIN),
    "volunteering.list_tasks": only(STAFF, ADMIN),
    "volunteering.create_task": only(STAFF, ADMIN, body=lambda w: {  # the operator's staff: for their operator only
        "community_id": w["community_id"], "kind": "visit", "title": "Tea", "starts_at": f"{TOMORROW}T09:00:00+08:00",
        "hours": 1.5}),
    "volunteering.get_task": only(RESIDENT, STAFF, ADMIN),  # the resident is the task's volunteer
    "volunteering.assign_task": only(STAFF, ADMIN, body=lambda w: {"volunteer_id": w["volunteer"]}),
    "volunteering.mark_task_done": only(RESIDENT),  # the volunteer's own tap
    "volunteering.confirm_task": only(STAFF, ADMIN),  # not done yet: a 409, past authorization
    "volunteering.volunteer_hours": only(RESIDENT, STAFF, ADMIN),
    "volunteering.redeem_hours": only(STAFF, ADMIN, body=lambda w: {"hours": 1, "reason": "Tea"}),  # 409: no hours
    "volunteering.my_volunteering": users(),  # one's own
    "volunteering.volunteering_totals": public(),
    "auth.register": public(body=lambda w: {"community": w["community"], "name": "New Neighbour",
                                            "phone": "13812345678", "password": "long-enough-1"}),
    "residents.register_resident": only(STAFF, ADMIN, body=lambda w: {"name": "Wang Fang", "phone": "13812345679",
                                                                     "date_of_birth": "1933-05-01"}),
    "residents.list_residents": only(STAFF, ADMIN),
    "residents.due_for_recheck": only(STAFF, ADMIN),
    "residents.get_resident": only(STAFF, ADMIN),
    "residents.correct_resident": only(STAFF, ADMIN, body=lambda w: {"building": "3"}),
    "residents.verify_resident": only(STAFF, ADMIN),
    "residents.deactivate_resident": only(STAFF, ADMIN),
    "residents.link_helper": only(STAFF, ADMIN, body=lambda w: {"helper_id": w["resident"]}),
    "residents.verify_attribute": only(STAFF, ADMIN, body=lambda w: {"attribute": "student"}),
    "residents.clear_attribute": only(STAFF, ADMIN),
    "residents.import_residents": only(STAFF, ADMIN, multipart=True, body=lambda w: {
        "file": (io.BytesIO("姓名,手机\r\n王芳,13812345670\r\n".encode()), "register.csv")}),
    "payments.payment_providers": public(query=lambda w: {"community": w["community"]}),
    "payments.provider_notification": public(body=lambda w: {}),  # the provider's signature is its authentication
    "payments.stripe_webhook": public(body=lambda w: {}),  # the signature is its authentication (tests/test_webhooks.py)
    "payments.list_costs": only(*OPERATOR_OR_STAFF),
    "payments.declare_cost": only(OPERATOR, ADMIN, body=lambda w: {"period": w["period"], "amount": 100,
                                                                  "description": "Rice"}),
    "payments.get_statement": only(OPERATOR, *FUND_READERS),
    "payments.settle": only(STAFF, COMMITTEE, ADMIN),
    "fund.get_fund": only(*FUND_READERS),
    "fund.list_transfers": only(*AUDITORS),
    "fund.record_transfer": only(COMMITTEE, ADMIN, body=lambda w: {"operator_id": w["operator"], "amount": 1,
                                                                  "reference": "BANK-1", "received_on": TODAY}),
    "fund.list_in_kind": only(*FUND_READERS),
    "fund.record_in_kind": only(OPERATOR, STAFF, COMMITTEE, ADMIN, body=lambda w: {
        "operator_id": w["operator"], "donor": "A baker", "item": "Bread", "quantity": 3,
        "declared_value_amount": 900, "received_on": TODAY}),
    "gifts.list_gifts": only(*AUDITORS),
    "gifts.record_gift": only(COMMITTEE, ADMIN, body=lambda w: {"donor_name": "A bakery", "donor_kind": "company",
                                                                "amount": 100, "reference": "BANK-4",
                                                                "received_on": TODAY}),
    "fund.get_ledger": only(*AUDITORS),
    "fund.get_reconciliation": only(*AUDITORS, **PERIOD),
    "fund.drill_down": only(*AUDITORS),
    "fund.annotate": only(COMMITTEE, ADMIN, body=lambda w: {"operator_id": w["operator"], "note": "Paid late"}),
    "fund.close_period": only(COMMITTEE, ADMIN),
    "fund.retry_split": only(COMMITTEE, ADMIN),  # a cash payment has no split: a 409, past authorization
    "fund.get_committee": only(*FUND_READERS),
    "fund.add_member": only(STAFF, ADMIN, body=lambda w: {"user_id": w["resident"]}),
    "fund.remove_member": only(STAFF, ADMIN),
    "fund.list_proposals": only(*FUND_READERS),
    "fund.get_proposal": only(*FUND_READERS),
    "fund.draft_proposal": only(STAFF, ADMIN, body=lambda w: {"title": "Lights", "purpose": "Safer paths",
                                                             "requested_amount": 500, "beneficiary": "Everyone"}),
    "fund.submit_proposal": only(STAFF, ADMIN),
    "fund.vote": only(COMMITTEE, body=lambda w: {"decision": "approve"}),  # members only: admin is not one
    "fund.charity_decision": only(CHARITY, ADMIN, body=lambda w: {"approved": True}),
    "fund.disburse": only(CHARITY, ADMIN, body=lambda w: {"reference": "BANK-2"}),
    "public.fund_report": public(),
    "public.donor_statement": public(),
    "problems.problem_type": public(path={"code": "slot_full"}),
    "notifications.list_notifications": users(),
    "notifications.read_notification": only(RESIDENT),  # one's own: another's is a 404
    "notifications.get_preferences": users(),
    "notifications.put_preferences": users(body=lambda w: {"email": True, "sms": False, "language": "en"}),
    # --- the plugins' API ------------------------------------------------------------------------
    "canteen.list_menus": public(),
    "canteen.get_menu": public(),
    "canteen.publish_menu": only(OPERATOR, ADMIN, body=lambda w: {"dishes": ["Rice", "Greens"], "soup": "Egg"}),
    "canteen.list_deliveries": only(*OPERATOR_OR_STAFF),
    "housekeeping.list_workers": only(*OPERATOR_OR_STAFF),
    "housekeeping.add_worker": only(OPERATOR, ADMIN, body=lambda w: {"name": "Ma Li", "skills": ["cleaning"]}),
    "housekeeping.update_worker": only(OPERATOR, ADMIN, body=lambda w: {"name": "Ma Lili"}),
    "market_fair.get_stall_map": public(),
    "market_fair.count_visits": public(),
    "market_fair.register_visit": only(RESIDENT, ADMIN),  # residents of the fair's community
    "market_fair.list_vendors": only(*OPERATOR_OR_STAFF),
    "market_fair.register_vendor": only(OPERATOR, ADMIN, body=lambda w: {"user_id": w["member"],
                                                                        "business_name": "Li's Repairs"}),
    "market_fair.update_vendor": only(OPERATOR, ADMIN, body=lambda w: {"tier": "outside"}),
    "market_fair.report_sales": only(RESIDENT, OPERATOR, ADMIN, body=lambda w: {"sales_amount": 1000,
                                                                               "pledged_bps": 100}),
    "market_fair.list_sales_reports": only(*OPERATOR_OR_STAFF),
    "market_fair.record_gift": only(OPERATOR, STAFF, COMMITTEE, ADMIN, body=lambda w: {
        "donor": "A grocer", "item": "Apples", "quantity": 2, "declared_value_amount": 300}),
    "workshop.list_jobs": only(*OPERATOR_OR_STAFF),
    "workshop.create_job": only(OPERATOR, ADMIN, body=lambda w: {
        "merchant": "Ms Wu", "product": "Purses", "unit_rate_amount": 50, "merchant_price_amount": 90,
        "quantity": 10, "due_on": TOMORROW}),
    "workshop.get_job": only(*OPERATOR_OR_STAFF),
    "workshop.deliver_job": only(OPERATOR, ADMIN),
    "workshop.list_pieces": only(*OPERATOR_OR_STAFF),
    "workshop.record_pieces": only(OPERATOR, ADMIN, body=lambda w: {"slot_id": w["slot"], "worker_id": w["resident"],
                                                                   "pieces": 3}),
    "workshop.wage_sheet": only(RESIDENT, *OPERATOR_OR_STAFF, **PERIOD),  # a resident sees their own lines
    "workshop.wage_sheet_csv": only(RESIDENT, *OPERATOR_OR_STAFF, **PERIOD),
    # --- the plugins' pages -----------------------------------------------------------------------
    "canteen_pages.menus": only(OPERATOR, ADMIN),
    "canteen_pages.publish_menu": only(OPERATOR, ADMIN, body=lambda w: {"dishes": "Rice\nGreens", "soup": "Egg"}),
    "canteen_pages.deliveries": only(*OPERATOR_OR_STAFF),
    "canteen_pages.make_delivery_tasks": only(*OPERATOR_OR_STAFF),
    # the world's task is the community's own, not the canteen's: its staff assign and confirm it, the canteen's not
    "canteen_pages.assign_delivery": only(STAFF, ADMIN, body=lambda w: {"volunteer_id": str(w["volunteer"])}),
    "canteen_pages.confirm_delivery": only(STAFF, ADMIN),  # not done yet: a flashed 409
    "housekeeping_pages.roster": only(*OPERATOR_OR_STAFF),
    "housekeeping_pages.roster POST": only(OPERATOR, ADMIN, body=lambda w: {"name": "Ma Li", "skills": "cleaning"}),
    "housekeeping_pages.edit_worker": only(OPERATOR, ADMIN, body=lambda w: {"name": "Ma Lili", "skills": "cleaning"}),
    "market_fair_pages.static": public(path={"filename": "fair.css"}),
    "market_fair_pages.fairs": only(*OPERATOR_OR_STAFF),
    "market_fair_pages.stall_map": public(),
    "market_fair_pages.register_visit": only(RESIDENT, ADMIN),
    "market_fair_pages.vendors": only(*OPERATOR_OR_STAFF),
    "market_fair_pages.vendors POST": only(OPERATOR, ADMIN, body=lambda w: {"email": "senior68@example.org",
                                                                           "business_name": "Li's Repairs"}),
    "market_fair_pages.change_vendor": only(OPERATOR, ADMIN, body=lambda w: {"tier": "outside"}),
    "market_fair_pages.sales_report": only(RESIDENT, OPERATOR, ADMIN, body=lambda w: {"sales": "10.00",
                                                                                     "pledged_percent": "1"}),
    "market_fair_pages.sales_reports": only(*OPERATOR_OR_STAFF),
    "market_fair_pages.gift": only(OPERATOR, STAFF, COMMITTEE, ADMIN, body=lambda w: {
        "donor": "A grocer", "item": "Apples", "quantity": "2", "declared_value": "3.00"}),
    "workshop_pages.jobs": only(*OPERATOR_OR_STAFF, body=lambda w: {
        "merchant": "Ms Wu", "product": "Purses", "unit_rate": "0.50", "merchant_price": "0.90", "quantity": "10",
        "due_on": TOMORROW}),
    "workshop_pages.job": only(*OPERATOR_OR_STAFF),
    "workshop_pages.job POST": only(OPERATOR, ADMIN, body=lambda w: {"pieces": "3"}),
    "workshop_pages.deliver": only(OPERATOR, ADMIN),
    "workshop_pages.wage_sheet": only(RESIDENT, *OPERATOR_OR_STAFF),
    "workshop_pages.wage_sheet_csv": only(RESIDENT, *OPERATOR_OR_STAFF),
    # --- operations, outside the API -------------------------------------------------------------
    "alipay.pay": public(),  # a pay link: 409 for one not open (tests/test_alipay.py)
    "operations.healthz": public(),
    "operations.readyz": public(),
    "operations.metrics": only(),  # its token is the only key: with none configured it is a 404 to everybody
    # --- pages -----------------------------------------------------------------------------------
    "static": public(),
    "web_public.home": public(),
    "web_public.service": public(),
    "web_public.transparency_page": public(),
    "web_district.summary": only(DISTRICT, ADMIN),
    "web_district.export": only(DISTRICT, ADMIN),
    "web_district.public_totals": public(),
    "web_public.switch_language": public(),
    "web_auth.login": public(body=lambda w: LOGIN),
    "web_auth.logout": public(),
    "web_acting.choose": only(STAFF, OPERATOR, RIVAL, STRANGER, ADMIN),  # each finds their own community's residents
    "web_acting.start": only(STAFF, OPERATOR, RIVAL, ADMIN),  # the operators of the resident's community
    "web_acting.stop": public(),
    "web_auth.sign_up": public(body=lambda w: {"community": w["community"], "name": "New Neighbour",
                                               "phone": "13812345678", "password": "long-enough-1",
                                               "date_of_birth": "1950-01-01", "address": "Heping Road 3"}),
    "web_resident.book": residents(body=lambda w: {"quantity": "1", "payment_method": "cash", "nonce": "n-1"}),
    "web_resident.mine": residents(),
    "web_resident.my_bookings": residents(),
    "web_resident.my_details": users(),
    "web_resident.my_data": users(),
    "web_resident.booking": only(RESIDENT),
    "web_resident.cancel": only(RESIDENT),
    "web_resident.gift_receipt": only(RESIDENT, kind="gift"),
    "web_resident.pay": only(RESIDENT),
    "web_resident.pay_status": only(RESIDENT),
    "web_waitlist.join": residents(),  # a flashed 409: booked already, or places remain
    "web_waitlist.mine": residents(),
    "web_waitlist.accept": only(RESIDENT),  # no offer yet: a flashed 409
    "web_waitlist.decline": only(RESIDENT),
    "web_waitlist.leave": only(RESIDENT),
    "web_resident.rate": only(RESIDENT, body=lambda w: {"stars": "5"}, kind="rated"),
    "web_complaints.complain": only(RESIDENT, body=lambda w: {"category": "quality", "text": "Cold rice"}),
    "web_complaints.mine": users(),
    "web_complaints.mine_one": only(RESIDENT),
    "web_complaints.rate": only(RESIDENT, body=lambda w: {"stars": "4"}),  # not resolved yet: a flashed 409
    "web_complaints.photo": only(RESIDENT, OPERATOR, STAFF, ADMIN),
    "web_complaints.queue": only(STAFF, ADMIN),
    "web_complaints.office_one": only(STAFF, ADMIN),
    "web_complaints.acknowledge": only(STAFF, ADMIN),
    "web_complaints.resolve": only(STAFF, ADMIN, body=lambda w: {"upheld": "yes", "note": "Checked"}),
    "web_complaints.operator_queue": only(OPERATOR, ADMIN),
    "web_complaints.operator_one": only(OPERATOR, ADMIN, body=lambda w: {"text": "Sorry, mended"}),
    "web_needs.board GET": public(),
    "web_needs.board POST": only(RESIDENT, ADMIN, body=lambda w: {"title": "Benches", "description": ""}),
    "web_needs.support": only(RESIDENT, ADMIN),  # the resident's own wish: a flashed 409
    "web_needs.compile_page": only(STAFF, ADMIN, body=lambda w: {
        "title": "Reading room", "scope": "Evenings", "budget": "1.00", "sponsor_kind": "fund"}),
    "web_needs.orders": public(),
    "web_needs.order": public(),
    "web_needs.take": only(OPERATOR, ADMIN, body=lambda w: {"operator_id": str(w["operator"])}),
    "web_needs.deliver": only(STAFF, ADMIN),  # not taken yet: a flashed 409
    "web_needs.rate": only(RESIDENT, body=lambda w: {"stars": "4"}),  # not delivered yet: a flashed 409
    "web_volunteering.mine": users(),  # one's own
    "web_volunteering.done": only(RESIDENT),  # the task's volunteer
    "web_volunteering.office": only(STAFF, ADMIN),
    "web_volunteering.register": only(STAFF, ADMIN, body=lambda w: {"user_id": str(w["member"]), "consent": "y"}),
    "web_volunteering.new_task": only(STAFF, ADMIN, body=lambda w: {"kind": "visit", "title": "Tea", "day": TOMORROW,
                                                                   "starts": "09:00", "hours": "1.5"}),
    "web_volunteering.assign": only(STAFF, ADMIN, body=lambda w: {"volunteer_id": str(w["volunteer"])}),
    "web_volunteering.confirm": only(STAFF, ADMIN),  # not done yet: a flashed 409
    "web_volunteering.redeem": only(STAFF, ADMIN, body=lambda w: {"hours": "1", "reason": "Tea"}),  # a flashed 409
    "web_inbox.inbox": users(),
    "web_inbox.mark_read": only(RESIDENT),  # one's own: another's is a 404
    "web_inbox.mark_all_read": users(),
    "web_inbox.preferences": users(body=lambda w: {"email": "y", "language": "en"}),
    "web_agreements.apply": users(body=lambda w: {"name": "New", "type": "canteen"}),
    "web_agreements.agreement": only(OPERATOR, ADMIN, body=lambda w: {"space_id": str(w["space"]),
                                                                     "starts_on": TOMORROW}),
    "web_operator.desk": only(OPERATOR, RIVAL, STRANGER, ADMIN),  # each sees the desks of their own operators
    "web_operator.today": only(OPERATOR, ADMIN),
    "web_operator.booking_action": only(OPERATOR, ADMIN),
    "web_operator.operator_listings": only(OPERATOR, ADMIN),
    "web_operator.new_slot": only(OPERATOR, ADMIN, body=lambda w: {"day": TOMORROW, "starts": "09:00",
                                                                  "ends": "10:00", "capacity": "5"}),
    "web_operator.statement": only(OPERATOR, ADMIN),
    "web_operator.declare_cost": only(OPERATOR, ADMIN, body=lambda w: {"period": w["period"], "amount": "12.50",
                                                                      "description": "Rice"}),
    "web_operator.operator_ratings": only(OPERATOR, ADMIN),
    "web_schedules.times": only(OPERATOR, ADMIN),
    "web_schedules.new_schedule": only(OPERATOR, ADMIN, body=lambda w: {
        "weekdays": "2", "starts": "18:00", "ends": "19:00", "capacity": "5", "valid_from": TOMORROW}),
    "web_schedules.new_closure": only(OPERATOR, ADMIN, body=lambda w: {"day": TOMORROW, "reason": "Holiday"}),
    "web_schedules.call_off": only(OPERATOR, ADMIN, body=lambda w: {"reason": "The stove is broken"}),
    "web_schedules.change_places": only(OPERATOR, ADMIN, body=lambda w: {"capacity": "90"}),
    "web_counter.counter_page": only(OPERATOR, ADMIN, query=lambda w: {"slot": w["slot"], "customer": "visitor"},
                                     body=lambda w: {"quantity": "1", "nonce": "n-1", "action": "sell"}),
    "web_counter.pay": only(OPERATOR, ADMIN),  # the operator's own staff show its bookings' QR codes
    "web_counter.pay_status": only(OPERATOR, ADMIN),
    "web_operator.new_listing": only(OPERATOR, ADMIN, body=lambda w: {"title": "Dinner"}),
    "web_operator.edit_listing": only(OPERATOR, ADMIN, body=lambda w: {"title": "Lunch"}),
    "web_staff.office": only(STAFF, ADMIN),
    "web_standing.staff_operator": only(STAFF, ADMIN),
    "web_standing.suspend": only(STAFF, ADMIN, body=lambda w: {"suspend-reason": "Food safety"}),
    "web_standing.reinstate": only(STAFF, ADMIN, body=lambda w: {"reinstate-reason": "Kitchen cleaned"}),
    "web_standing.exit_operator": only(STAFF, ADMIN, body=lambda w: {"reason": "Three months under 6",
                                                                     "ends_on": TOMORROW,
                                                                     "existing_bookings": "honour"}),
    "web_standing.our_scores": only(OPERATOR, ADMIN),
    "web_standing.public_scores": public(),
    "web_standing.public_operator": public(),
    "web_admin.jobs": only(ADMIN),
    "web_admin.run_job": only(ADMIN),
    "web_staff.approve_operator": only(STAFF, ADMIN),
    "web_staff.approve_agreement": only(STAFF, ADMIN),
    "web_register.residents": only(STAFF, ADMIN),
    "web_register.recheck": only(STAFF, ADMIN),
    "web_register.import_sheet": only(STAFF, ADMIN),  # a POST without a file: a 422 past authorization
    "web_register.new": only(STAFF, ADMIN, body=lambda w: {"name": "Wang Fang", "phone": "13812345679",
                                                          "date_of_birth": "1933-05-01", "address": "Heping Road 1"}),
    "web_register.resident": only(STAFF, ADMIN, body=lambda w: {"name": "Zhang San", "phone": "13812345670",
                                                               "date_of_birth": "1990-01-01", "address": "Road 2"}),
    "web_register.verify": only(STAFF, ADMIN),  # the member is verified already: a flashed 409, past authorization
    "web_register.deactivate": only(STAFF, ADMIN),
    "web_register.check_attribute": only(STAFF, ADMIN, body=lambda w: {"attribute": "low_income"}),
    "web_register.clear": only(STAFF, ADMIN),
    "web_register.link_helper": only(STAFF, ADMIN, body=lambda w: {"contact": "adult@example.org"}),
    "web_staff.committee": only(STAFF, ADMIN, body=lambda w: {"email": "senior68@example.org"}),
    "web_staff.remove_member": only(STAFF, ADMIN),
    "web_reviews.review": only(STAFF, ADMIN),
    "web_reviews.evaluate": only(STAFF, ADMIN, body=lambda w: {"period": month_before(w["period"])}),
    "web_reviews.inspection": only(STAFF, ADMIN, body=lambda w: {"period": w["period"], "score": "7.5",
                                                                 "notes": "Clean"}),
    "web_reviews.adjust": only(STAFF, ADMIN, body=lambda w: {"score": "6.5", "reason": "Flooded kitchen"}),
    "web_reviews.settings": only(STAFF, ADMIN, body=lambda w: {
        "answer_days": "7", "ratings": "30", "complaints": "20", "fulfilment": "20", "inspection": "20",
        "donations": "10", "five": "9", "four": "8", "three": "6"}),
    "web_staff.proposal_list": only(STAFF, ADMIN),
    "web_staff.new_proposal": only(STAFF, ADMIN, body=lambda w: {"title": "Lights", "purpose": "Safer paths",
                                                                "requested_amount": "5.00", "beneficiary": "All"}),
    "web_staff.submit": only(STAFF, ADMIN),
    "web_committee.overview": only(*FUND_READERS),
    "web_committee.proposal_list": only(*FUND_READERS),
    "web_committee.proposal": only(*FUND_READERS),
    "web_committee.proposal_step": only(COMMITTEE, body=lambda w: {"decision": "approve"}),  # step: votes
    "web_committee.reconciliation": only(*AUDITORS),
    "web_committee.export": only(*AUDITORS),
    "web_committee.drill_down": only(*AUDITORS),
    "web_committee.ledger_page": only(*AUDITORS),
    "web_committee.settle": only(COMMITTEE, ADMIN),
    "web_committee.annotate": only(COMMITTEE, ADMIN, body=lambda w: {"operator_id": str(w["operator"]),
                                                                    "note": "Paid late"}),
    "web_committee.close_period": only(COMMITTEE, ADMIN),
    "web_committee.retry_split": only(COMMITTEE, ADMIN),
    "web_stripe_account.account": only(OPERATOR, ADMIN),
    "web_stripe_account.connect": only(OPERATOR, ADMIN),  # without Stripe here: a flashed 409
    "web_stripe_account.refresh": only(OPERATOR, ADMIN),
    "web_committee.new_transfer": only(COMMITTEE, ADMIN, body=lambda w: {
        "operator_id": str(w["operator"]), "amount": "0.01", "reference": "BANK-3", "received_on": TODAY}),
    "web_gifts.gift_list": only(*AUDITORS),
    "fund.report_outcome": only(STAFF, ADMIN, body=lambda w: {  # the world's submitted proposal: a 409, let in
        "done": "Benches", "beneficiaries": 3, "spent_amount": 100}),
    "fund.get_outcome": public(kind="outcome"),
    "fund.add_outcome_photo": only(STAFF, ADMIN, kind="outcome"),  # no body: a 422 not_an_image, past authorization
    "fund.get_outcome_photo": public(),
    "web_public.outcome_photo": public(),
    "web_staff.outcome": only(STAFF, ADMIN, kind="outcome", body=lambda w: {  # reported already: the report shown
        "done": "Benches", "beneficiaries": "3", "spent_amount": "1.00"}),
    "web_gifts.new_gift": only(COMMITTEE, ADMIN, body=lambda w: {
        "donor_kind": "anonymous", "donor_name": "", "amount": "1.00", "reference": "CASH-2", "received_on": TODAY}),
    "web_gifts.receipt": only(*AUDITORS),
    "web_gifts.export": only(*AUDITORS),
}

# What each path parameter is called with: a record of the world (``operator`` is that of the route's operator
# type), or a literal. A route with a parameter not named here fails and says to add it.
PATH_VALUES = {
    "ref": "community", "slug": "community", "operator_id": "operator", "listing_id": "listing", "slot_id": "slot",
    "booking_id": "booking", "resident_id": "member", "agreement_id": "agreement", "proposal_id": "proposal", "user_id": "member", "gift_id": "gift",
    "payment_id": "payment",
    "notification_id": "notification", "complaint_id": "complaint", "entry_id": "waitlist_entry", "photo_id": "outcome_photo",
    "need_id": "need", "order_id": "order", "task_id": "volunteer_task", "volunteer_id": "volunteer",
    "period": "period", "attribute": "attribute", "job_id": "job", "worker_id": "worker", "vendor_id": "vendor",
    "code": "=en", "step": "=votes", "provider": "=stripe", "action": "=check-in", "filename": "=linli.css", "name": "=expire_holds",
    "reference": "=L1T1",
}


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) of every route, API and pages, but HEAD and OPTIONS (Flask answers those itself)."""
    return sorted((rule.endpoint, method, rule.rule) for rule in app.url_map.iter_rules()
                  for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))


MAP = routes(create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "only-for-the-url-map"}))


def records(world: dict, endpoint: str, kind: str | None) -> dict:
    """The world's ids with ``operator``, ``slot``… those of the route's operator type."""
    blueprint = endpoint.split(".")[0]
    kind = kind or next((t for t in TYPES if blueprint.startswith(t)), "canteen")
    return world | {name.split(":")[0]: value for name, value in world.items() if name.endswith(f":{kind}")}


def policy_for(endpoint: str, method: str) -> Rule | None:
    return POLICY.get(f"{endpoint} {method}") or POLICY.get(endpoint)


def url_for(rule: str, values: dict, endpoint: str, literals: dict | None = None) -> str:
    def fill(match):
        name = match.group(1).split(":")[-1]
        if literals and name in literals:
            return literals[name]
        if name not in PATH_VALUES:
            pytest.fail(f"{endpoint} ({rule}) has a path parameter <{name}> the matrix cannot fill: add it to "
                        f"PATH_VALUES in tests/test_authorization_matrix.py (a record of tests/world.py, or '=literal')")
        source = PATH_VALUES[name]
        return source[1:] if source.startswith("=") else str(values[source])

    return re.sub(r"<([^>]+)>", fill, rule)


def declaration_hint(endpoint: str, method: str, rule: str) -> str:
    return (f"{method} {rule} (endpoint {endpoint!r}) has no authorization policy. Declare who may call it in "
            f"POLICY of tests/test_authorization_matrix.py, for example:\n"
            f"    {endpoint!r}: only(RESIDENT, ADMIN{', body=lambda w: {...}' if method not in SAFE else ''}),\n"
            f"(or public(), users(), residents(); subjects: {', '.join(SUBJECTS)})")


# --- calling as someone -------------------------------------------------------------------------

def client_as(app: Flask, world, subject: str):
    """A test client logged in as the subject (pages, in English), and the CSRF token its forms carry."""
    with app.test_request_context():
        csrf_token, raw = generate_csrf(), flask.session["csrf_token"]
    client = app.test_client()
    with client.session_transaction() as session:
        session.update({"lang": "en", "csrf_token": raw})
        if world.tokens[subject]:
            session[LOGIN_KEY] = world.tokens[subject]  # the subject's login record (its API token serves)
    return client, csrf_token


REFUSED_FLASHES = ("Please log in first.", "You are not allowed to do this.", "We could not find that.")


def call(app: Flask, world, subject: str, method: str, url: str, rule: Rule, values: dict):
    client, csrf_token = client_as(app, world, subject)
    sending = method not in SAFE and rule.body is not None
    query = rule.query(values) if rule.query else None
    if url.startswith(API + "/") or url == API:
        token = world.tokens[subject]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = rule.body(values) if sending else None
        response = client.open(url, method=method, headers=headers, query_string=query,
                               **({"data": body} if rule.multipart else {"json": body}))
    else:
        form = (rule.body(values) if sending else {}) | {"csrf_token": csrf_token}
        response = client.open(url, method=method, query_string=query, data=form if method not in SAFE else None)
    with client.session_transaction() as session:
        flashes = [message for category, message in session.get("_flashes", []) if category == "error"]
    return response, flashes


def verdict(response, flashes: list[str], page: bool) -> str:
    """``refused``, ``let in``, or ``broken`` (a 5xx), from the status, a redirect to the login page or a flash."""
    status = response.status_code
    if status >= 500:
        return "broken"
    if status in (401, 403, 404):
        return "refused"
    if page and status in (301, 302, 303) and response.headers.get("Location", "").startswith("/login"):
        return "refused"
    if page and any(message.startswith(REFUSED_FLASHES) for message in flashes):
        return "refused"
    return "let in"


def leaks(response) -> list[str]:
    body = response.get_data().decode("utf-8", "replace")  # a public photo is no text
    return [canary for canary in CANARIES if canary in body]


UNTRUSTED = (ANON, STRANGER, RIVAL, DISTRICT)  # the district officer reads figures, never a resident's particulars


@pytest.mark.parametrize("endpoint, method, rule", MAP, ids=[f"{m} {r}" for _, m, r in MAP])
def test_every_route_lets_in_exactly_whom_its_policy_declares(world, endpoint, method, rule):
    policy = policy_for(endpoint, method)
    if policy is None:
        pytest.fail(declaration_hint(endpoint, method, rule))
    app, built = world
    values = records(built.ids, endpoint, policy.kind)
    url = url_for(rule, values, endpoint, policy.path)
    page = not url.startswith(API)
    engine = app.extensions["linli"].db.engine
    before = snapshot(engine)
    problems = []
    for subject in [s for s in SUBJECTS if s not in policy.allowed]:  # the refused first: they must change nothing
        response, flashes = call(app, built, subject, method, url, policy, values)
        outcome = verdict(response, flashes, page)
        if outcome != "refused" or (subject == ANON and not page and response.status_code != 401):
            problems.append(f"{subject}: expected refused, got {response.status_code} {flashes or ''}")
        if subject in UNTRUSTED:  # the community's own roles may read what a write they may not do shows
            problems += [f"{subject}: the response shows {canary!r}" for canary in leaks(response)]
    if snapshot(engine) != before:
        problems.append("a refused call changed the database")
    for subject in [s for s in SUBJECTS if s in policy.allowed]:
        if method not in SAFE:
            restore(engine, built.rows)  # each from the same world: one's change must not decide another's
        response, flashes = call(app, built, subject, method, url, policy, values)
        outcome = verdict(response, flashes, page)
        if outcome != "let in":
            problems.append(f"{subject}: expected let in, got {response.status_code} {flashes or ''}"
                            f"{response.get_data(as_text=True)[:200] if outcome == 'broken' else ''}")
        if subject in UNTRUSTED:
            problems += [f"{subject}: the response shows {canary!r}" for canary in leaks(response)]
    assert not problems, f"{method} {url}:\n  " + "\n  ".join(problems)


def test_every_declared_endpoint_still_exists():
    """A policy for a route that is gone is a stale line: remove it, or the route was lost by mistake."""
    routes_here = {endpoint for endpoint, _, _ in MAP} | {f"{endpoint} {method}" for endpoint, method, _ in MAP}
    stale = sorted(set(POLICY) - routes_here)
    assert not stale, f"POLICY declares endpoints the app no longer has: {stale}"


def test_an_undeclared_route_is_reported_with_the_line_to_add():
    message = declaration_hint("ratings.rate", "POST", "/api/v1/bookings/<int:booking_id>/rating")
    assert "'ratings.rate': only(RESIDENT, ADMIN, body=lambda w: {...})," in message
    assert "tests/test_authorization_matrix.py" in message

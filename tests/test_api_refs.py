"""A community named in a path by id or slug: odd references are a 404, never a 500."""
import pytest


@pytest.mark.parametrize("ref", ["%C2%B2", "99999999999999999999999", "0", "2147483648", "nowhere"])
def test_an_odd_community_reference_is_not_found(demo, ref):
    assert demo.client.get(f"/api/v1/communities/{ref}").status_code == 404
    assert demo.api("committee1").post(f"/communities/{ref}/fund/periods/2026-11/close").status_code == 404


def test_a_community_is_found_by_id_and_by_slug(demo):
    by_slug = demo.client.get("/api/v1/communities/heping").get_json()
    assert demo.client.get(f"/api/v1/communities/{by_slug['id']}").get_json() == by_slug


@pytest.mark.parametrize("path", ["/api/v1/operators/999999999999999998", "/api/v1/bookings/2147483648",
                                  "/api/v1/listings/2147483648/slots", "/services/2147483648",
                                  "/my/bookings/999999999999999998"])
def test_an_id_beyond_the_integer_columns_is_not_found(demo, path):
    """PostgreSQL's ``integer`` ends at 2**31 - 1: a larger id must not reach the database (a 500 there)."""
    assert demo.client.get(path, headers={"Authorization": f"Bearer {demo.api('admin').token}"}).status_code == 404

"""The OpenAPI document tells a client what the matrix of who-may-do-what and the problem shape promise."""
import pytest

from tests.test_authorization_matrix import POLICY
from tests.world import SUBJECTS

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def document():
    from core import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "only-for-the-document"})
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    endpoints = {(rule.rule, method.lower()): rule.endpoint for rule in app.url_map.iter_rules()
                 for method in rule.methods - {"HEAD", "OPTIONS"}}
    return spec, endpoints


def operations(spec):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method != "parameters":
                yield path, method, operation


def flask_rule(path: str) -> str:
    return path.replace("{", "<").replace("}", ">")


def test_every_operation_has_its_own_id(document):
    spec, _ = document
    ids = [operation["operationId"] for _, _, operation in operations(spec)]
    assert len(ids) > 60 and len(ids) == len(set(ids))


def test_security_is_a_token_except_where_the_matrix_lets_anyone_in(document):
    spec, endpoints = document
    wrong = []
    for path, method, operation in operations(spec):
        endpoint = next(e for (rule, m), e in endpoints.items() if m == method and rule.replace("int:", "") ==
                        flask_rule(path))
        rule = POLICY.get(f"{endpoint} {method.upper()}") or POLICY[endpoint]
        anyone = rule.allowed == frozenset(SUBJECTS)
        if operation["security"] != ([] if anyone else [{"bearer": []}]):
            wrong.append((method, path, operation["security"]))
    assert wrong == []


def test_every_operation_documents_its_problems(document):
    spec, _ = document
    responses = spec["components"]["responses"]
    for path, method, operation in operations(spec):
        expected = {"400", "404", "422"} | ({"401", "403"} if operation["security"] else set())
        expected |= {"409", "413", "415"} if method in ("post", "put", "patch") else set()
        assert expected <= set(operation["responses"]), (method, path)
        for status in expected | {"default"}:
            name = operation["responses"][status]["$ref"].rsplit("/", 1)[1]
            assert list(responses[name]["content"]) == [PROBLEM], (method, path, status)
    problem = spec["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "code", "errors"} <= set(problem)


def test_the_idempotency_key_is_documented_where_it_is_honoured(document):
    spec, _ = document
    header = next(p for p in spec["paths"]["/api/v1/bookings"]["post"]["parameters"] if p["in"] == "header")
    assert header["name"] == "Idempotency-Key" and header["schema"]["maxLength"] == 255


def test_dates_the_books_cover_carry_their_years_as_a_pattern(document):
    spec, _ = document
    transfer = spec["components"]["schemas"]["Transfer"]["properties"]["received_on"]
    assert transfer["format"] == "date" and transfer["pattern"].startswith("^(20[0-9]{2}|2100)-")

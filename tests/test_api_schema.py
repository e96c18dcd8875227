"""Schemathesis against the API's own OpenAPI schema: no server error, every response as documented."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.tokens import token_create

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def secretariat_token(cast):
    """The secretariat's token; the requests go straight to the WSGI app, so, as Django's test client does,
    the start and the end of a request must not close the test's database connection (and its transaction)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield token_create(user=cast.users["secretariat"], name="schemathesis")[1]
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_conforms_to_its_schema(case, secretariat_token):
    # A cursor is a signed value the schema can only call a string, so a schema-valid random one is
    # rightly refused (422): the "valid data is accepted" check cannot hold for it.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {secretariat_token}"}, excluded_checks=[positive_data_acceptance]
    )

"""``POST /v1/filters/test``: try a filter on a document before putting it on an endpoint,
a route or a source.

The filter is checked as an endpoint's would be (422 naming the place of an unknown operator
or a bad path) and evaluated on ``payload`` exactly as given: an endpoint's filter sees the
envelope ``{type, timestamp, data}``, a route's or a source's the request body, so pass what
the filter will see.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.ingress.api.examples import answers, body_examples
from services.ingress.api.models import Strict, check_filter_field
from services.ingress.web.auth import authorized
from shared.filters import FilterError, holds

api = APIRouter(prefix="/v1/filters", tags=["filters"], dependencies=[Depends(authorized)])
EXAMPLE_IN: dict[str, Any] = {
    "filter": {
        "$.data.amount": {"$gte": 100},
        "$or": [{"$.data.plan": {"$in": ["pro", "team"]}}, {"$.data.email": {"$regex": "@acme"}}],
    },
    "payload": {
        "type": "invoice.paid",
        "timestamp": "2026-11-22T10:00:00.000Z",
        "data": {"amount": 150, "plan": "pro"},
    },
}
REFUSED = {
    "error": {
        "code": "validation_error",
        "message": "filter: Value error, '$.data.amount.$bigger': unknown operator '$bigger'",
        "details": [{"path": "filter", "msg": "Value error, ..."}],
    }
}


class FilterTestIn(Strict):
    """A filter and the document to evaluate it on."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_IN]})

    filter: Annotated[dict[str, Any], Field(description="as an endpoint's `filter`")]
    payload: Any = Field(description="the document the filter is evaluated on, as given")

    _filter = field_validator("filter")(check_filter_field)


class FilterTestOut(BaseModel):
    """Whether the filter holds on the payload."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"matches": True}]})

    matches: bool


@api.post(
    "/test",
    summary="Test a filter on a payload",
    response_model=FilterTestOut,
    openapi_extra=body_examples(EXAMPLE_IN),
    responses=answers(200, {"matches": True}, errors={422: ("Invalid filter", REFUSED)}),
)
async def try_filter(body: FilterTestIn) -> FilterTestOut:
    """``{"matches": true}`` when every condition of ``filter`` holds on ``payload``; 422
    naming the place of an unknown operator, a bad operand or an invalid JSONPath."""
    try:
        matches = holds(body.filter, body.payload)
    except FilterError:  # a path that fails on this document: the router skips it too
        matches = False
    return FilterTestOut(matches=matches)

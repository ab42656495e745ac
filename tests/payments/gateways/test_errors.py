"""The two helpers every gateway's api module uses to turn its SDK's errors into ours."""

from __future__ import annotations

import functools
import logging

import pytest

from trackify.payments.gateways import errors


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (401, errors.GatewayConfigurationError),
        (403, errors.GatewayConfigurationError),
        (429, errors.GatewayUnavailable),
        (500, errors.GatewayUnavailable),
        (503, errors.GatewayUnavailable),
        (400, errors.InvalidGatewayRequest),
        (404, errors.InvalidGatewayRequest),
        (422, errors.InvalidGatewayRequest),
        (409, errors.GatewayError),  # a conflict is not the payer's values: a plain 502
        (302, errors.GatewayError),
    ],
)
def test_for_http_status_gives_each_answer_its_usual_meaning(status, error_type) -> None:
    error = errors.for_http_status(status, "Acme", refused="amount too small", detail="http=x", request_id="r-1")
    assert type(error) is error_type
    assert (error.detail, error.request_id) == ("http=x", "r-1")


def test_for_http_status_messages_name_the_provider_and_its_reason() -> None:
    refused = errors.for_http_status(400, "Acme", refused="amount too small")
    assert refused.message == "Acme refused the request: amount too small."
    assert errors.for_http_status(422, "Acme", refused="").message == "Acme refused the request."
    bad_key = errors.for_http_status(401, "Acme", refused="", credentials="the API key")
    assert bad_key.message == (
        "Acme refused the API key of this payment configuration, or they lack a permission;"
        " the merchant has to correct them."
    )
    assert errors.for_http_status(503, "Acme", refused="").retryable
    assert errors.for_http_status(429, "Acme", refused="", retry_after=30).retry_after == 30


class SdkError(Exception):
    pass


def _translate(exc: SdkError, operation: str) -> errors.GatewayError:
    return errors.GatewayUnavailable(detail=f"{exc} during {operation}", request_id="req_9")


def test_translated_raises_ours_logged_once_with_the_sdk_error_as_its_cause(caplog) -> None:
    translated = functools.partial(errors.translated, "Acme", SdkError, _translate)
    with caplog.at_level(logging.WARNING), pytest.raises(errors.GatewayUnavailable) as raised, translated("create"):
        raise SdkError("timed out")
    assert isinstance(raised.value.__cause__, SdkError)
    assert [r.getMessage() for r in caplog.records] == [
        "Acme create failed: timed out during create (request id req_9)"
    ]


def test_translated_lets_other_errors_through_untouched() -> None:
    with pytest.raises(KeyError), errors.translated("Acme", SdkError, _translate, "order get"):
        raise KeyError("a bug of ours, not the provider's")

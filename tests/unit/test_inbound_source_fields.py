"""How source bodies become stored sources: Meta's verify_token at the top level, generic's
default, PATCH merging, and the spellings of ``match`` a client may use."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.ingress.inbound.source_fields import new_source, patched_source
from services.ingress.inbound.source_models import MatchIn, SourceIn, SourcePatch
from shared.errors import Unprocessable


def created(**fields: Any) -> dict[str, Any]:
    return new_source(SourceIn.model_validate(fields))


def patched(current: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return patched_source(current, SourcePatch.model_validate(fields))


def test_a_top_level_verify_token_is_stored_with_metas_settings() -> None:
    source = created(name="m", provider="meta", secret="app", verify_token="tok")
    assert source["verification"] == {"verify_token": "tok"}
    assert "verify_token" not in source
    same = created(
        name="m", provider="meta", verify_token="tok", verification={"verify_token": "tok"}
    )
    assert same["verification"] == {"verify_token": "tok"}
    assert patched(source, verify_token="new")["verification"] == {"verify_token": "new"}


@pytest.mark.parametrize(
    "fields",
    [
        {"provider": "github", "secret": "s", "verify_token": "tok"},
        {"provider": "meta", "verify_token": "a", "verification": {"verify_token": "b"}},
    ],
)
def test_a_misplaced_verify_token_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(Unprocessable) as caught:
        created(name="x", **fields)
    assert caught.value.details[0]["path"] == "verify_token"


def test_a_generic_source_without_verification_is_stored_as_none() -> None:
    source = created(name="g", provider="generic")
    assert source["verification"] == {"type": "none"}
    assert patched(source, verification=None)["verification"] == {"type": "none"}


def test_a_generic_source_with_a_secret_but_no_verification_is_refused() -> None:
    with pytest.raises(Unprocessable) as caught:
        created(name="g", provider="generic", secret="only")
    assert caught.value.details[0]["path"] == "verification"
    hmac = {"type": "hmac", "header": "X-Sig", "algorithm": "sha256", "encoding": "hex"}
    assert created(name="g", provider="generic", secret="s", verification=hmac)["verification"]


def test_a_patch_that_changes_the_provider_drops_the_old_verification() -> None:
    hmac = {"type": "hmac", "header": "X-Sig", "algorithm": "sha256", "encoding": "hex"}
    source = created(name="g", provider="generic", verification=hmac | {"secret": "a"})
    moved = patched(source, provider="github", secret="gh")
    assert moved["provider"] == "github" and moved["verification"] is None
    meta = patched(source, provider="meta", secret="m", verification={"verify_token": "t"})
    assert meta["verification"] == {"verify_token": "t"}


def test_only_challenge_providers_may_ask_for_the_challenge() -> None:
    with pytest.raises(Unprocessable) as caught:
        created(name="gh", provider="github", secret="s", challenge_required=True)
    assert caught.value.details[0]["path"] == "challenge_required"
    assert (
        created(name="gh", provider="github", challenge_required=False)["challenge_required"]
        is False
    )
    assert created(name="s", provider="slack", secret="s")["challenge_required"] is True


def test_a_patch_merges_verification_of_the_same_type() -> None:
    hmac = {"type": "hmac", "header": "X-Sig", "algorithm": "sha256", "encoding": "hex"}
    source = created(name="g", provider="generic", verification=hmac | {"secret": "a"})
    assert patched(source, verification={"secret": "b"})["verification"] == hmac | {"secret": "b"}
    without_prefix = patched(
        source | {"verification": hmac | {"prefix": "x="}}, verification={"prefix": None}
    )
    assert "prefix" not in without_prefix["verification"]
    other = {"type": "api_key", "header": "X-K", "key": "k"}
    assert patched(source, verification=other)["verification"] == other  # a new type replaces


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ({"headers": {"X-GitHub-Event": "*"}}, {"headers": {"X-GitHub-Event": "*"}}),
        ({"X-GitHub-Event": "push"}, {"headers": {"X-GitHub-Event": "push"}}),
        ({"$.type": "url_verification"}, {"body": {"$.type": "url_verification"}}),
        (
            {"header": {"X-A": "1"}, "jsonpath": {"$.a": 1}},
            {"headers": {"X-A": "1"}, "body": {"$.a": 1}},
        ),
        ({"json": {"$.a": 1}, "X-A": "1"}, {"body": {"$.a": 1}, "headers": {"X-A": "1"}}),
        ({"query": {"hub.mode": "*"}}, {"query": {"hub.mode": "*"}}),
        ({}, {}),
    ],
)
def test_match_is_read_in_its_usual_spellings(
    given: dict[str, Any], stored: dict[str, Any]
) -> None:
    assert created(name="s", provider="generic", match=given)["match"] == stored
    assert MatchIn.model_validate(given).model_dump(exclude_none=True) == stored


@pytest.mark.parametrize("given", [{"X-A": 1}, {"$.a b": 1}, {"headers": ["X-A"]}])
def test_a_match_that_names_nothing_checkable_is_refused(given: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MatchIn.model_validate(given)


@pytest.mark.parametrize(
    "content_type", ["text/plain\r\nX-Evil: 1", "text/plain\n", "a/\u4e2d", "plain", ""]
)
def test_a_custom_answer_content_type_must_be_a_media_type(content_type: str) -> None:
    with pytest.raises(ValidationError):
        SourceIn.model_validate(
            {"name": "s", "provider": "generic", "response": {"content_type": content_type}}
        )


@pytest.mark.parametrize(
    "content_type", ["application/xml", "text/html; charset=UTF-8", "application/vnd.api+json"]
)
def test_media_types_are_taken_for_a_custom_answer(content_type: str) -> None:
    source = created(name="s", provider="generic", response={"content_type": content_type})
    assert source["response"]["content_type"] == content_type

"""Schemathesis fuzzes every API operation once per role, on demo data, against openapi.json.

A bounded, derandomised run (fixed examples per operation, no shrinking, no example database),
so CI gets the same requests on every run and on both databases. A role's test fails on any
5xx answer and on any response that breaks the schema the document promises (body, media type).
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402
from schemathesis.specs.openapi.checks import (content_type_conformance,  # noqa: E402
                                                response_schema_conformance)
from schemathesis.checks import not_a_server_error  # noqa: E402

from tests.conftest import ROLE_USERS  # noqa: E402

pytestmark = pytest.mark.fuzz

# Per operation and generation mode; CREDITLINE_FUZZ_EXAMPLES widens a local run.
EXAMPLES = int(os.environ.get("CREDITLINE_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

# Run last: this revokes the very token the rest of the run uses.
LAST = {("DELETE", "/api/v1/auth/token")}


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)


def _ordered(schema):
    ops = [result.ok() for result in schema.get_all_operations()]
    return sorted(ops, key=lambda op: ((op.method.upper(), op.path) in LAST, op.path, op.method))


def _fuzz(operation, mode: GenerationMode, headers: dict[str, str], tally: Tally) -> None:
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call(headers=headers)
        tally.requests += 1
        tally.statuses[response.status_code // 100 * 100] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as exc:
            key = f"{operation.method.upper()} {operation.path} [{mode.value}]: " + "; ".join(
                sorted({f.title for f in exc.exceptions}))
            tally.failures.setdefault(key, str(exc)[:1500])

    run()


@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_fuzz_every_operation_as(role, app, demo, token_for):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = token_for(role)
    tally = Tally()
    for operation in _ordered(schema):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, headers, tally)
    print(f"\nfuzz {role}: {tally.requests} requests, by status class {dict(sorted(tally.statuses.items()))}, "
          f"{len(tally.failures)} failing operations")
    for key in tally.failures:
        print("  FAIL", key)
    assert not tally.failures, "\n\n".join(f"{k}\n{v}" for k, v in tally.failures.items())

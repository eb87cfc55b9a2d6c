"""The JSON Schema of plan.json (plan.schema.json next to this file), checked once per build.

The schema is compiled to Python once per process (fastjsonschema): the interpreted validator
took longer on a 5,000-node plan than building the plan.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Any

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plan.schema.json")


class PlanSchemaError(Exception):
    """The plan core built a plan its own schema rejects: a bug in the core, not in the inventory."""


@functools.lru_cache(maxsize=1)
def _validate():
    import fastjsonschema  # pylint: disable=import-outside-toplevel

    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        return fastjsonschema.compile(json.load(handle))


def check(plan: dict[str, Any]) -> None:
    import fastjsonschema  # pylint: disable=import-outside-toplevel

    try:
        _validate()(plan)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise PlanSchemaError("the plan does not match plan.schema.json: %s (at %s)" % (exc.message, exc.name)) from exc

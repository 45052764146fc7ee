"""The REST API's JSON parser: DRF's, refusing strings PostgreSQL cannot store.

Every JSON body of the resource API and of `POST /api/v1/tools/<name>/` is parsed here,
so a NUL or a lone surrogate anywhere in it (values or keys, however deep) is a 400
`invalid_input` naming where it is, before any serializer or service sees it. (Size and
nesting depth are bounded earlier, by `cs_platform.core.limits.RequestLimitsMiddleware`.)
"""

from __future__ import annotations

from typing import Any

from rest_framework.parsers import JSONParser

from cs_platform.core.contracts import UNSTORABLE_MESSAGE, text_unstorable_path
from cs_platform.core.errors import field_error


class StorableJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        where = text_unstorable_path(data)
        if where is not None:
            raise field_error(where or "body", UNSTORABLE_MESSAGE, code="unstorable")
        return data

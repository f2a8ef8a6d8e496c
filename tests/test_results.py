"""Results as data: a hit's own keys are never overwritten by a field's."""

from __future__ import annotations

import pytest

from vnsearch import Hit, Index
from vnsearch.errors import SchemaError
from vnsearch.schema import RESERVED_NAMES, IndexSchema


@pytest.mark.parametrize("name", RESERVED_NAMES)
def test_a_field_may_not_take_a_hits_own_key(name):
    with pytest.raises(SchemaError, match="reserved"):
        Index.create(None, fields={name: "number"})


def test_an_old_index_with_a_reserved_field_still_opens_and_keeps_the_hits_keys():
    schema = IndexSchema.from_json({"id": "id", "title": "text", "score": "number"})
    assert "score" in schema
    hit = Hit(id="1", rank=1, score=2.5, fields={"score": 7.0, "rank": "x", "author": "Lê"})
    data = hit.to_dict()
    assert (data["score"], data["rank"], data["author"]) == (2.5, 1, "Lê")
    assert data["fields"] == {"score": 7.0, "rank": "x"}

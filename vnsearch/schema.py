"""The fields of a vnsearch index and how each is analysed.

Every text field is indexed twice from one stored value: ``title`` with the exact analyzer
(accents kept) and ``title_f`` with the folded one (accents removed). A query searches both,
so an unaccented query still matches, and the accents a user typed still rank first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

from vnsearch.errors import SchemaError

if TYPE_CHECKING:
    from whoosh import fields as wf

__all__ = ["FIELD_TYPES", "FieldSpec", "IndexSchema", "FOLDED_SUFFIX", "RESERVED_NAMES"]

FIELD_TYPES = ("text", "keyword", "date", "number", "stored")
FOLDED_SUFFIX = "_f"
_BUILTIN = {"id": "id", "title": "text", "body": "text", "date": "date", "url": "stored", "tags": "keyword"}
# Keys a hit has of its own (Hit.to_dict, --json): no field may take them.
RESERVED_NAMES = ("rank", "score", "snippets", "fields")
_NAME_RE = re.compile(r"[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class FieldSpec:
    """One user-visible field: its name and type (one of :data:`FIELD_TYPES`, or ``id``)."""

    name: str
    type: str

    @property
    def folded_name(self) -> str | None:
        """The name of the folded twin of a text field."""
        return self.name + FOLDED_SUFFIX if self.type == "text" else None


@dataclass(frozen=True)
class IndexSchema:
    """The user-visible fields of an index, in order: built-in ones, then extra ones."""

    fields: tuple[FieldSpec, ...]

    @classmethod
    def build(cls, extra: Mapping[str, str] | None = None, *, reserved_ok: bool = False) -> "IndexSchema":
        """The built-in fields plus ``extra`` (``{"author": "text", "views": "number"}``).

        ``reserved_ok`` reads back an index made before :data:`RESERVED_NAMES` were reserved.
        """
        specs = [FieldSpec(name, kind) for name, kind in _BUILTIN.items()]
        for name, kind in (extra or {}).items():
            if not isinstance(name, str) or not _NAME_RE.match(name):
                raise SchemaError(
                    f"field name {name!r} is not valid: use lower-case letters, digits and _"
                )
            if name in _BUILTIN:
                raise SchemaError(f"field {name!r} is built in; choose another name")
            if name in RESERVED_NAMES and not reserved_ok:
                raise SchemaError(f"field name {name!r} is reserved for search results; choose another name")
            if name.endswith(FOLDED_SUFFIX):
                raise SchemaError(f"field name {name!r} may not end in {FOLDED_SUFFIX!r}")
            if kind not in FIELD_TYPES:
                raise SchemaError(
                    f"field {name!r} has unknown type {kind!r}; use one of {', '.join(FIELD_TYPES)}"
                )
            specs.append(FieldSpec(name, kind))
        return cls(tuple(specs))

    @classmethod
    def from_json(cls, data: Mapping[str, str]) -> "IndexSchema":
        """Read back the mapping written by :meth:`to_json`."""
        return cls.build({k: v for k, v in data.items() if k not in _BUILTIN}, reserved_ok=True)

    def to_json(self) -> dict[str, str]:
        return {spec.name: spec.type for spec in self.fields}

    def __getitem__(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(spec.name == name for spec in self.fields)

    def names(self, *types: str) -> tuple[str, ...]:
        """Names of the fields of the given types (all fields when none given)."""
        return tuple(s.name for s in self.fields if not types or s.type in types)

    @property
    def text_fields(self) -> tuple[str, ...]:
        return self.names("text")

    @property
    def extra_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(s for s in self.fields if s.name not in _BUILTIN)

    def whoosh_schema(self) -> wf.Schema:
        """The Whoosh schema: each text field as an exact field and a folded twin."""
        # Imported here so the command line reads FIELD_TYPES without loading Whoosh.
        from whoosh import fields as wf

        from vnsearch.analysis import exact_analyzer, folded_analyzer

        exact, folded = exact_analyzer(), folded_analyzer()
        whoosh_fields: dict[str, wf.FieldType] = {}
        for spec in self.fields:
            if spec.type == "id":
                whoosh_fields[spec.name] = wf.ID(stored=True, unique=True)
            elif spec.type == "text":
                whoosh_fields[spec.name] = wf.TEXT(analyzer=exact, stored=True, phrase=True)
                whoosh_fields[spec.name + FOLDED_SUFFIX] = wf.TEXT(analyzer=folded, stored=False, phrase=True)
            elif spec.type == "keyword":
                whoosh_fields[spec.name] = wf.KEYWORD(
                    stored=True, commas=True, lowercase=True, scorable=True
                )
            elif spec.type == "date":
                whoosh_fields[spec.name] = wf.DATETIME(stored=True, sortable=True)
            elif spec.type == "number":
                whoosh_fields[spec.name] = wf.NUMERIC(numtype=float, stored=True, sortable=True, default=0)
            else:
                whoosh_fields[spec.name] = wf.STORED()
        return wf.Schema(**whoosh_fields)

"""The ``--opensearch URL --index-name NAME`` options of ``vnsearch index`` and ``vnsearch search``.

The command line's own code indexes and searches: a :class:`RemoteIndex` takes the place of
the index folder, with the same calls.
"""

from __future__ import annotations

import argparse
from typing import Any, Mapping

from vnsearch.opensearch import local
from vnsearch.opensearch.remote import RemoteIndex, connect

__all__ = ["add_options", "remote_index"]


def add_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--opensearch`` and ``--index-name`` to a subcommand."""
    group = parser.add_argument_group("OpenSearch, in place of an index folder (pip install 'vnsearch[opensearch]')")
    group.add_argument("--opensearch", metavar="URL",
                       help="an OpenSearch cluster: one URL, or several separated by commas")
    group.add_argument("--index-name", metavar="NAME", help="the index in that cluster")


def remote_index(args: argparse.Namespace, declared: Mapping[str, str] | None = None, *, create: bool = False) -> Any:
    """The index named on the command line; with ``create``, made if missing (or replaced
    with ``--overwrite``), else checked to declare the ``declared`` fields."""
    if not args.index_name:
        raise local.VnsearchError("--opensearch needs --index-name NAME: the index in the cluster")
    index = RemoteIndex(connect(args.opensearch), args.index_name)
    try:
        exists = index.exists()
    except Exception as exc:  # opensearch-py's connection and transport errors
        raise local.VnsearchError(f"cannot reach OpenSearch at {args.opensearch}: {exc}") from None
    if not create:
        if not exists:
            raise local.IndexNotFoundError(
                f"OpenSearch has no index {args.index_name!r}: build one with "
                f"'vnsearch index PATH... --opensearch {args.opensearch} --index-name {args.index_name}'"
            )
        return index
    if exists and not getattr(args, "overwrite", False):
        have = index.schema.to_json()
        for name, kind in (declared or {}).items():
            if have.get(name) != kind:
                now = f"declares {name} as {have[name]}" if name in have else f"has no field {name}"
                raise local.SchemaError(
                    f"the OpenSearch index {args.index_name!r} {now}; add --overwrite to rebuild it with {name}:{kind}"
                )
        return index
    return index.create(declared, overwrite=True)

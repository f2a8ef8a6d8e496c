"""vnsearch.vietnamese is pure Python: used whole, it loads neither Whoosh nor numpy nor pyvi."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_USE = """
import json, sys
from vnsearch.vietnamese import pieces, segmenter, text, units
units.units("Thành phố Hải Phòng, 10/7/2019", True)
text.fold("Tiếng Việt Ελληνικά")
print(json.dumps(sorted(sys.modules)))
"""


def test_the_language_layer_loads_no_whoosh_numpy_or_pyvi():
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", _USE], cwd=root, capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in json.loads(out.stdout)}
    assert "unidecode" in loaded  # the Greek letters needed it, so the check saw real use
    assert not loaded & {"whoosh", "numpy", "pyvi", "sklearn", "sklearn_crfsuite", "pycrfsuite"}

"""Independent reference for VN-2000 TM-3 -> WGS 84: pyproj (PROJ + the EPSG database).

Reads JSON [[epsg, easting, northing], ...] on stdin; prints JSON [[lon, lat], ...].
The operation is pinned to EPSG:6960 "VN-2000 to WGS 84 (2)" (QD 05/2007/QD-BTNMT), never
left for PROJ to choose: in the Mekong delta it may prefer EPSG:5194 "(1)", ~0.8 m away.
"""
import json
import sys

from pyproj.transformer import TransformerGroup

PINNED = "VN-2000 to WGS 84 (2)"


def transformer(epsg, cache={}):
    if epsg not in cache:
        group = TransformerGroup(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)
        matches = [t for t in group.transformers if PINNED in t.description]
        if len(matches) != 1:
            sys.exit(f"EPSG:{epsg}: expected one '{PINNED}' operation, got {[t.description for t in group.transformers]}")
        cache[epsg] = matches[0]
    return cache[epsg]


points = json.load(sys.stdin)
print(json.dumps([list(transformer(e).transform(x, y)) for e, x, y in points]))

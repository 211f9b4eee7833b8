"""Decodes rendered images for the @pacs/dicom-imaging specs with Pillow (Debian's python3-pil).

Usage: decode-image.py OUT_DIR IMAGE...

Pillow is an independent reader of what renderFrame writes: it checks PNG chunk CRCs and the
zlib stream, and decodes JPEG with libjpeg. For each image prints, in one JSON object keyed by its
path, {"format", "mode", "width", "height", "raw"} (raw: OUT_DIR/<index>.raw, the pixels row by
row, 1 byte a sample) or {"error"}.
"""
import json
import os
import sys

try:
    from PIL import Image
except ImportError as error:
    print(json.dumps({"__error__": f"Pillow is not importable: {error}"}))
    sys.exit(0)

out_dir = sys.argv[1]
result = {}
for index, path in enumerate(sys.argv[2:]):
    try:
        with Image.open(path) as image:
            image.load()
            raw = os.path.join(out_dir, f"{index}.raw")
            with open(raw, "wb") as handle:
                handle.write(image.tobytes())
            result[path] = {
                "format": image.format,
                "mode": image.mode,
                "width": image.width,
                "height": image.height,
                "raw": raw,
            }
    except Exception as error:  # noqa: BLE001 - reported to the spec
        result[path] = {"error": f"{type(error).__name__}: {error}"}
print(json.dumps(result))

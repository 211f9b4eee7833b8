"""Reference pixels for the @pacs/dicom-imaging specs (src/testing/pixel-reference.ts).

Usage: pixel-reference.py OUT_DIR FILE...

For each DICOM file with Pixel Data, decodes every frame with pydicom (numpy, Pillow and RLE
handlers, as Debian's python3-pydicom, python3-numpy and python3-pil provide them). Syntaxes those
handlers cannot decode (JPEG lossless, 12-bit JPEG, JPEG-LS) are first decompressed with DCMTK
(dcmdjpeg, dcmdjpls) and the result read with pydicom.

What is compared is the decoded image, so lossy JPEG color that pydicom leaves in YCbCr is converted
to RGB with pydicom's own convert_color_space, as DICOM decoders hand it out (PS3.5 8.2.1).

Writes OUT_DIR/<index>.raw (the array, little endian, C order) and prints one JSON object keyed by
the file path: {"route", "dtype", "shape", "photometric", "raw"} or {"error"}.
"""
import json
import os
import subprocess
import sys
import tempfile
import warnings

try:
    import numpy
    import pydicom
    from pydicom.pixel_data_handlers.util import convert_color_space
except ImportError as error:
    print(json.dumps({"__error__": f"pydicom or numpy is not importable: {error}"}))
    sys.exit(0)

JPEG_LOSSY = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"}
DCMTK_DECOMPRESSORS = {
    "1.2.840.10008.1.2.4.50": "dcmdjpeg",
    "1.2.840.10008.1.2.4.51": "dcmdjpeg",
    "1.2.840.10008.1.2.4.57": "dcmdjpeg",
    "1.2.840.10008.1.2.4.70": "dcmdjpeg",
    "1.2.840.10008.1.2.4.80": "dcmdjpls",
    "1.2.840.10008.1.2.4.81": "dcmdjpls",
    "1.2.840.10008.1.2.5": "dcmdrle",
}


def read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path, force=True)


def pixels(ds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ds.pixel_array


def decode(path):
    ds = read(path)
    if "PixelData" not in ds:
        return None
    syntax = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", ""))
    try:
        array = pixels(ds)
        route = "pydicom"
        photometric = str(ds.PhotometricInterpretation)
    except Exception as pydicom_error:  # noqa: BLE001 - any handler failure: try DCMTK
        tool = DCMTK_DECOMPRESSORS.get(syntax)
        if tool is None:
            raise
        with tempfile.TemporaryDirectory() as folder:
            native = os.path.join(folder, "native.dcm")
            done = subprocess.run([tool, path, native], capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"pydicom: {pydicom_error}; {tool}: {done.stderr.strip()}") from None
            decompressed = read(native)
            array = pixels(decompressed)
            photometric = str(decompressed.PhotometricInterpretation)
        route = tool
    if route == "pydicom" and syntax in JPEG_LOSSY and photometric.startswith("YBR_FULL"):
        array = convert_color_space(array, "YBR_FULL", "RGB")
        photometric = "RGB"
    return route, array, photometric


def main():
    out_dir = sys.argv[1]
    result = {}
    for index, path in enumerate(sys.argv[2:]):
        try:
            decoded = decode(path)
        except Exception as error:  # noqa: BLE001 - reported to the spec, which decides
            result[path] = {"error": f"{type(error).__name__}: {error}"}
            continue
        if decoded is None:
            result[path] = {"error": "no Pixel Data"}
            continue
        route, array, photometric = decoded
        raw = os.path.join(out_dir, f"{index}.raw")
        little = array.astype(array.dtype.newbyteorder("<"), copy=False)
        with open(raw, "wb") as handle:
            handle.write(numpy.ascontiguousarray(little).tobytes())
        result[path] = {
            "route": route,
            "dtype": array.dtype.str.lstrip("<>|="),
            "shape": list(array.shape),
            "photometric": photometric,
            "raw": raw,
        }
    print(json.dumps(result, indent=1))


main()

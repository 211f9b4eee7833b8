"""Reference values from pydicom for the @pacs/dicom specs (src/testing/pydicom-corpus.ts).

Reads every file under Debian's python3-pydicom test folders (data/test_files, recursively, and
data/charset_files) with pydicom.dcmread, first without force; a file pydicom refuses is then read
with force=True and marked "forced" if that read identifies an instance.

Prints one JSON object keyed by "<folder>/<relative path>": identifiers, transfer syntax, pydicom's
DICOM JSON of every readable file (to_json_dict, all binary inline) and, for the character set
files, every text value (SH LO ST LT UT UC PN) as pydicom decodes it, keyed by tag path
("GGGGEEEE" or "GGGGEEEE/<item>/GGGGEEEE"). Also "__dictionary__" and "__transferSyntaxes__"
(pydicom's data dictionary and transfer syntax UIDs) and "__pydicomVersion__".

The specs run it once per test file with Debian's /usr/bin/python3, the interpreter that sees the
package.
"""
import json
import os
import sys
import warnings

try:
    import pydicom
    from pydicom._dicom_dict import DicomDictionary
    from pydicom._uid_dict import UID_dictionary
    from pydicom.multival import MultiValue
except ImportError:
    print(json.dumps({"__error__": "pydicom is not importable: install python3-pydicom"}))
    sys.exit(0)

BASE = os.path.join(os.path.dirname(pydicom.__file__), "data")
FOLDERS = ["test_files", "charset_files"]
TEXT_VRS = {"SH", "LO", "ST", "LT", "UT", "UC", "PN"}
IDENTIFIERS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "SOPClassUID", "Modality")


def text(value):
    return None if value is None else str(value)


def texts(dataset, prefix, out):
    for element in dataset:
        path = f"{prefix}{element.tag:08X}"
        if element.VR == "SQ":
            for index, item in enumerate(element.value):
                texts(item, f"{path}/{index}/", out)
        elif element.VR in TEXT_VRS:
            value = element.value
            values = [] if value is None else [str(v) for v in value] if isinstance(value, MultiValue) else [str(value)]
            out[path] = values


def describe(path, charset):
    entry = {"readable": True}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path)
    except Exception as error:  # noqa: BLE001 - any refusal means "pydicom cannot read it"
        entry = {"readable": False, "error": f"{type(error).__name__}: {error}"}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(path, force=True)
                identified = "SOPInstanceUID" in ds or "SOPClassUID" in ds
        except Exception:  # noqa: BLE001
            return entry
        # A forced read of a text file "succeeds" with garbage: only count files that identify an
        # instance.
        if not identified:
            return entry
        entry["forced"] = True
    meta = getattr(ds, "file_meta", None)
    entry["transferSyntaxUID"] = text(getattr(meta, "TransferSyntaxUID", None))
    entry["mediaStorageSOPInstanceUID"] = text(getattr(meta, "MediaStorageSOPInstanceUID", None))
    entry["isImplicitVR"] = ds.is_implicit_VR
    entry["isLittleEndian"] = ds.is_little_endian
    for keyword in IDENTIFIERS:
        try:
            entry[keyword] = text(getattr(ds, keyword, None))
        except Exception as error:  # noqa: BLE001
            entry[keyword] = f"<error {type(error).__name__}>"
    try:
        entry["PatientName"] = str(ds.PatientName) if "PatientName" in ds else None
    except Exception as error:  # noqa: BLE001
        entry["PatientName"] = f"<error {type(error).__name__}>"
    if entry["readable"]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                entry["json"] = ds.to_json_dict(bulk_data_threshold=1 << 30)
        except Exception as error:  # noqa: BLE001
            entry["jsonError"] = f"{type(error).__name__}: {error}"
    if charset and entry["readable"]:
        out = {}
        texts(ds, "", out)
        entry["texts"] = out
    return entry


result = {"__pydicomVersion__": pydicom.__version__}
# pydicom's data dictionary and transfer syntaxes, to cross-check ours.
result["__dictionary__"] = {
    f"{tag:08X}": {"vr": vr, "vm": vm, "keyword": keyword, "retired": retired == "Retired"}
    for tag, (vr, vm, _name, retired, keyword) in DicomDictionary.items()
}
result["__transferSyntaxes__"] = sorted(uid for uid, entry in UID_dictionary.items() if entry[1] == "Transfer Syntax")
for folder in FOLDERS:
    root = os.path.join(BASE, folder)
    if not os.path.isdir(root):
        continue
    for directory, _dirs, names in os.walk(root):
        for name in sorted(names):
            path = os.path.join(directory, name)
            key = f"{folder}/{os.path.relpath(path, root)}"
            result[key] = describe(path, folder == "charset_files")
print(json.dumps(result, indent=1, ensure_ascii=False, sort_keys=True))

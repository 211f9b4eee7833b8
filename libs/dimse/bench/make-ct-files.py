#!/usr/bin/python3
"""Writes N copies of a 512x512 16-bit CT image (about 0.5 MB, Implicit VR Little Endian), each with
its own SOP Instance UID, for store-throughput.ts. Needs python3-pydicom and python3-numpy (Debian).

    /usr/bin/python3 libs/dimse/bench/make-ct-files.py /tmp/dimse-bench/files 500
"""
import os
import sys

import numpy as np
import pydicom
from pydicom.uid import ImplicitVRLittleEndian, generate_uid

out, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 500
ds = pydicom.dcmread(os.path.join(os.path.dirname(pydicom.__file__), 'data/test_files/CT_small.dcm'))
ds.Rows = ds.Columns = 512
ds.PixelData = np.random.default_rng(1).integers(0, 4096, size=(512, 512), dtype=np.uint16).tobytes()
if (0xFFFC, 0xFFFC) in ds:
    del ds[0xFFFC, 0xFFFC]  # DCMTK drops trailing padding when sending; keep the files comparable
ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
ds.is_implicit_VR, ds.is_little_endian = True, True
os.makedirs(out, exist_ok=True)
for i in range(count):
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.save_as(os.path.join(out, f'ct{i:04d}.dcm'), write_like_original=False)

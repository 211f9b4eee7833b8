/** UIDs the upper layer and the message layer need (PS3.6 Annex A). */
export const DicomUid = {
  /** DICOM Application Context Name, the only one defined (PS3.7 A.2.1). */
  ApplicationContext: '1.2.840.10008.3.1.1.1',
  /** Verification SOP Class, the abstract syntax of C-ECHO (PS3.4 A.4). */
  Verification: '1.2.840.10008.1.1',
  /** Implicit VR Little Endian: the default transfer syntax, always that of command sets (PS3.5 10.1). */
  ImplicitVrLittleEndian: '1.2.840.10008.1.2',
  /** Explicit VR Little Endian (PS3.5 A.2). */
  ExplicitVrLittleEndian: '1.2.840.10008.1.2.1',
  /** Deflated Explicit VR Little Endian (PS3.5 A.5). */
  DeflatedExplicitVrLittleEndian: '1.2.840.10008.1.2.1.99',
  /** Explicit VR Big Endian, retired but still sent by old modalities (PS3.5 A.3). */
  ExplicitVrBigEndian: '1.2.840.10008.1.2.2',
  /** JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, SV1). */
  JpegLosslessSv1: '1.2.840.10008.1.2.4.70',
  /** JPEG 2000 Image Compression (Lossless Only). */
  Jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  /** JPEG 2000 Image Compression. */
  Jpeg2000: '1.2.840.10008.1.2.4.91',
  /** RLE Lossless. */
  RleLossless: '1.2.840.10008.1.2.5',
  /** CT Image Storage. */
  CtImageStorage: '1.2.840.10008.5.1.4.1.1.2',
  /** MR Image Storage. */
  MrImageStorage: '1.2.840.10008.5.1.4.1.1.4',
  /** Secondary Capture Image Storage. */
  SecondaryCaptureImageStorage: '1.2.840.10008.5.1.4.1.1.7',
  /** RT Plan Storage. */
  RtPlanStorage: '1.2.840.10008.5.1.4.1.1.481.5',
  /** Study Root Query/Retrieve Information Model - FIND. */
  StudyRootQueryRetrieveFind: '1.2.840.10008.5.1.4.1.2.2.1',
  /** Study Root Query/Retrieve Information Model - MOVE. */
  StudyRootQueryRetrieveMove: '1.2.840.10008.5.1.4.1.2.2.2',
  /** Study Root Query/Retrieve Information Model - GET. */
  StudyRootQueryRetrieveGet: '1.2.840.10008.5.1.4.1.2.2.3',
} as const;

// One implementation identity for the whole product: announced at association (PS3.7 D.3.3.2)
// and written in the file meta group of stored instances (PS3.10 7.1).
export { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '@pacs/dicom';

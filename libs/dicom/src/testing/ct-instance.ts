import { EXPLICIT_VR_LITTLE_ENDIAN } from '../transfer-syntax';
import { generateUid } from '../uid';
import { encodePart10File, type TestElement } from './dataset-builder';

/** Options of ctInstanceElements; every UID defaults to a fresh one. */
export interface CtInstanceOptions {
  readonly studyInstanceUid?: string;
  readonly seriesInstanceUid?: string;
  readonly sopInstanceUid?: string;
  readonly instanceNumber?: number;
  readonly patientId?: string;
  readonly patientName?: string;
  readonly accessionNumber?: string;
  /** Image size (default 512 x 512, 16 bits: 0.5 MB of pixel data). */
  readonly rows?: number;
  readonly columns?: number;
  /** Pixel data bytes to use (rows * columns * 2); pass one buffer to many instances to save memory. */
  readonly pixelData?: Buffer;
  /** Modality (0008,0060), CT by default: another makes it stand for an image of that modality. */
  readonly modality?: string;
  /** SOP Class UID (0008,0016), CT Image Storage by default. */
  readonly sopClassUid?: string;
}

/** CT Image Storage (PS3.4 B.5). */
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

/**
 * The elements of a realistic single-frame CT image (PS3.3 A.3): patient, study, series, frame of
 * reference, equipment, image plane, pixel and CT modules, a few sequences and private elements as
 * scanners write them. About 110 elements before the pixel data, as in real CT headers.
 */
export function ctInstanceElements(options: CtInstanceOptions = {}): TestElement[] {
  const rows = options.rows ?? 512;
  const columns = options.columns ?? 512;
  const instanceNumber = options.instanceNumber ?? 1;
  const studyInstanceUid = options.studyInstanceUid ?? generateUid();
  const position = (-instanceNumber * 1.25).toFixed(2);
  const code = (value: string, scheme: string, meaning: string): TestElement[] => [
    { tag: 'CodeValue', value },
    { tag: 'CodingSchemeDesignator', value: scheme },
    { tag: 'CodeMeaning', value: meaning },
  ];
  return [
    { tag: 'SpecificCharacterSet', value: 'ISO_IR 100' },
    { tag: 'ImageType', value: ['ORIGINAL', 'PRIMARY', 'AXIAL'] },
    { tag: 'InstanceCreationDate', value: '20260315' },
    { tag: 'InstanceCreationTime', value: '101502.123456' },
    { tag: 'SOPClassUID', value: options.sopClassUid ?? CT_IMAGE_STORAGE },
    { tag: 'SOPInstanceUID', value: options.sopInstanceUid ?? generateUid() },
    { tag: 'StudyDate', value: '20260315' },
    { tag: 'SeriesDate', value: '20260315' },
    { tag: 'AcquisitionDate', value: '20260315' },
    { tag: 'ContentDate', value: '20260315' },
    { tag: 'AcquisitionDateTime', value: '20260315101455.250000' },
    { tag: 'StudyTime', value: '101022' },
    { tag: 'SeriesTime', value: '101455' },
    { tag: 'AcquisitionTime', value: '101455.250000' },
    { tag: 'ContentTime', value: '101502' },
    { tag: 'AccessionNumber', value: options.accessionNumber ?? 'ACC0001' },
    { tag: 'Modality', value: options.modality ?? 'CT' },
    { tag: 'Manufacturer', value: 'ACME Medical' },
    { tag: 'InstitutionName', value: 'General Hospital' },
    { tag: 'InstitutionAddress', value: '1 Hospital Road' },
    { tag: 'ReferringPhysicianName', value: 'House^Gregory^^Dr' },
    { tag: 'StationName', value: 'CT01' },
    { tag: 'StudyDescription', value: 'CT THORAX ABDOMEN WITH CONTRAST' },
    { tag: 'ProcedureCodeSequence', value: [code('CTTA', 'L', 'CT thorax abdomen')] },
    { tag: 'SeriesDescription', value: 'Abdomen 1.25mm' },
    { tag: 'InstitutionalDepartmentName', value: 'Radiology' },
    { tag: 'PerformingPhysicianName', value: 'Tech^Anna' },
    { tag: 'OperatorsName', value: 'Tech^Anna' },
    { tag: 'ManufacturerModelName', value: 'Scanner 9000' },
    {
      tag: 'ReferencedImageSequence',
      value: [
        [
          { tag: 'ReferencedSOPClassUID', value: CT_IMAGE_STORAGE },
          { tag: 'ReferencedSOPInstanceUID', value: '1.2.840.99999.1.2.3.4.5.6.7' },
        ],
      ],
    },
    { tag: 'PatientName', value: options.patientName ?? 'Doe^John' },
    { tag: 'PatientID', value: options.patientId ?? 'PAT0001' },
    { tag: 'IssuerOfPatientID', value: 'HOSPITAL' },
    { tag: 'PatientBirthDate', value: '19600101' },
    { tag: 'PatientSex', value: 'M' },
    { tag: 'PatientAge', value: '066Y' },
    { tag: 'PatientWeight', value: '82' },
    { tag: 'PatientIdentityRemoved', value: 'NO' },
    { tag: 'ContrastBolusAgent', value: 'IOPAMIDOL' },
    { tag: 'BodyPartExamined', value: 'ABDOMEN' },
    { tag: 'ScanOptions', value: 'HELICAL MODE' },
    { tag: 'SliceThickness', value: '1.25' },
    { tag: 'KVP', value: '120' },
    { tag: 'DataCollectionDiameter', value: '500' },
    { tag: 'DeviceSerialNumber', value: 'SN123456' },
    { tag: 'SoftwareVersions', value: ['VER 1.2.3', 'BUILD 456'] },
    { tag: 'ProtocolName', value: 'ABD ROUTINE' },
    { tag: 'ReconstructionDiameter', value: '360' },
    { tag: 'DistanceSourceToDetector', value: '1085.6' },
    { tag: 'DistanceSourceToPatient', value: '541' },
    { tag: 'GantryDetectorTilt', value: '0' },
    { tag: 'TableHeight', value: '152.5' },
    { tag: 'RotationDirection', value: 'CW' },
    { tag: 'ExposureTime', value: '500' },
    { tag: 'XRayTubeCurrent', value: '250' },
    { tag: 'Exposure', value: '125' },
    { tag: 'FilterType', value: 'BODY FILTER' },
    { tag: 'GeneratorPower', value: '30000' },
    { tag: 'FocalSpots', value: '1.2' },
    { tag: 'ConvolutionKernel', value: 'STANDARD' },
    { tag: 'PatientPosition', value: 'FFS' },
    { tag: 'RevolutionTime', value: 0.5 },
    { tag: 'SingleCollimationWidth', value: 0.625 },
    { tag: 'TotalCollimationWidth', value: 40 },
    { tag: 'TableSpeed', value: 78.75 },
    { tag: 'TableFeedPerRotation', value: 39.375 },
    { tag: 'SpiralPitchFactor', value: 0.984375 },
    {
      tag: 'CTDIPhantomTypeCodeSequence',
      value: [code('113691', 'DCM', 'IEC Body Dosimetry Phantom')],
    },
    { tag: 'StudyInstanceUID', value: studyInstanceUid },
    { tag: 'SeriesInstanceUID', value: options.seriesInstanceUid ?? generateUid() },
    { tag: 'StudyID', value: '4711' },
    { tag: 'SeriesNumber', value: '3' },
    { tag: 'AcquisitionNumber', value: '1' },
    { tag: 'InstanceNumber', value: String(instanceNumber) },
    { tag: 'ImagePositionPatient', value: ['-180', '-180', position] },
    { tag: 'ImageOrientationPatient', value: ['1', '0', '0', '0', '1', '0'] },
    { tag: 'FrameOfReferenceUID', value: `${studyInstanceUid}.1` },
    { tag: 'PositionReferenceIndicator', value: 'XY' },
    { tag: 'SliceLocation', value: position },
    { tag: 'SamplesPerPixel', value: 1 },
    { tag: 'PhotometricInterpretation', value: 'MONOCHROME2' },
    { tag: 'Rows', value: rows },
    { tag: 'Columns', value: columns },
    { tag: 'PixelSpacing', value: ['0.703125', '0.703125'] },
    { tag: 'BitsAllocated', value: 16 },
    { tag: 'BitsStored', value: 16 },
    { tag: 'HighBit', value: 15 },
    { tag: 'PixelRepresentation', value: 1 },
    { tag: 'PixelPaddingValue', vr: 'SS', value: -2000 },
    { tag: 'WindowCenter', value: ['40', '400'] },
    { tag: 'WindowWidth', value: ['400', '1500'] },
    { tag: 'RescaleIntercept', value: '-1024' },
    { tag: 'RescaleSlope', value: '1' },
    { tag: 'RescaleType', value: 'HU' },
    { tag: 'LossyImageCompression', value: '00' },
    // Private block of a made-up vendor, as scanners add: creator, then its elements (PS3.5 7.8).
    { tag: 0x00090010, vr: 'LO', value: 'ACME_CT_PRIVATE' },
    { tag: 0x00091001, vr: 'LO', value: 'CT01_RECON' },
    { tag: 0x00091002, vr: 'DS', value: ['1.0', '2.0', '3.0'] },
    { tag: 0x00091003, vr: 'OB', value: Buffer.alloc(256, 0x5a) },
    { tag: 0x00430010, vr: 'LO', value: 'ACME_CT_RECON' },
    { tag: 0x00431011, vr: 'US', value: [1, 2, 3, 4] },
    { tag: 0x00431012, vr: 'SS', value: [-5, 5] },
    {
      tag: 'PixelData',
      vr: 'OW',
      value: options.pixelData ?? Buffer.alloc(rows * columns * 2),
    },
  ];
}

/** A CT instance as a Part 10 file (Explicit VR Little Endian unless told otherwise). */
export function ctInstanceFile(options: CtInstanceOptions & { transferSyntaxUid?: string } = {}): Buffer {
  return encodePart10File({
    elements: ctInstanceElements(options),
    transferSyntaxUid: options.transferSyntaxUid ?? EXPLICIT_VR_LITTLE_ENDIAN.uid,
  });
}

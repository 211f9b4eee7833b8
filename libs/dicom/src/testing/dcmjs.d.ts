// The part of dcmjs (no published types) that the specs use as an independent reader and writer.
declare module 'dcmjs' {
  /** A data set in dcmjs's denaturalized form: DICOM JSON keyed by 8 hex digits. */
  type DenaturalizedDataset = Record<string, { vr: string; Value?: unknown[] }>;

  export namespace data {
    class DicomDict {
      constructor(meta: DenaturalizedDataset);
      meta: DenaturalizedDataset;
      dict: DenaturalizedDataset;
      write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
    }
    const DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: { untilTag?: string | null; ignoreErrors?: boolean }): DicomDict;
    };
    const DicomMetaDictionary: {
      naturalizeDataset(dataset: DenaturalizedDataset): Record<string, unknown>;
      denaturalizeDataset(dataset: Record<string, unknown>): DenaturalizedDataset;
    };
  }
}

import type { DicomJsonDataset } from '@pacs/dicom';
import type { MetadataIndex } from '@pacs/metadata-index';
import type { RoutingSource, RoutingSubject } from '../routing-subject';

const MODALITY = '00080060';
const SOP_CLASS_UID = '00080016';
const MODALITIES_IN_STUDY = '00080061';
const SOP_CLASSES_IN_STUDY = '00080062';

/** Builds what rules are evaluated against, from the metadata index. */
export class RoutingSubjects {
  constructor(private readonly index: MetadataIndex) {}

  /**
   * An instance: its whole data set as indexed (the index attributes when its metadata could not
   * be read) and where it came from. Undefined when the index does not hold it.
   */
  async instance(
    tenantId: string,
    scope: { studyInstanceUid: string; seriesInstanceUid: string; sopInstanceUid: string },
    source?: RoutingSource,
  ): Promise<RoutingSubject | undefined> {
    for await (const { metadata } of this.index.listMetadata(tenantId, scope)) {
      return { attributes: metadata, ...(source ? { source } : {}) };
    }
    return undefined;
  }

  /** Whether the index holds anything in the scope (a study, a series of it, an instance of that). */
  async exists(
    tenantId: string,
    scope: { studyInstanceUid: string; seriesInstanceUid?: string; sopInstanceUid?: string },
  ): Promise<boolean> {
    for await (const _ of this.index.listInstances(tenantId, scope)) return true;
    return false;
  }

  /**
   * A study: its patient and study attributes with the computed ones, plus Modality and
   * SOPClassUID holding every value of ModalitiesInStudy and SOPClassesInStudy, so that a rule
   * written for instances (`Modality equals CT`) matches a study that holds CT images.
   */
  async study(tenantId: string, studyInstanceUid: string): Promise<RoutingSubject | undefined> {
    const { results } = await this.index.search(tenantId, 'study', { studyInstanceUid }, [], { limit: 1 });
    const study = results[0];
    if (!study) return undefined;
    const attributes: DicomJsonDataset = { ...study };
    if (study[MODALITIES_IN_STUDY] && !study[MODALITY])
      attributes[MODALITY] = { ...study[MODALITIES_IN_STUDY], vr: 'CS' };
    if (study[SOP_CLASSES_IN_STUDY] && !study[SOP_CLASS_UID]) {
      attributes[SOP_CLASS_UID] = { ...study[SOP_CLASSES_IN_STUDY], vr: 'UI' };
    }
    return { attributes };
  }
}

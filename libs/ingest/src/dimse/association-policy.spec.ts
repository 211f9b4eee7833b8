import { DicomUid, type AssociationRequest, type PresentationContextProposal, type RoleSelection } from '@pacs/dimse';
import { loadTenantRegistry } from '../tenants/tenant-registry';
import { decideAssociation, type AssociationPolicyOptions } from './association-policy';
import { QueryRetrieveSopClass } from './query-retrieve-scp.port';

const tenants = loadTenantRegistry({
  aeTitle: 'PACS',
  defaultTenantId: 'default',
  defaultDuplicatePolicy: 'new-version',
});
const CT = DicomUid.CtImageStorage;
const ILE = DicomUid.ImplicitVrLittleEndian;
const ELE = DicomUid.ExplicitVrLittleEndian;
const EBE = DicomUid.ExplicitVrBigEndian;
const DEFLATED = DicomUid.DeflatedExplicitVrLittleEndian;
const MODALITY_WORKLIST_FIND = '1.2.840.10008.5.1.4.31';
const PATIENT_STUDY_ONLY_FIND = '1.2.840.10008.5.1.4.1.2.3.1';

function request(contexts: Array<[string, string[]]>, roleSelections: RoleSelection[] = []): AssociationRequest {
  const presentationContexts: PresentationContextProposal[] = contexts.map(([abstractSyntax, transferSyntaxes], i) => ({
    id: i * 2 + 1,
    abstractSyntax,
    transferSyntaxes,
  }));
  return {
    callingAeTitle: 'VIEWER',
    calledAeTitle: 'PACS',
    remoteAddress: '127.0.0.1',
    remotePort: 40000,
    presentationContexts,
    maxPduLength: 16384,
    implementationClassUid: '1.2.3',
    roleSelections,
    extendedNegotiations: [],
  };
}

function accepted(req: AssociationRequest, options: AssociationPolicyOptions) {
  const { decision } = decideAssociation(req, tenants, options);
  if ('reject' in decision) throw new Error('rejected');
  return decision.accept;
}

const withQr = { acceptUnknownSopClasses: false, queryRetrieve: true };
const withoutQr = { acceptUnknownSopClasses: false };

describe('association policy: Query/Retrieve', () => {
  it('accepts the Patient Root and Study Root FIND, MOVE and GET classes when a Q/R SCP is there', () => {
    const classes = Object.values(QueryRetrieveSopClass);
    const req = request(classes.map((uid) => [uid, [ELE, ILE]]));
    expect([...accepted(req, withQr).contexts.values()]).toEqual(classes.map(() => ({ transferSyntax: ELE })));
    expect([...accepted(req, withoutQr).contexts.values()]).toEqual(classes.map(() => ({ reject: 3 })));
  });

  it('refuses other query classes (worklist, the retired Patient/Study Only model) as abstract syntax not supported', () => {
    const req = request([
      [MODALITY_WORKLIST_FIND, [ILE]],
      [PATIENT_STUDY_ONLY_FIND, [ILE]],
      [QueryRetrieveSopClass.StudyRootFind, [ILE]],
    ]);
    // Even where unknown SOP classes are accepted for storage: these are known, and not storage.
    expect([...accepted(req, { ...withQr, acceptUnknownSopClasses: true }).contexts.values()]).toEqual([
      { reject: 3 },
      { reject: 3 },
      { transferSyntax: ILE },
    ]);
  });

  it('answers identifiers only in uncompressed syntaxes: the first of those proposed, else refuses them (4)', () => {
    const req = request([
      [QueryRetrieveSopClass.StudyRootFind, [DEFLATED, EBE, ILE]],
      [QueryRetrieveSopClass.PatientRootFind, [DEFLATED, DicomUid.Jpeg2000]],
    ]);
    expect([...accepted(req, withQr).contexts.values()]).toEqual([{ transferSyntax: EBE }, { reject: 4 }]);
  });

  it('grants the SCP role for storage classes (C-GET) only with a Q/R SCP, and never for the Q/R classes', () => {
    const req = request(
      [
        [QueryRetrieveSopClass.StudyRootGet, [ILE]],
        [CT, [ELE]],
      ],
      [
        { sopClassUid: CT, scuRole: false, scpRole: true },
        { sopClassUid: QueryRetrieveSopClass.StudyRootGet, scuRole: true, scpRole: true },
      ],
    );
    expect(accepted(req, withQr).roleSelections).toEqual(
      new Map([
        [CT, { scuRole: true, scpRole: true }],
        [QueryRetrieveSopClass.StudyRootGet, { scuRole: true, scpRole: false }],
      ]),
    );
    expect(accepted(req, withoutQr).roleSelections?.get(CT)).toEqual({ scuRole: true, scpRole: false });
  });

  it('gives each context of the same storage class a syntax the others did not take', () => {
    const req = request([
      [CT, [ELE, ILE]],
      [CT, [ELE, ILE]],
      [CT, [ELE, ILE]],
    ]);
    expect([...accepted(req, withQr).contexts.values()]).toEqual([
      { transferSyntax: ELE },
      { transferSyntax: ILE },
      { transferSyntax: ELE },
    ]);
  });
});

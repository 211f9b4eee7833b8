/** PDU types of the DICOM upper layer (PS3.8 9.3.1, Table 9-11). */
export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PDataTf: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;

/** Item types inside A-ASSOCIATE-RQ/AC PDUs (PS3.8 9.3.2, 9.3.3; PS3.7 Annex D.3.3). */
export const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaximumLength: 0x51,
  ImplementationClassUid: 0x52,
  AsynchronousOperationsWindow: 0x53,
  RoleSelection: 0x54,
  ImplementationVersionName: 0x55,
  SopClassExtendedNegotiation: 0x56,
  SopClassCommonExtendedNegotiation: 0x57,
  UserIdentityRq: 0x58,
  UserIdentityAc: 0x59,
} as const;

/** Result field of A-ASSOCIATE-RJ (PS3.8 Table 9-21). */
export const RejectResult = { Permanent: 1, Transient: 2 } as const;

/** Source field of A-ASSOCIATE-RJ (PS3.8 Table 9-21). */
export const RejectSource = { ServiceUser: 1, ServiceProviderAcse: 2, ServiceProviderPresentation: 3 } as const;

/** Reason field of A-ASSOCIATE-RJ; its meaning depends on the source (PS3.8 Table 9-21). */
export const RejectReason = {
  /** Source 1 (service user) or 2 (ACSE provider). */
  NoReasonGiven: 1,
  /** Source 1. */
  ApplicationContextNameNotSupported: 2,
  /** Source 1. */
  CallingAeTitleNotRecognized: 3,
  /** Source 1. */
  CalledAeTitleNotRecognized: 7,
  /** Source 2. */
  ProtocolVersionNotSupported: 2,
  /** Source 3. */
  TemporaryCongestion: 1,
  /** Source 3. */
  LocalLimitExceeded: 2,
} as const;

/** Result/Reason of a presentation context in A-ASSOCIATE-AC (PS3.8 Table 9-18). */
export const PresentationContextResultCode = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

/** Source field of A-ABORT (PS3.8 Table 9-26). */
export const AbortSource = { ServiceUser: 0, ServiceProvider: 2 } as const;

/** Reason field of A-ABORT when the source is the service provider (PS3.8 Table 9-26). */
export const AbortReason = {
  NotSpecified: 0,
  UnrecognizedPdu: 1,
  UnexpectedPdu: 2,
  UnrecognizedPduParameter: 4,
  UnexpectedPduParameter: 5,
  InvalidPduParameterValue: 6,
} as const;

/** User Identity Type of the user identity negotiation sub-item (PS3.7 D.3.3.7.1). */
export const UserIdentityType = { Username: 1, UsernamePasscode: 2, Kerberos: 3, Saml: 4, Jwt: 5 } as const;

/** A presentation context as proposed in A-ASSOCIATE-RQ (PS3.8 9.3.2.2). */
export interface PresentationContextProposal {
  /** Odd number 1-255, unique in the association. */
  readonly id: number;
  /** SOP Class (or Meta SOP Class) UID. */
  readonly abstractSyntax: string;
  /** Proposed transfer syntaxes, in the requestor's order of preference. */
  readonly transferSyntaxes: readonly string[];
}

/** A presentation context as answered in A-ASSOCIATE-AC (PS3.8 9.3.3.2). */
export interface PresentationContextAnswer {
  /** The id of the proposed context. */
  readonly id: number;
  /** One of {@link PresentationContextResultCode}. */
  readonly result: number;
  /** The accepted transfer syntax; not significant when the context is rejected. */
  readonly transferSyntax: string;
}

/** SCP/SCU Role Selection sub-item (PS3.7 D.3.3.4); C-GET needs the SCU to act as storage SCP. */
export interface RoleSelection {
  /** The SOP class the roles are for. */
  readonly sopClassUid: string;
  /** In RQ: the requestor proposes to act as SCU; in AC: accepted. */
  readonly scuRole: boolean;
  /** In RQ: the requestor proposes to act as SCP; in AC: accepted. */
  readonly scpRole: boolean;
}

/** SOP Class Extended Negotiation sub-item (PS3.7 D.3.3.5); we parse it and do not answer it. */
export interface ExtendedNegotiation {
  /** The SOP class the information applies to. */
  readonly sopClassUid: string;
  /** Service-class-application-information, as sent. */
  readonly info: Buffer;
}

/** User Identity Negotiation sub-item of A-ASSOCIATE-RQ (PS3.7 D.3.3.7.1). */
export interface UserIdentity {
  /** One of {@link UserIdentityType}. */
  readonly type: number;
  /** Whether the requestor asks for a server response (sub-item 59h) in A-ASSOCIATE-AC. */
  readonly positiveResponseRequested: boolean;
  /** Username, Kerberos ticket, SAML assertion or JWT, depending on the type. */
  readonly primaryField: Buffer;
  /** Passcode for type 2, empty otherwise. */
  readonly secondaryField: Buffer;
}

/** Asynchronous Operations Window sub-item (PS3.7 D.3.3.3). */
export interface AsyncOperationsWindow {
  /** Maximum number of outstanding operations invoked. */
  readonly maxInvoked: number;
  /** Maximum number of outstanding operations performed. */
  readonly maxPerformed: number;
}

/** User Information item (PS3.8 9.3.2.3, PS3.7 D.3.3). */
export interface UserInformation {
  /** Maximum length of P-DATA-TF PDUs the sender can receive; 0 means no limit (PS3.8 D.1). */
  readonly maxLength: number;
  /** Implementation Class UID of the sender. */
  readonly implementationClassUid: string;
  /** Implementation Version Name, if sent. */
  readonly implementationVersionName?: string;
  /** Asynchronous operations window, if sent. */
  readonly asyncOperationsWindow?: AsyncOperationsWindow;
  /** SCP/SCU role selection items. */
  readonly roleSelections: readonly RoleSelection[];
  /** SOP class extended negotiation items. */
  readonly extendedNegotiations: readonly ExtendedNegotiation[];
  /** User identity (A-ASSOCIATE-RQ only). */
  readonly userIdentity?: UserIdentity;
  /** Server response to the user identity (A-ASSOCIATE-AC only). */
  readonly userIdentityServerResponse?: Buffer;
}

/** A-ASSOCIATE-RQ PDU (PS3.8 9.3.2). */
export interface AssociateRqPdu {
  readonly type: typeof PduType.AssociateRq;
  /** Bit 0 set: version 1, the only one defined. */
  readonly protocolVersion: number;
  /** Called AE title, trimmed. */
  readonly calledAeTitle: string;
  /** Calling AE title, trimmed. */
  readonly callingAeTitle: string;
  /** Application context name; empty when the item was missing. */
  readonly applicationContext: string;
  /** Proposed presentation contexts. */
  readonly presentationContexts: readonly PresentationContextProposal[];
  /** User information. */
  readonly userInformation: UserInformation;
}

/** A-ASSOCIATE-AC PDU (PS3.8 9.3.3). */
export interface AssociateAcPdu {
  readonly type: typeof PduType.AssociateAc;
  /** Bit 0 set: version 1. */
  readonly protocolVersion: number;
  /** Echo of the called AE title of the request (not to be tested, PS3.8 9.3.3). */
  readonly calledAeTitle: string;
  /** Echo of the calling AE title of the request. */
  readonly callingAeTitle: string;
  /** Application context name. */
  readonly applicationContext: string;
  /** One answer per proposed presentation context. */
  readonly presentationContexts: readonly PresentationContextAnswer[];
  /** User information. */
  readonly userInformation: UserInformation;
}

/** A-ASSOCIATE-RJ PDU (PS3.8 9.3.4). */
export interface AssociateRjPdu {
  readonly type: typeof PduType.AssociateRj;
  /** One of {@link RejectResult}. */
  readonly result: number;
  /** One of {@link RejectSource}. */
  readonly source: number;
  /** One of {@link RejectReason}, per source. */
  readonly reason: number;
}

/** A-RELEASE-RQ PDU (PS3.8 9.3.6). */
export interface ReleaseRqPdu {
  readonly type: typeof PduType.ReleaseRq;
}

/** A-RELEASE-RP PDU (PS3.8 9.3.7). */
export interface ReleaseRpPdu {
  readonly type: typeof PduType.ReleaseRp;
}

/** A-ABORT PDU (PS3.8 9.3.8). */
export interface AbortPdu {
  readonly type: typeof PduType.Abort;
  /** One of {@link AbortSource}. */
  readonly source: number;
  /** One of {@link AbortReason} (significant only when the source is the provider). */
  readonly reason: number;
}

/** Every PDU but P-DATA-TF, which the reader streams instead of materialising. */
export type ControlPdu = AssociateRqPdu | AssociateAcPdu | AssociateRjPdu | ReleaseRqPdu | ReleaseRpPdu | AbortPdu;

/** One presentation data value of a P-DATA-TF PDU (PS3.8 9.3.5.1). */
export interface Pdv {
  /** Presentation context id. */
  readonly contextId: number;
  /** Message control header: bit 0 command (else data set), bit 1 last fragment (PS3.8 E.2). */
  readonly control: number;
  /** The fragment. */
  readonly data: Buffer;
}

/** Bits of the PDV message control header (PS3.8 Annex E.2). */
export const PdvControl = { Command: 0x01, Last: 0x02 } as const;

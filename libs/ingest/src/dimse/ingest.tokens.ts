/** The gateway's DicomConfig (listener, tenants, policies). */
export const DICOM_CONFIG = Symbol('DICOM_CONFIG');

// Scaffold: the ttrpc implementation lands with the ttrpc issue.
export const TTRPC_MAX_MESSAGE_BYTES = 4 << 20;

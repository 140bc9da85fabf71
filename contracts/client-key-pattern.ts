/**
 * What a client-chosen key (command_id, correlation_id) may be: no newlines or spaces, so it is safe in every header
 * and SSE field. Zod-free, so the dashboard checks keys with the very pattern `ClientKey` uses.
 */
export const CLIENT_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

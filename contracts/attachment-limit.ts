// Zod-free on purpose: the dashboard's bundle imports it.

/** Files one instruction may come with: enough for "these three class lists"; each one's columns go into the prompt. */
export const MAX_ATTACHMENTS = 10;

// Zod-free on purpose: the dashboard's bundle imports it.

/** How many asks one batch decides at most: a plan's calls, or an inbox page, not a whole backlog. */
export const MAX_BATCH_DECISIONS = 50;

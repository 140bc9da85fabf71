// Zod-free on purpose: the dashboard's bundle imports it.

/**
 * The JSON Schema keyword an agent's param carries its description under in another language (`x-description-ko`),
 * beside the English `description`: the dashboard shows the one in its language, the planner reads the English.
 */
export const localizedDescriptionKey = (language: string): `x-description-${string}` => `x-description-${language}`;

/** The baseline's only activity: the echo agent's whole job (params in, params out), with nothing around it. */
export function createBaselineActivities() {
  return {
    async echo(params: Record<string, unknown>): Promise<Record<string, unknown>> {
      return params;
    },
  };
}

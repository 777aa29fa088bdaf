/**
 * The prefix of the scenarios' database names in one run of the suite (BEBSY_FAULTS_RUN, set
 * by scripts/test-faults.ts): the runner drops whatever a scenario that failed to clean up left.
 */
export function scenarioDatabasePrefix(run = process.env.BEBSY_FAULTS_RUN ?? 'adhoc'): string {
  return `bebsy_faults_${run.replace(/\W/g, '_')}_`;
}

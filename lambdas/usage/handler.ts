/** Lambda entry: the usage reports app over Athena, wired once per container from the environment. */
import { systemClock } from '../../core/ports';
import { JsonLogger } from '../../adapters/json-logger';
import { usageReportsFromEnv } from '../../adapters/usage/athena-engine';
import { INFRA_ENV } from '../../core/config';
import { createUsageHandler } from './app';

/**
 * How long a report waits for Athena before answering 202: inside API Gateway's 29 s integration
 * timeout with room for the Lambda's own start and the result read.
 */
export const REPORT_WAIT_MS = 20_000;

const logger = new JsonLogger({ service: 'keygate-usage' });
const reports = usageReportsFromEnv(process.env, REPORT_WAIT_MS);
if (!reports) throw new Error(`${INFRA_ENV.athenaWorkGroup} is not set`);

export const handler = createUsageHandler({ reports, clock: systemClock, logger });

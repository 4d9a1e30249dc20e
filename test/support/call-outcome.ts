// An answered customer call's outcome as the call flow hands it to the store (calls/services.ts): its call log is
// composed from what the store read (task, project, gateway). For the store's tests that need outcomes to write.
import type { CallOutcome } from '../../src/db/repos/call-outcomes.js';

/** `taskId` replaces the task read from the number (a test's way to make the call log's foreign key refuse it). */
export const answeredOutcome = (callId: string, numberId: number, taskId?: number): CallOutcome => ({
  callId,
  taskCode: 'T',
  projectCode: 'p',
  gatewayCode: 'gw',
  numberId,
  resultDetail: 55,
  compose: (read) => ({
    taskId: taskId ?? read.taskId,
    projectId: read.projectId,
    callTaskCode: 'T',
    destinationNumber: '13800000000',
    gatewayId: read.gateway?.id ?? null,
    billsec: 3,
    result: 10,
    resultDetail: 55,
  }),
});

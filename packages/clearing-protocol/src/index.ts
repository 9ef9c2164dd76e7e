/**
 * @huduma/clearing-protocol: every HTTP body of the clearing service, defined once as TypeBox
 * schemas (JSON Schema at runtime, TypeScript types statically). The service validates and
 * documents with them (Fastify route schemas); clients take their types from them and check the
 * answers with `checkAnswer`. Amounts are integer cents (KES) on the wire.
 */
export { type AnswerCheck, checkAnswer } from './check';
export * from './console';
export { ErrorBody, errorResponses } from './errors';
export * from './limits';
export * from './merchant';
export * from './operator';
export * from './public';
export * from './receipt-code';
export * from './receipts';
export * from './terminal';
export * from './topups';

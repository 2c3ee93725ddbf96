export { preflightFindings, stoppingFindings, type CheckName, type Finding, type PreflightHost, type PreflightMesh } from './checks.js';
export { parsePreflightFacts, preflightCommands, type PreflightFacts, type Route } from './facts.js';
export { findingsJson, formatFindings, preflight, preflightMesh, readPreflightFacts } from './run.js';

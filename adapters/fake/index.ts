/**
 * In-memory implementations of every port, for unit tests: each keeps what its upstream would keep,
 * refuses what the real adapter refuses, raises only the core's errors, and lets a test arm faults
 * (`failNext`, `hangNext`) and read back what it received. test/contracts holds each of them to the
 * same contract as the real adapter.
 */
export { FakeNationalPortal, type FakePortalCall, type FakePortalOptions, type FakeSync } from './portal.js';
export { FakeBusinessRegistry, FakeCitizenRegistry, type FakeCitizen, type FakeLookup, type FakeRegistryOptions } from './registries.js';
export { InMemoryAuditLog } from './audit-log.js';
export { fakeBusinessesFromFixtures, fakeCitizensFromFixtures } from './fixtures.js';
export { FaultPlan } from './faults.js';

// Moved to @bt/test-support/bench so every bench (the daemon's too) shares one copy.
export * from '@bt/test-support/bench';
